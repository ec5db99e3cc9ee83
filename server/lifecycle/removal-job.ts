// Lifecycle job: removes credentials unused for two years (by last use, or creation
// if never used), whatever their state or expiry, never-expiring ones too. Each leaves a tombstone and
// an audit row; its name is free again. Bounded batches, one instance per pass on PostgreSQL.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import type { AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import type { UsageRecorder } from '../services/usage.js'
import { LockedJob } from '../db/job-lock.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'
import { REMOVAL_AFTER_DAYS } from '../../contract/lifecycle.js'
import { bury, removedColumns, type RemovedRow } from './queries.js'

const REMOVAL_LOCK = 727277
const BATCH = 200
const SYSTEM = { id: null, email: null, type: 'system' as const }
const unusedSince = sql<number>`COALESCE(last_used_at, created_at)`

export class RemovalJob extends LockedJob<string[]> {
  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly usage: UsageRecorder,
    onError: (err: unknown) => void,
  ) {
    super(db, dialect, REMOVAL_LOCK, onError)
  }

  protected async pass(now: number): Promise<string[]> {
    const cutoff = now - REMOVAL_AFTER_DAYS * DAY_MS
    const stale = () => this.db.selectFrom('credentials').select('id').where(unusedSince, '<=', cutoff).orderBy(unusedSince).limit(BATCH)
    // A use recorded on this instance but not yet written must count.
    if ((await stale().execute()).length) await this.usage.flush()
    const removed: string[] = []
    for (;;) {
      const ids = (await stale().execute()).map((r) => r.id)
      if (!ids.length) break
      const names = await this.audit.transact(async (trx, after) => {
        // The condition again: a use written since the select keeps the token; a row another pass
        // removed is simply not returned, so nothing is removed or audited twice.
        const done = await trx.deleteFrom('credentials').where('id', 'in', ids).where(unusedSince, '<=', cutoff)
          .returning(removedColumns).execute() as RemovedRow[]
        await bury(trx, done, 'unused_two_years', now)
        for (const r of done) {
          await this.audit.append(trx, { ip: null, userAgent: 'removal job' }, {
            action: 'credential.remove', actor: SYSTEM, targetType: 'credential', targetName: r.name, targetOwnerId: r.owner_id,
            outcome: 'success', details: {
              reason: 'unused_two_years', type: r.type, owner: r.owner_email, scope: r.scope, created: iso(r.created_at),
              last_used: isoOrNull(r.last_used_at), expiry: isoOrNull(r.expires_at), revoked: isoOrNull(r.revoked_at),
            },
          }, now)
        }
        await this.validity.publish(trx, after, done.map((r) => r.token_hash))
        return done.map((r) => r.name)
      })
      removed.push(...names)
      if (ids.length < BATCH || names.length === 0) break
      await new Promise((r) => setImmediate(r))
    }
    return removed
  }
}
