// Editing a token's limits (owner or administrator, audited, caches told), and the allowlist helpers:
// a suggestion from the addresses that used it in the last 30 days, and a dry run of a proposed list
// against those uses.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import type { CredentialService } from '../services/credentials.js'
import type { Identity } from '../services/identity.js'
import type { ConsoleFamily } from '../../contract/console.js'
import type { AllowlistSuggestion, DryRunResponse, LimitsResponse, UpdateLimitsRequest } from '../../contract/limits.js'
import { allowedCidrsSchema } from '../../contract/limits.js'
import { can, requirePermission, type Principal } from '../services/principal.js'
import { actorOf } from '../services/actor.js'
import { forbidden, invalid } from '../lib/errors.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'
import type { CredentialRow, Family } from '../db/credentials-repo.js'
import { allowlistTest, normalizeCidrs } from './allowlist.js'

const familyOf: Record<ConsoleFamily, Family> = { api_credentials: 'user', service_credentials: 'service' }
const WINDOW_DAYS = 30
/** Most distinct addresses read for a suggestion or a dry run (the most used first). */
const MAX_SOURCES = 1000

const limitsOf = (row: Pick<CredentialRow, 'allowed_cidrs' | 'rate_limit' | 'rate_window_seconds' | 'not_before'>): LimitsResponse => ({
  allowed_cidrs: row.allowed_cidrs === null ? null : JSON.parse(row.allowed_cidrs) as string[],
  rate_limit: row.rate_limit !== null && row.rate_window_seconds !== null ? { limit: row.rate_limit, window_seconds: row.rate_window_seconds } : null,
  not_before_timestamp: isoOrNull(row.not_before),
})

export class LimitService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly credentials: CredentialService,
    private readonly identity: Identity,
  ) {}

  private async readable(p: Principal, family: ConsoleFamily, name: string) {
    requirePermission(p, family === 'api_credentials' ? 'credentials:read' : 'service_credentials:read')
    return this.credentials.visible(p, familyOf[family], name)
  }

  async get(p: Principal, family: ConsoleFamily, name: string): Promise<LimitsResponse> {
    return limitsOf(await this.readable(p, family, name))
  }

  /** The owner (with write rights on the family) or an administrator, as for the description. */
  async update(p: Principal, family: ConsoleFamily, name: string, body: UpdateLimitsRequest, ctx: AuditContext): Promise<LimitsResponse> {
    requirePermission(p, family === 'api_credentials' ? 'credentials:write' : 'service_credentials:write')
    const row = await this.credentials.visible(p, familyOf[family], name)
    if (!can(p, 'users:write') && row.owner_id !== p.account.id) throw forbidden('Only the owner or an administrator can change a token\'s limits')
    if (row.revoked_at) throw forbidden('A revoked credential cannot be changed')
    if (body.allowed_cidrs === undefined && body.rate_limit === undefined) throw invalid('Give allowed_cidrs or rate_limit (null removes it)', 'allowed_cidrs')
    const from = limitsOf(row)
    const cidrs = body.allowed_cidrs === undefined ? from.allowed_cidrs : body.allowed_cidrs?.length ? normalizeCidrs(body.allowed_cidrs) : null
    const rate = body.rate_limit === undefined ? from.rate_limit : body.rate_limit
    const to: LimitsResponse = { ...from, allowed_cidrs: cidrs, rate_limit: rate }
    const rateChanged = JSON.stringify(from.rate_limit) !== JSON.stringify(rate)
    if (JSON.stringify(from) === JSON.stringify(to)) return to
    await this.audit.transact(async (trx, after) => {
      const now = Date.now()
      await trx.updateTable('credentials').set({
        allowed_cidrs: cidrs ? JSON.stringify(cidrs) : null, rate_limit: rate?.limit ?? null, rate_window_seconds: rate?.window_seconds ?? null,
      }).where('id', '=', row.id).execute()
      // A new quota starts a new count.
      if (rateChanged) await trx.deleteFrom('rate_limit_windows').where('credential_id', '=', row.id).execute()
      await this.audit.append(trx, ctx, {
        action: 'credential.update', actor: actorOf(p), targetType: 'credential', targetName: row.name, targetOwnerId: row.owner_id,
        outcome: 'success', details: { field: 'limits', from: { allowed_cidrs: from.allowed_cidrs, rate_limit: from.rate_limit }, to: { allowed_cidrs: cidrs, rate_limit: rate } },
      }, now)
      // The check caches hold the compiled limits: every instance drops this token's entry at commit.
      await this.validity.publish(trx, after, [row.token_hash])
      if (rateChanged) after(() => this.identity.resetRate(row.id))
    })
    return to
  }

  /** The addresses that used the token in the last 30 days, most used first (usage_sources, flushed every few seconds). */
  private async sources(row: CredentialRow, now: number) {
    const since = now - WINDOW_DAYS * DAY_MS
    const rows = await this.db.selectFrom('usage_sources').select(['ip', (eb) => eb.fn.sum<number>('count').as('n'), (eb) => eb.fn.max<number>('last_seen').as('last')])
      .where('credential_id', '=', row.id).where('last_seen', '>=', since).where('ip', '!=', '')
      .groupBy('ip').orderBy('n', 'desc').orderBy('ip').limit(MAX_SOURCES).execute()
    return { since, list: rows.map((r) => ({ ip: r.ip, count: Number(r.n), last_seen: iso(Number(r.last)) })) }
  }

  async suggestion(p: Principal, family: ConsoleFamily, name: string): Promise<AllowlistSuggestion> {
    const row = await this.readable(p, family, name)
    const { since, list } = await this.sources(row, Date.now())
    return { cidrs: normalizeCidrs(list.map((s) => s.ip)), sources: list, since: iso(since) }
  }

  async dryRun(p: Principal, family: ConsoleFamily, name: string, cidrsText: string): Promise<DryRunResponse> {
    const row = await this.readable(p, family, name)
    const proposed = cidrsText.split(',').map((c) => c.trim()).filter(Boolean)
    const parsed = allowedCidrsSchema.safeParse(proposed)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw invalid(issue.message, `cidrs${issue.path.length ? `.${issue.path.join('.')}` : ''}`)
    }
    const cidrs = normalizeCidrs(proposed)
    const allows = cidrs.length ? allowlistTest(cidrs) : () => true
    const { since, list } = await this.sources(row, Date.now())
    const refused = list.filter((s) => !allows(s.ip))
    const allowed = list.filter((s) => allows(s.ip))
    const total = (xs: typeof list) => xs.reduce((n, s) => n + s.count, 0)
    return { cidrs, since: iso(since), refused, allowed, refused_uses: total(refused), allowed_uses: total(allowed) }
  }
}
