// The tenant's one SCIM token: create or replace (the previous one is revoked in the same
// transaction), status, revoke. Only administrators write it; administrators and auditors read it.
// Its value has a format of its own (scim_…) that the API token check refuses, so it can never act
// as an API token; it is stored like every token, as a keyed hash and its last 4 characters.
import crypto from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { GetResponse } from '../../contract/credentials.js'
import type { RecreateScimTokenRequest } from '../../contract/scim.js'
import type { PolicySettings } from '../../contract/policy.js'
import { forbidden, invalid, notFound } from '../lib/errors.js'
import { DAY_MS, iso } from '../lib/time.js'
import { hashToken } from '../lib/tokens.js'
import { actorOf } from '../services/actor.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import { getResponseOf } from '../services/credentials.js'
import { requirePermission, requirePermissionFor, seesTenant, type Principal } from '../services/principal.js'
import { latestScimToken, liveScimTokens, SCIM_TYPE } from './queries.js'

export function generateScimToken(): string {
  return `scim_${crypto.randomBytes(32).toString('base64url')}`
}

export class ScimTokenService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: Buffer,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly policy: () => Promise<PolicySettings>,
    private readonly tenant: string,
  ) {}

  private requireAdmin(p: Principal) {
    requirePermission(p, 'credentials:write')
    requirePermissionFor(p, 'users:write', 'Only a tenant administrator manages the SCIM token')
  }

  async recreate(p: Principal, body: RecreateScimTokenRequest, ctx: AuditContext) {
    this.requireAdmin(p)
    const rules = await this.policy()
    const days = body.expiration_days ?? rules.default_expiration_days
    if (days > rules.max_expiration_days) throw invalid(`expiration_days must be at most ${rules.max_expiration_days} (tenant policy)`, 'expiration_days')
    const token = generateScimToken()
    const now = Date.now()
    const expiresAt = now + days * DAY_MS
    const name = `scim-token-${now.toString(36)}-${crypto.randomBytes(3).toString('hex')}`
    await this.audit.transact(async (trx, after) => {
      const replaced = await this.endLive(trx, p, ctx, now)
      await trx.insertInto('credentials').values({
        id: crypto.randomUUID(), name, uid: crypto.randomUUID(), type: SCIM_TYPE, owner_id: p.account.id, created_by: p.account.id,
        description: 'SCIM provisioning token', scope: 'full_access', permissions: '[]', namespace_roles: '[]',
        token_hash: hashToken(this.secret, token), token_last4: token.slice(-4), lifetime_days: days, created_at: now,
        expires_at: expiresAt, revoked_at: null, revoked_by: null, last_used_at: null, last_used_ip: null,
        last_used_user_agent: null, rotated_from: replaced[0]?.name ?? null, replaced_by: null,
      }).execute()
      await this.audit.append(trx, ctx, {
        action: 'credential.create', actor: actorOf(p), targetType: 'credential', targetName: name, targetOwnerId: p.account.id,
        outcome: 'success', details: { type: SCIM_TYPE, expiration_days: days, replaces: replaced.map((r) => r.name) },
      }, now)
      await this.validity.publish(trx, after, replaced.map((r) => r.token_hash))
    })
    return { active: true, data: token, expiration_timestamp: iso(expiresAt), name }
  }

  /** Revokes every live SCIM token, each with its audit row; returns what it ended. */
  private async endLive(trx: Transaction<Database>, p: Principal, ctx: AuditContext, now: number) {
    const live = await liveScimTokens(trx)
    for (const r of live) {
      await trx.updateTable('credentials').set({ revoked_at: now, revoked_by: p.account.id }).where('id', '=', r.id).where('revoked_at', 'is', null).execute()
      await this.audit.append(trx, ctx, {
        action: 'credential.revoke', actor: actorOf(p), targetType: 'credential', targetName: r.name, targetOwnerId: r.owner_id, outcome: 'success',
        details: { type: SCIM_TYPE },
      }, now)
    }
    return live
  }

  async status(p: Principal): Promise<GetResponse> {
    requirePermission(p, 'credentials:read')
    if (!seesTenant(p)) throw forbidden('The SCIM token is for administrators and auditors')
    const row = await latestScimToken(this.db, Date.now())
    if (!row) throw notFound('SCIM token')
    return getResponseOf(this.db, this.tenant, row)
  }

  async revoke(p: Principal, ctx: AuditContext) {
    this.requireAdmin(p)
    await this.audit.transact(async (trx, after) => {
      const ended = await this.endLive(trx, p, ctx, Date.now())
      await this.validity.publish(trx, after, ended.map((r) => r.token_hash))
    })
    return { status: true }
  }
}
