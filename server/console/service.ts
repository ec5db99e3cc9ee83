// Console-only rules: description edits (owner or administrator, audited), test-a-token without
// recording a use, name availability, who created a credential, check counters, inventory CSV.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { ConsoleFamily, CheckCounters, CreditsResponse, TestTokenResponse } from '../../contract/console.js'
import { inventoryExportColumns } from '../../contract/console.js'
import type { Credential } from '../../contract/credentials.js'
import type { CredentialService } from '../services/credentials.js'
import { forbidden, notFound } from '../lib/errors.js'
import { leakTimeline } from '../leaks/timeline.js'
import type { LeakTimelineResponse } from '../../contract/leaks.js'
import { isoOrNull } from '../lib/time.js'
import { csvCell } from '../lib/csv.js'
import type { AuditContext } from '../services/audit.js'
import { actorOf } from '../services/actor.js'
import { can, requirePermission, seesTenant, type Principal } from '../services/principal.js'
import type { Services } from '../app.js'
import type { Family } from '../db/credentials-repo.js'
import type { ConsoleCredentialType } from '../../contract/auth.js'

const familyOf: Record<ConsoleFamily, Family> = { api_credentials: 'user', service_credentials: 'service' }
type InventoryFilter = Omit<Parameters<CredentialService['inventory']>[1], 'cursor' | 'limit'>
const STARTED = new Date().toISOString()

export class ConsoleService {
  private readonly db: Kysely<Database>
  /** Whether kubeconfigs can be issued (KUBE_API_SERVER and KUBE_CA_FILE set). */
  private readonly kubeConfigured: boolean
  constructor(private readonly s: Services) {
    this.db = s.db.db
    this.kubeConfigured = s.config.kube !== undefined
  }

  /**
   * The personal credential types this server issues, for the wizard's type choice. Certificates need
   * the PKI (server/pki registers it after these routes, so this is asked per request); kubeconfigs
   * also need KUBE_API_SERVER and KUBE_CA_FILE.
   */
  credentialTypes(): ConsoleCredentialType[] {
    const pki = this.s.credentials.certificates
    const types: ConsoleCredentialType[] = ['API_TOKEN']
    if (pki?.handles('API_CERTIFICATE')) types.push('API_CERTIFICATE')
    if (this.kubeConfigured && pki?.handles('KUBE_CONFIG')) types.push('KUBE_CONFIG')
    return types
  }

  async credits(p: Principal, family: ConsoleFamily, name: string): Promise<CreditsResponse> {
    requirePermission(p, family === 'api_credentials' ? 'credentials:read' : 'service_credentials:read')
    const row = await this.s.credentials.visible(p, familyOf[family], name)
    const by = row.created_by
      ? await this.db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', row.created_by).executeTakeFirst()
      : undefined
    return { description: row.description, created_by: by ?? null }
  }

  /** Anyone who may see the credential; 404 for one never reported as leaked. */
  async leakTimeline(p: Principal, family: ConsoleFamily, name: string): Promise<LeakTimelineResponse> {
    requirePermission(p, family === 'api_credentials' ? 'credentials:read' : 'service_credentials:read')
    const row = await this.s.credentials.visible(p, familyOf[family], name)
    const timeline = await leakTimeline(this.db, row, this.s.failedChecks.pendingFor(row.id))
    if (!timeline) throw notFound('Leak report for this credential')
    return timeline
  }

  /** The owner (with write rights on the family) or an administrator; audited in the same transaction. */
  async updateDescription(p: Principal, family: ConsoleFamily, name: string, description: string, ctx: AuditContext) {
    const write = family === 'api_credentials' ? 'credentials:write' : 'service_credentials:write'
    requirePermission(p, write)
    const row = await this.s.credentials.visible(p, familyOf[family], name)
    const admin = can(p, 'users:write')
    if (!admin && row.owner_id !== p.account.id) throw forbidden('Only the owner or an administrator can change the description')
    if (row.revoked_at) throw forbidden('A revoked credential cannot be changed')
    if (row.description === description) return { description }
    const now = Date.now()
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('credentials').set({ description }).where('id', '=', row.id).execute()
      await this.s.audit.append(trx, ctx, {
        action: 'credential.update', actor: actorOf(p), targetType: 'credential', targetName: row.name,
        targetOwnerId: row.owner_id, outcome: 'success', details: { field: 'description', from: row.description, to: description },
      }, now)
    })
    return { description }
  }

  /** Whose token this is, without recording a use: testing must not make an idle token look used. */
  async testToken(p: Principal, token: string, ctx: AuditContext): Promise<TestTokenResponse> {
    const r = await this.s.identity.checkToken(token, ctx, { recordUse: false })
    if (!r.ok) return { valid: false, reason: r.reason }
    const t = r.principal.token!
    const a = r.principal.account
    // Someone holding the value can already ask whoami; the owner is shown to the same extent.
    return {
      valid: true,
      token: {
        name: t.name, type: t.type, family: t.type === 'SERVICE_API_TOKEN' ? 'service_credentials' : 'api_credentials',
        scope: t.scope, expiry_timestamp: isoOrNull(t.expiresAt),
      },
      owner: { email: a.email, name: a.name, kind: a.kind },
      yours: a.id === p.account.id,
    }
  }

  /** Names are unique across both families and every owner: the create call's 409, asked early. */
  async nameAvailable(p: Principal, name: string) {
    if (!can(p, 'credentials:write') && !can(p, 'service_credentials:write')) throw forbidden('This needs a write permission on credentials')
    const row = await this.db.selectFrom('credentials').select('id').where('name', '=', name).executeTakeFirst()
    return { available: !row }
  }

  async checkCounters(p: Principal): Promise<CheckCounters> {
    requirePermission(p, 'audit:read')
    const metric = await this.s.metrics.validations.get()
    const outcomes = { valid: 0, malformed: 0, unknown: 0, expired: 0, revoked: 0, disabled: 0 }
    for (const v of metric.values) {
      const o = v.labels.outcome as keyof typeof outcomes
      if (o in outcomes) outcomes[o] += v.value
    }
    return { since: STARTED, outcomes }
  }

  /**
   * The filtered inventory as CSV, fetched in keyset pages so memory stays flat. Every check the
   * pages make is made here first, before the header row: once a byte is sent the status is 200
   * and a refusal could only cut the stream.
   */
  async *inventoryCsv(p: Principal, query: InventoryFilter): AsyncGenerator<string> {
    requirePermission(p, 'credentials:read')
    if (!seesTenant(p)) throw forbidden('The inventory is for administrators and auditors')
    yield inventoryExportColumns.join(',') + '\r\n'
    let cursor: string | undefined
    for (;;) {
      // The whole slice counts: on PostgreSQL the rows are parsed on the event loop as they arrive.
      const began = performance.now()
      const page: { items: Credential[]; next_cursor?: string | null } =
        await this.s.credentials.inventory(p, { ...query, sort: query.sort ?? 'name', limit: 500, cursor })
      let chunk = ''
      for (const c of page.items) {
        const cells = [c.name, c.type, c.owner.email, c.owner.kind, c.status, c.scope, c.create_timestamp, c.last_used_timestamp, c.expiry_timestamp, c.description]
        chunk += cells.map(csvCell).join(',') + '\r\n'
      }
      const spent = performance.now() - began
      if (chunk) yield chunk
      if (!page.next_cursor) return
      cursor = page.next_cursor
      await this.s.pressure.yieldToChecks(spent)
    }
  }
}
