// The tenant policy: stored once, audited, enforced by the credential service on create, renew and
// rotate; a dry run names every existing token a proposed policy would change, and how.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Config } from '../config.js'
import type { DryRunResponse, Policy, PolicyChange, PolicySettings, PolicyUpdate, PolicyUpdateResponse } from '../../contract/policy.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import { actorOf } from '../services/actor.js'
import { invalid } from '../lib/errors.js'
import { requireIfMatch } from '../lib/etag.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'
import { requirePermissionFor, type Principal } from '../services/principal.js'
import { candidateRows, insertPolicyIfMissing, policyETag, readPolicy, writePolicy, type CandidateRow } from './queries.js'
import { checkNameRule } from './name-rule.js'

const APPLY_BATCH = 500
/** The dry run answers at most this many rows (total is always exact). */
const DRY_RUN_LIMIT = 10_000

export function defaultSettings(config: Pick<Config, 'defaultExpirationDays' | 'maxExpirationDays' | 'maxActiveTokensPerUser'>): PolicySettings {
  return {
    default_expiration_days: config.defaultExpirationDays,
    max_expiration_days: config.maxExpirationDays,
    allow_never_expire: false,
    never_expire_account_types: [],
    idle_timeout_days: null,
    max_active_tokens_per_user: config.maxActiveTokensPerUser,
    name_pattern: null,
    service_credential_creators: 'writers',
    reauth_window_minutes: null,
    allow_reactivation: false,
  }
}

/** The change one token would get under `s` from `from`, or none. Exported for the unit of the rule. */
export function changeFor(r: CandidateRow, s: PolicySettings, now: number, from: number): PolicyChange | undefined {
  const effective = Math.max(from, now)
  let newExpiry: number | undefined
  let change: PolicyChange['change'] = 'shorten_expiry'
  let reason = ''
  const neverAllowed = s.allow_never_expire && s.never_expire_account_types.includes(r.owner_kind)
  if (r.expires_at === null) {
    if (!neverAllowed) {
      newExpiry = Math.max(r.created_at + s.max_expiration_days * DAY_MS, effective)
      reason = 'never-expiring tokens are not allowed for this account type'
    }
  } else {
    // The current lifetime starts at the last create or renew; over the maximum, it is cut to it.
    const start = r.lifetime_days !== null ? r.expires_at - r.lifetime_days * DAY_MS : r.created_at
    const limit = Math.max(start + s.max_expiration_days * DAY_MS, effective)
    if (limit < r.expires_at) {
      newExpiry = limit
      reason = `lifetime over the maximum of ${s.max_expiration_days} days`
    }
  }
  if (s.idle_timeout_days !== null) {
    const lastUse = r.last_used_at ?? r.created_at
    if (lastUse + s.idle_timeout_days * DAY_MS <= effective && (newExpiry === undefined || effective < newExpiry)
      && (r.expires_at === null || effective < r.expires_at)) {
      newExpiry = effective
      change = 'idle_disable'
      reason = `${r.last_used_at === null ? 'never used' : 'unused'} for over ${s.idle_timeout_days} days`
    }
  }
  if (newExpiry === undefined) return undefined
  return {
    name: r.name, type: r.type, owner: { id: r.owner_id, email: r.owner_email },
    last_used_timestamp: isoOrNull(r.last_used_at), current_expiry: isoOrNull(r.expires_at),
    change, new_expiry: iso(newExpiry), reason,
  }
}

export class PolicyService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly defaults: PolicySettings,
  ) {}

  /** Seeds the stored policy from the environment on first start; later starts keep what admins set. */
  async init() {
    await insertPolicyIfMissing(this.db, this.defaults, Date.now())
  }

  /** The settings in force. Read outside any write transaction (SQLite has one connection). */
  async current(): Promise<PolicySettings> {
    return (await readPolicy(this.db))?.settings ?? this.defaults
  }

  async get(): Promise<Policy> {
    return (await this.read()).policy
  }

  /** The policy with its entity tag, both from one read (GET /api/policy sends the tag as ETag). */
  async read(): Promise<{ policy: Policy; etag: string }> {
    const stored = await readPolicy(this.db)
    const s = stored?.settings ?? this.defaults
    let updatedBy: string | null = null
    if (stored?.updatedBy) {
      updatedBy = (await this.db.selectFrom('users').select('email').where('id', '=', stored.updatedBy).executeTakeFirst())?.email ?? null
    }
    const policy: Policy = {
      default_expiration_days: s.default_expiration_days,
      max_expiration_days: s.max_expiration_days,
      allow_never_expire: s.allow_never_expire,
      max_active_tokens_per_user: s.max_active_tokens_per_user,
      expiry_presets: [30, 60, 90, 180, 365].filter((d) => d <= s.max_expiration_days),
      expiring_soon_days: 14,
      settings: s,
      updated_timestamp: stored?.updatedBy ? iso(stored.updatedAt) : null,
      updated_by: updatedBy,
    }
    return { policy, etag: stored?.etag ?? policyETag(0, JSON.stringify(s)) }
  }

  private requireAdmin(p: Principal) {
    requirePermissionFor(p, 'users:write', 'Only a tenant administrator can change the policy')
  }

  private parseFrom(value: string | undefined, now: number): number {
    if (value === undefined) return now
    const t = Date.parse(value)
    if (!Number.isFinite(t)) throw invalid('effective_from must be an ISO date-time', 'effective_from')
    return t
  }

  private async changes(s: PolicySettings, now: number, from: number) {
    const rows = await candidateRows(this.db, s, now, from).execute()
    const out: Array<PolicyChange & { id: string; hash: string; lifetimeDays: number }> = []
    for (const r of rows) {
      const c = changeFor(r, s, now, from)
      // The lifetime is kept from the same start, so an applied change is not found again.
      const start = r.expires_at !== null && r.lifetime_days !== null ? r.expires_at - r.lifetime_days * DAY_MS : r.created_at
      if (c) out.push({ ...c, id: r.id, hash: r.token_hash, lifetimeDays: Math.max(0, Math.round((Date.parse(c.new_expiry) - start) / DAY_MS)) })
    }
    return out
  }

  async dryRun(p: Principal, settings: PolicySettings, effectiveFrom?: string): Promise<DryRunResponse> {
    this.requireAdmin(p)
    checkNameRule(settings.name_pattern)
    const now = Date.now()
    const from = this.parseFrom(effectiveFrom, now)
    const all = await this.changes(settings, now, from)
    return { effective_from: iso(Math.max(from, now)), items: all.slice(0, DRY_RUN_LIMIT).map(strip), total: all.length }
  }

  /**
   * Stores new settings. With `ifMatch` (the If-Match header) the write happens only while the stored
   * version is the one the caller read: checked on the row read inside the write transaction, so
   * two administrators saving at once cannot both pass (412 for the second). Answers the new tag.
   */
  async update(p: Principal, body: PolicyUpdate, ctx: AuditContext, ifMatch?: string | string[]): Promise<PolicyUpdateResponse & { etag: string }> {
    this.requireAdmin(p)
    checkNameRule(body.settings.name_pattern)
    const now = Date.now()
    let previous: PolicySettings = this.defaults
    let etag = ''
    await this.audit.transact(async (trx) => {
      const stored = await readPolicy(trx)
      if (stored) {
        requireIfMatch(ifMatch, stored.etag, 'The policy')
        previous = stored.settings
      }
      etag = await writePolicy(trx, body.settings, now, p.account.id)
      await this.audit.append(trx, ctx, {
        action: 'policy.update', actor: actorOf(p), outcome: 'success',
        details: { from: previous, to: body.settings, apply: body.apply },
      }, now)
    })
    const changed: PolicyChange[] = []
    if (body.apply.mode === 'existing') {
      const from = this.parseFrom(body.apply.effective_from, now)
      const todo = await this.changes(body.settings, now, from)
      // Bounded batches, each its own transaction; a row is changed only while the change still
      // shortens it (a concurrent revoke or renew wins), and only changed rows are audited.
      for (let i = 0; i < todo.length; i += APPLY_BATCH) {
        const batch = todo.slice(i, i + APPLY_BATCH)
        await this.audit.transact(async (trx, after) => {
          const hashes: string[] = []
          for (const c of batch) {
            const at = Date.parse(c.new_expiry)
            const res = await trx.updateTable('credentials').set({ expires_at: at, lifetime_days: c.lifetimeDays }).where('id', '=', c.id)
              .where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
              .executeTakeFirst()
            if (Number(res.numUpdatedRows) === 0) continue
            hashes.push(c.hash)
            changed.push(strip(c))
            await this.audit.append(trx, ctx, {
              action: 'credential.policy_apply', actor: actorOf(p), targetType: 'credential', targetName: c.name,
              targetOwnerId: c.owner.id, outcome: 'success',
              details: { change: c.change, reason: c.reason, previous_expiry: c.current_expiry, new_expiry: c.new_expiry },
            }, now)
          }
          await this.validity.publish(trx, after, hashes)
        })
      }
    }
    return { policy: await this.get(), changed, etag }
  }
}

function strip(c: PolicyChange & { id?: string; hash?: string; lifetimeDays?: number }): PolicyChange {
  const { id: _id, hash: _hash, lifetimeDays: _days, ...rest } = c
  void _id; void _hash; void _days
  return rest
}
