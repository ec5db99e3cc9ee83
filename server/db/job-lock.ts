// Runs a background job pass on one instance at a time: on PostgreSQL under a session advisory lock
// tried (never waited for) on one pooled connection; SQLite has one process per file, so it just runs.
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { Dialect } from './connection.js'

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
