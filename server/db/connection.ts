// Opens SQLite (default, under DATA_DIR) or PostgreSQL (DATABASE_URL) behind one Kysely query layer.
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely'
import type { Database } from './schema.js'
import { initial } from './migrations/001-initial.js'
import { savedSearches } from './migrations/002-saved-searches.js'

export type Dialect = 'sqlite' | 'postgres'

export interface Db {
  db: Kysely<Database>
  dialect: Dialect
  /** Where the data lives, for logs: a file path or the PostgreSQL host/database. */
  location: string
  close(): Promise<void>
}

// int8 (bigint) and numeric come back as strings by default; our values fit in a double.
pg.types.setTypeParser(20, (v) => Number(v))

export function openDb(opts: { dataDir: string; databaseUrl?: string }): Db {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 })
    // An idle connection can fail (server restart, failover); the pool replaces it. Without a
    // listener that error would end the process.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL connection dropped: ${err.message}`))
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    const url = new URL(opts.databaseUrl)
    return { db, dialect: 'postgres', location: `postgres://${url.host}${url.pathname}`, close: () => db.destroy() }
  }
  fs.mkdirSync(opts.dataDir, { recursive: true })
  const file = path.join(opts.dataDir, 'token-console.sqlite')
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  // FULL makes every commit durable in WAL mode (NORMAL may lose the last commits on power loss).
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() }
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small indexed query, so
 * prepared statements are kept by SQL text. Kysely runs one query at a time on this connection,
 * so a cached statement is never in use twice.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500) {
  const cache = new Map<string, SQLite.Statement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql)
      if (!stmt) {
        stmt = sqlite.prepare(sql)
        if (cache.size >= max) cache.delete(cache.keys().next().value!)
        cache.set(sql, stmt)
      }
      return stmt
    },
  }
}

export async function migrate(conn: Db): Promise<string[]> {
  const migrations: Record<string, Migration> = {
    '001-initial': initial(conn.dialect),
    '002-saved-searches': savedSearches,
  }
  const migrator = new Migrator({
    db: conn.db,
    provider: { getMigrations: async () => migrations },
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
