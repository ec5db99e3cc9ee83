// Lifecycle job: ends tokens unused for longer than the policy's idle timeout (their expiry is set to
// now, so renew brings one back), in bounded batches, each change audited; one instance per pass.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import type { AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import type { UsageRecorder } from '../services/usage.js'
import { LockedJob } from '../db/job-lock.js'
import { DAY_MS, isoOrNull } from '../lib/time.js'
import type { PolicyService } from './service.js'

const IDLE_LOCK = 727276
const BATCH = 500
const SYSTEM = { id: null, email: null, type: 'system' as const }

export class IdleJob extends LockedJob<string[]> {
  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly policy: PolicyService,
    private readonly usage: UsageRecorder,
    onError: (err: unknown) => void,
  ) {
    super(db, dialect, IDLE_LOCK, onError)
  }

  protected async pass(now: number): Promise<string[]> {
    const rules = await this.policy.current()
    if (rules.idle_timeout_days === null) return []
    const days = rules.idle_timeout_days
    const cutoff = now - days * DAY_MS
    const idle = () => this.db.selectFrom('credentials').select('id').where('state', 'in', ['live', 'disabled'])
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where(sql`COALESCE(last_used_at, created_at)`, '<=', cutoff).limit(BATCH)
    // A use recorded on this instance but not yet written must count.
    if ((await idle().execute()).length) await this.usage.flush()
    const ended: string[] = []
    for (;;) {
      const ids = (await idle().execute()).map((r) => r.id)
      if (!ids.length) break
      const changed = await this.audit.transact(async (trx, after) => {
        const done = await trx.updateTable('credentials').set({ expires_at: now }).where('id', 'in', ids).where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .where(sql`COALESCE(last_used_at, created_at)`, '<=', cutoff)
          .returning(['name', 'owner_id', 'token_hash', 'last_used_at']).execute()
        for (const r of done) {
          await this.audit.append(trx, { ip: null, userAgent: 'idle job' }, {
            action: 'credential.idle_end', actor: SYSTEM, targetType: 'credential', targetName: r.name, targetOwnerId: r.owner_id,
            outcome: 'success', details: { idle_timeout_days: days, last_used: isoOrNull(r.last_used_at) },
          }, now)
          ended.push(r.name)
        }
        await this.validity.publish(trx, after, done.map((r) => r.token_hash))
        return done.length
      })
      if (ids.length < BATCH || changed === 0) break
      await new Promise((r) => setImmediate(r))
    }
    return ended
  }
}
