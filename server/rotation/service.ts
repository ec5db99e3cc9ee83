// Rotation status for the detail page, and the cut-over job that ends a replaced secret (or a
// rotated-away token) when its overlap is over or every recent caller has switched to the new one.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import type { RotationStatus } from '../../contract/rotation.js'
import type { Family } from '../db/credentials-repo.js'
import type { AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import type { CredentialService } from '../services/credentials.js'
import type { UsageRecorder } from '../services/usage.js'
import type { Principal } from '../services/principal.js'
import { requirePermission } from '../services/principal.js'
import { isoOrNull } from '../lib/time.js'
import { withJobLock } from '../db/job-lock.js'
import { Schedule } from '../lib/schedule.js'
import { overlapRows, secretOverlapRows, secretSources, switchSources } from './queries.js'

/** Session-level advisory lock: on PostgreSQL one instance runs each cut-over pass. */
const CUTOVER_LOCK = 727275
const SYSTEM = { id: null, email: null, type: 'system' as const }

export class RotationService {
  private readonly schedule: Schedule

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly credentials: CredentialService,
    private readonly usage: UsageRecorder,
    onError: (err: unknown) => void,
  ) {
    this.schedule = new Schedule(() => this.run(), onError)
  }

  async status(p: Principal, family: Family, name: string): Promise<RotationStatus> {
    requirePermission(p, family === 'user' ? 'credentials:read' : 'service_credentials:read')
    const row = await this.credentials.visible(p, family, name)
    const now = Date.now()
    if (!row.replaced_by && row.previous_token_hash !== null) {
      const sources = await secretSources(this.db, row.id, now)
      const ended = row.revoked_at !== null || row.previous_retired_at !== null || (row.previous_valid_until ?? 0) <= now
      return {
        name: row.name, mode: 'new_secret', secret_hint: `…${row.token_last4}`, previous_secret_hint: `…${row.previous_last4}`,
        replaced_by: null, overlap_ends_timestamp: isoOrNull(row.previous_valid_until), cutover_on_switch: row.cutover_on_switch === 1,
        state: ended ? 'ended' : 'overlap', sources, all_switched: sources.every((s) => s.switched),
      }
    }
    const successor = row.replaced_by
      ? await this.db.selectFrom('credentials').select('id').where('name', '=', row.replaced_by).executeTakeFirst()
      : undefined
    const sources = await switchSources(this.db, row.id, successor?.id ?? null, now)
    const ended = row.revoked_at !== null || (row.overlap_ends_at !== null && row.overlap_ends_at <= now)
    return {
      name: row.name, mode: 'successor', secret_hint: `…${row.token_last4}`, previous_secret_hint: null, replaced_by: row.replaced_by, overlap_ends_timestamp: isoOrNull(row.overlap_ends_at),
      cutover_on_switch: row.cutover_on_switch === 1,
      state: row.overlap_ends_at === null ? 'none' : ended ? 'ended' : 'overlap',
      sources, all_switched: sources.every((s) => s.switched),
    }
  }

  start(intervalMs: number) {
    this.schedule.start(intervalMs)
  }

  stop() {
    return this.schedule.stop()
  }

  /** One pass; on PostgreSQL skipped when another instance holds the job lock. Returns what it ended. */
  async run(now = Date.now()): Promise<Array<{ name: string; reason: string }>> {
    return withJobLock(this.db, this.dialect, CUTOVER_LOCK, [], () => this.pass(now))
  }

  private async pass(now: number) {
    const rows = await overlapRows(this.db).execute()
    const secrets = await secretOverlapRows(this.db).execute()
    // This instance's uses first, so a caller that just switched counts (only when one is waited for).
    if (rows.some((r) => r.cutover_on_switch === 1 && r.overlap_ends_at! > now)
      || secrets.some((r) => r.cutover_on_switch === 1 && r.previous_valid_until! > now)) await this.usage.flush()
    const ended: Array<{ name: string; reason: string }> = []
    for (const r of secrets) {
      let reason: string | undefined
      if (r.previous_valid_until! <= now) reason = 'overlap_over'
      else if (r.cutover_on_switch === 1 && (await secretSources(this.db, r.id, now)).every((s) => s.switched)) reason = 'callers_switched'
      if (!reason) continue
      const done = await this.audit.transact(async (trx, after) => {
        // Only the previous secret ends; the credential and its current secret carry on.
        const res = await trx.updateTable('credentials')
          .set({ previous_retired_at: now, previous_valid_until: sql<number>`CASE WHEN previous_valid_until < ${now} THEN previous_valid_until ELSE ${now} END` })
          .where('id', '=', r.id).where('previous_token_hash', '=', r.previous_token_hash!).where('previous_retired_at', 'is', null).where('revoked_at', 'is', null)
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) return false
        await this.audit.append(trx, { ip: null, userAgent: 'cut-over job' }, {
          action: 'credential.rotation_end', actor: SYSTEM, targetType: 'credential', targetName: r.name,
          targetOwnerId: r.owner_id, outcome: 'success',
          details: { reason, secret: 'previous', previous_secret: `…${r.previous_last4}`, overlap_ends: isoOrNull(r.previous_valid_until) },
        }, now)
        await this.validity.publish(trx, after, [r.token_hash, r.previous_token_hash!])
        return true
      })
      if (done) ended.push({ name: r.name, reason })
    }
    for (const r of rows) {
      let reason: string | undefined
      if (r.overlap_ends_at! <= now) reason = 'overlap_over'
      else if (r.cutover_on_switch === 1 && (await switchSources(this.db, r.id, r.new_id, now)).every((s) => s.switched)) reason = 'callers_switched'
      if (!reason) continue
      const done = await this.audit.transact(async (trx, after) => {
        const res = await trx.updateTable('credentials')
          .set({ revoked_at: now, expires_at: sql<number>`CASE WHEN expires_at < ${now} THEN expires_at ELSE ${now} END` })
          .where('id', '=', r.id).where('revoked_at', 'is', null).executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) return false
        await this.audit.append(trx, { ip: null, userAgent: 'cut-over job' }, {
          action: 'credential.rotation_end', actor: SYSTEM, targetType: 'credential', targetName: r.name,
          targetOwnerId: r.owner_id, outcome: 'success', details: { reason, overlap_ends: isoOrNull(r.overlap_ends_at) },
        }, now)
        await this.validity.publish(trx, after, [r.token_hash])
        return true
      })
      if (done) ended.push({ name: r.name, reason })
    }
    return ended
  }
}
