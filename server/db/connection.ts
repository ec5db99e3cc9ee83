// Opens SQLite (default, under DATA_DIR) or PostgreSQL (DATABASE_URL) behind one Kysely query layer.
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import SQLite from 'better-sqlite3'
import { createRequire } from 'node:module'
import type pg from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely'
import type { Database } from './schema.js'
import { initial } from './migrations/001-initial.js'
import { savedSearches } from './migrations/002-saved-searches.js'
import { scale } from './migrations/003-scale.js'
import { governance } from './migrations/004-governance.js'
import { pki } from './migrations/005-pki.js'
import { specFields } from './migrations/006-spec-fields.js'
import { reauth } from './migrations/007-reauth.js'
import { notifications } from './migrations/008-notifications.js'
import { webhooks } from './migrations/009-webhooks.js'
import { tombstones } from './migrations/010-tombstones.js'
import { statusWalks } from './migrations/011-status-walks.js'
import { bulkRevokes } from './migrations/012-bulk-revokes.js'
import { auditCheckpoints } from './migrations/013-audit-checkpoints.js'
import { identity } from './migrations/014-identity.js'
import { oidc } from './migrations/015-oidc.js'
import { scim } from './migrations/016-scim.js'
import { rotationSecrets } from './migrations/017-rotation-secrets.js'
import { leakedIndex } from './migrations/018-leaked-index.js'
import { tokenLimits } from './migrations/021-token-limits.js'
import { userSearch } from './migrations/019-user-search.js'
import { permissionCatalog } from './migrations/020-permission-catalog.js'
import { mapReadError, registerReader, SqliteReadPool, sqliteReadDb } from './read-pool.js'

export type Dialect = 'sqlite' | 'postgres'

export interface Db {
  db: Kysely<Database>
  /**
   * Where console and export reads go: worker threads on SQLite, a separate pool with a statement
   * timeout on PostgreSQL. Never used by the token check, so the two never share a queue.
   */
  read: Kysely<Database>
  dialect: Dialect
  /** Where the data lives, for logs: a file path or the PostgreSQL host/database. */
  location: string
  close(): Promise<void>
}

/**
 * The PostgreSQL driver, loaded on first use: a SQLite deployment never pays the ~150 ms it takes
 * to load (a third of the server's cold start).
 */
let pgModule: typeof pg | undefined
export function loadPg(): typeof pg {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)('pg') as typeof pg
    // int8 (bigint) and numeric come back as strings by default; our values fit in a double.
    pgModule.types.setTypeParser(20, (v) => Number(v))
  }
  return pgModule
}

const isLocalHost = (host: string | undefined) =>
  !host || host.startsWith('/') || host === 'localhost' || host === '127.0.0.1' || host === '::1'

/** Console reads (Config's consoleQueryTimeoutMs, consoleReadThreads, consoleReadNice); scripts take the defaults. */
export interface ReadSettings { timeoutMs: number; threads: number; nice: number }
const defaultReads: ReadSettings = { timeoutMs: 2000, threads: 2, nice: 19 }

export function openDb(opts: { dataDir: string; databaseUrl?: string; reads?: Partial<ReadSettings> }): Db {
  const reads = { ...defaultReads, ...opts.reads }
  const timeoutMs = reads.timeoutMs
  if (opts.databaseUrl) {
    const pg = loadPg()
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 })
    // An idle connection can fail (server restart, failover); the pool replaces it. Without a
    // listener that error would end the process.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL connection dropped: ${err.message}`))
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    const readPool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4, options: `-c statement_timeout=${timeoutMs}` })
    readPool.on('error', (err) => process.emitWarning(`PostgreSQL read connection dropped: ${err.message}`))
    const read = new Kysely<Database>({ dialect: new PostgresDialect({ pool: timedPool(readPool, timeoutMs, reads.nice) }) })
    registerReader(db, read)
    const url = new URL(opts.databaseUrl)
    return {
      db, read, dialect: 'postgres', location: `postgres://${url.host}${url.pathname}`,
      close: async () => { await read.destroy(); await db.destroy() },
    }
  }
  // The database holds token hashes, sessions and the audit log: like the key files, for the
  // server's user only. A folder we create is 0700; an operator's own folder keeps its mode.
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
  const file = path.join(opts.dataDir, 'token-console.sqlite')
  ownerOnly(file)
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  // SQLite gives the -wal and -shm files the database file's mode; these catch any left by an older
  // version or another tool.
  ownerOnly(`${file}-wal`, false)
  ownerOnly(`${file}-shm`, false)
  // FULL makes every commit durable in WAL mode (NORMAL may lose the last commits on power loss).
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
  const pool = new SqliteReadPool(file, reads.threads, timeoutMs, reads.nice)
  const read = sqliteReadDb(pool)
  registerReader(db, read, pool)
  return { db, read, dialect: 'sqlite', location: file, close: async () => { await read.destroy(); await db.destroy() } }
}

/**
 * Makes `file` 0600: created empty with that mode when `create` and missing (so SQLite never makes
 * it with the umask's 0644), tightened when it exists with any group or other bit.
 */
function ownerOnly(file: string, create = true) {
  try {
    if (create) fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600))
    if (fs.statSync(file).mode & 0o077) fs.chmodSync(file, 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !create) return
    throw err
  }
}

/**
 * A pg pool whose clients turn a statement_timeout cancel into the console's clear error. When the
 * database runs on this machine and this process may (same user, or CAP_SYS_NICE), each console
 * connection's backend process is lowered to `nice` like the SQLite read threads, so console queries
 * do not take the core from token checks; on another machine, or without permission, nothing changes.
 */
function timedPool(pool: pg.Pool, timeoutMs: number, nice: number) {
  const wrapped = new WeakSet<pg.PoolClient>()
  return {
    async connect() {
      const client = await pool.connect()
      if (!wrapped.has(client)) {
        wrapped.add(client)
        if (nice > 0 && isLocalHost(client.host)) {
          // The backend's process id came with the connection (BackendKeyData): no query needed.
          const pid = (client as unknown as { processID?: number | null }).processID
          try {
            if (pid) os.setPriority(pid, nice)
          } catch { /* not ours to lower: the backend keeps its priority */ }
        }
        const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>
        ;(client as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = (...a: unknown[]) =>
          query(...a).catch((err: unknown) => { throw mapReadError(err, timeoutMs) })
      }
      return client
    },
    end: () => pool.end(),
  }
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
    '003-scale': scale(conn.dialect),
    '004-governance': governance,
    '005-pki': pki,
    '006-spec-fields': specFields,
    '007-reauth': reauth,
    '008-notifications': notifications,
    '009-webhooks': webhooks,
    '010-tombstones': tombstones,
    '011-status-walks': statusWalks,
    '012-bulk-revokes': bulkRevokes,
    '013-audit-checkpoints': auditCheckpoints(conn.dialect),
    '014-identity': identity,
    '015-oidc': oidc,
    '016-scim': scim,
    '017-rotation-secrets': rotationSecrets,
    '018-leaked-index': leakedIndex,
    '021-token-limits': tokenLimits,
    '019-user-search': userSearch(conn.dialect),
    '020-permission-catalog': permissionCatalog,
  }
  const migrator = new Migrator({
    db: conn.db,
    provider: { getMigrations: async () => migrations },
    // 016 landed after 017 and 018: a database already past them still gets it.
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
