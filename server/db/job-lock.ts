// Runs a background job pass on one instance at a time: on PostgreSQL under a session advisory lock
// tried (never waited for) on one pooled connection; SQLite has one process per file, so it just runs.
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { Dialect } from './connection.js'
import { Schedule } from '../lib/schedule.js'

export async function withJobLock<T>(db: Kysely<Database>, dialect: Dialect, lockId: number, skipped: T, fn: () => Promise<T>): Promise<T> {
  if (dialect !== 'postgres') return fn()
  return db.connection().execute(async (conn) => {
    const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${sql.lit(lockId)}) AS ok`.execute(conn)
    if (!got.rows[0]?.ok) return skipped
    try {
      return await fn()
    } finally {
      await sql`SELECT pg_advisory_unlock(${sql.lit(lockId)})`.execute(conn)
    }
  })
}

/**
 * A lifecycle job: `pass(now)` on a Schedule, run on one instance at a time under `lockId`. Tests
 * call run(now) with a controllable clock; an instance that finds another running it gets [].
 */
export abstract class LockedJob<T extends readonly unknown[]> {
  private readonly schedule: Schedule

  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: Dialect,
    private readonly lockId: number,
    onError: (err: unknown) => void,
  ) {
    this.schedule = new Schedule(() => this.run(), onError)
  }

  start(intervalMs: number) {
    this.schedule.start(intervalMs)
  }

  stop() {
    return this.schedule.stop()
  }

  /** One pass: what it changed, or nothing on an instance that found another running it. */
  run(now = Date.now()): Promise<T> {
    return withJobLock(this.db, this.dialect, this.lockId, [] as unknown as T, () => this.pass(now))
  }

  protected abstract pass(now: number): Promise<T>
}
