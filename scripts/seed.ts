// npm run seed -- --tokens N: loads N credentials across 1,000 owners into the database configured as
// for `npm start` (DATA_DIR or DATABASE_URL), with a realistic mix: ~10% revoked, ~70% used (daily
// counts and sources), lifetimes of 30–365 days, creation spread over a year, a valid audit chain.
// Triggers and console indexes are set aside during the load and everything derived is rebuilt after;
// rows go in creation order (UUIDv7 ids) so the unique indexes that stay grow at their right edge.
import crypto from 'node:crypto'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, SqliteDialect } from 'kysely'
import { loadConfig } from '../server/config.js'
import { migrate, openDb, type Db } from '../server/db/connection.js'
import { GENESIS_HASH, rowHash } from '../server/services/audit.js'
import {
  auditIndexes, createIndexes, credentialIndexes, pgTriggers, pgTriggerTables, rebuildDerived, sqliteTriggerNames, sqliteTriggers,
} from '../server/db/migrations/003-scale.js'
import { DAY_MS } from '../server/lib/time.js'
import { statusWalkIndexes } from '../server/db/migrations/011-status-walks.js'

const OWNERS = 1000
const TEAMS = ['payments', 'search', 'billing', 'platform', 'data', 'mobile', 'identity', 'edge', 'infra', 'growth']
const PURPOSES = ['ci-deploy', 'terraform', 'backup-job', 'metrics-export', 'gitops-sync', 'log-shipper', 'canary', 'batch-etl']
const ENVS = ['prod', 'staging', 'dev', 'qa']

type Cell = string | number | null

export interface SeedResult { tokens: number; owners: number; auditRows: number; seconds: number }

function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/**
 * A UUIDv7 (RFC 9562) for a row created at `ms`: rows are generated in creation order, so every
 * unique index on an id grows at its right edge instead of taking a random page per insert.
 */
function uuidAt(ms: number, r: Buffer, o: number): string {
  const t = ms.toString(16).padStart(12, '0')
  const h = r.toString('hex', o, o + 10)
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-${((parseInt(h[3], 16) & 3) | 8).toString(16)}${h.slice(4, 7)}-${h.slice(7, 19)}`
}

export const credentialCols = [
  'id', 'name', 'uid', 'type', 'owner_id', 'created_by', 'description', 'scope', 'permissions', 'namespace_roles',
  'token_hash', 'token_last4', 'lifetime_days', 'created_at', 'expires_at', 'revoked_at', 'revoked_by', 'last_used_at',
  'last_used_ip', 'last_used_user_agent', 'rotated_from', 'replaced_by', 'state', 'owner_email',
] as const
const auditCols = ['id', 'at', 'actor_id', 'actor_email', 'actor_type', 'credential_name', 'action', 'target_type', 'target_name',
  'target_owner_id', 'outcome', 'source_ip', 'user_agent', 'details', 'prev_hash', 'hash'] as const
const userCols = ['id', 'email', 'name', 'role', 'kind', 'password_hash', 'disabled', 'created_at', 'updated_at', 'last_login_at'] as const
export const seedColumns: Record<string, readonly string[]> = {
  users: userCols, credentials: credentialCols, audit_events: auditCols,
  usage_daily: ['credential_id', 'day', 'count'], usage_sources: ['credential_id', 'ip', 'user_agent', 'first_seen', 'last_seen', 'count'],
}

/**
 * Generates the rows in batches as arrays in `seedColumns` order; `write` stores each batch.
 * Credentials (and their usage rows) come in creation order; audit rows chain from (lastId, lastHash).
 */
async function generate(n: number, now: number, last: { id: number; hash: string }, write: (table: string, rows: Cell[][]) => Promise<void>) {
  const rand = rng(n)
  const run = crypto.randomBytes(3).toString('hex')
  const owners: Array<{ id: string; email: string; kind: string }> = []
  const users: Cell[][] = []
  for (let i = 0; i < OWNERS; i++) {
    const service = i % 10 === 9
    const id = crypto.randomUUID()
    const email = service ? `svc-${run}-${i}@serviceaccounts.tenant` : `dev-${run}-${i}@example.com`
    owners.push({ id, email, kind: service ? 'service' : 'user' })
    users.push([id, email, service ? `svc-${run}-${i}` : `Developer ${i}`, service ? 'auditor' : 'developer', service ? 'service' : 'user', null, 0, now - 400 * DAY_MS, now - 400 * DAY_MS, null])
  }
  await write('users', users)
  let { id: auditId, hash: prev } = last
  const audit = (at: number, action: string, o: { id: string; email: string }, name: string, details: string): Cell[] => {
    const row = { at, actor_id: o.id, actor_email: o.email, actor_type: 'user', credential_name: null, action, target_type: 'credential', target_name: name, target_owner_id: o.id, outcome: 'success', source_ip: '10.0.0.1', user_agent: 'seed', details }
    auditId++
    const hash = rowHash({ ...row, id: auditId } as never, prev)
    const out: Cell[] = [auditId, at, o.id, o.email, 'user', null, action, 'credential', name, o.id, 'success', '10.0.0.1', 'seed', details, prev, hash]
    prev = hash
    return out
  }
  const step = (365 * DAY_MS) / n
  // Seeded credentials have no token, so their hash is a stand-in: random, but led by the row's
  // position so the unique index on it is filled in order (like the ids above).
  const hashStride = Math.floor(2 ** 48 / (n + 1))
  const revokes: Array<{ at: number; o: { id: string; email: string }; name: string }> = []
  const BATCH = 10_000
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(n, start + BATCH) - start
    const random = crypto.randomBytes(count * 46)
    const creds: Cell[][] = []
    const events: Cell[][] = []
    const daily: Cell[][] = []
    const sources: Cell[][] = []
    for (let i = start; i < start + count; i++) {
      const ro = (i - start) * 46
      const o = owners[Math.floor(rand() * OWNERS)]
      const createdAt = Math.floor(now - 365 * DAY_MS + i * step)
      const lifetime = 30 + Math.floor(rand() * 336)
      const expiresAt = createdAt + lifetime * DAY_MS
      const revoked = rand() < 0.1
      const revokedAt = revoked ? Math.min(now - 1000, createdAt + Math.floor(rand() * lifetime * DAY_MS)) : null
      const used = rand() < 0.7
      const lastUsed = used ? Math.min(now - 1000, revokedAt ?? now, createdAt + Math.floor(rand() * (Math.min(now, expiresAt) - createdAt))) : null
      const team = TEAMS[i % TEAMS.length]
      const name = `${team}-${PURPOSES[(i >> 3) % PURPOSES.length]}-${ENVS[(i >> 6) % ENVS.length]}-${run}-${i.toString(36)}`
      const id = uuidAt(createdAt, random, ro)
      const type = o.kind === 'service' ? 'SERVICE_API_TOKEN' : 'API_TOKEN'
      const tokenHash = ((i + 1) * hashStride).toString(16).padStart(12, '0') + random.toString('hex', ro + 20, ro + 46)
      creds.push([
        id, name, uuidAt(createdAt, random, ro + 10), type, o.id, o.id, `${team} ${PURPOSES[i % PURPOSES.length]} token`,
        i % 5 === 0 ? 'read_only' : 'full_access', '[]', type === 'SERVICE_API_TOKEN' ? '[{"namespace":"system","role":"ves-io-monitor"}]' : '[]',
        tokenHash, 'seed', lifetime, createdAt, expiresAt,
        revokedAt, revoked ? o.id : null, lastUsed, used ? '10.1.2.3' : null,
        used ? 'terraform/1.9' : null, null, null, revoked ? 'revoked' : 'live', o.email,
      ])
      events.push(audit(createdAt, 'credential.create', o, name, `{"type":"${type}","expiration_days":${lifetime}}`))
      if (revoked) revokes.push({ at: revokedAt!, o, name })
      if (used) {
        const days = 1 + Math.floor(rand() * 3)
        // Oldest day first: the (credential_id, day) key grows in order.
        for (let d = days - 1; d >= 0; d--) daily.push([id, new Date(lastUsed! - d * DAY_MS).toISOString().slice(0, 10), 1 + Math.floor(rand() * 500)])
        sources.push([id, '10.1.2.3', 'terraform/1.9', createdAt, lastUsed, 10])
      }
    }
    await write('credentials', creds)
    await write('audit_events', events)
    await write('usage_daily', daily)
    await write('usage_sources', sources)
  }
  revokes.sort((a, b) => a.at - b.at)
  for (let i = 0; i < revokes.length; i += BATCH) {
    await write('audit_events', revokes.slice(i, i + BATCH).map((r) => audit(r.at, 'credential.revoke', r.o, r.name, '{}')))
  }
  return auditId - last.id
}

/** SQLite: one connection, no journal and no syncs while loading (a crash mid-seed means seed again), then WAL again. */
async function seedSqlite(tokens: number, file: string, last: { id: number; hash: string }, log: (what: string) => void) {
  const lite = new SQLite(file)
  lite.pragma('journal_mode = DELETE')
  lite.pragma('journal_mode = OFF')
  lite.pragma('synchronous = OFF')
  lite.pragma('locking_mode = EXCLUSIVE')
  lite.pragma('cache_size = -524288')
  lite.pragma('temp_store = MEMORY')
  lite.pragma('threads = 2')
  for (const name of sqliteTriggerNames) lite.exec(`DROP TRIGGER IF EXISTS ${name}`)
  // The audit log refuses updates and deletes, never inserts: its own triggers stay.
  for (const [name] of [...credentialIndexes, ...statusWalkIndexes, ...auditIndexes, ...auditBaseIndexes]) lite.exec(`DROP INDEX IF EXISTS ${name}`)
  // Many rows per statement: one bind and step per 50 rows instead of per row.
  const PER = 50
  const stmts = new Map<string, SQLite.Statement>()
  const prepared = (table: string, k: number) => {
    let st = stmts.get(`${table}:${k}`)
    if (!st) {
      const cols = seedColumns[table]
      const one = `(${cols.map(() => '?').join(',')})`
      st = lite.prepare(`INSERT INTO ${table} (${cols.join(',')}) VALUES ${Array(k).fill(one).join(',')}`)
      stmts.set(`${table}:${k}`, st)
    }
    return st
  }
  const insert = (table: string, rows: Cell[][]) => {
    let i = 0
    for (const full = prepared(table, PER); i + PER <= rows.length; i += PER) full.run(rows.slice(i, i + PER).flat())
    if (i < rows.length) prepared(table, rows.length - i).run(rows.slice(i).flat())
  }
  lite.exec('BEGIN')
  const auditRows = await generate(tokens, Date.now(), last, async (table, rows) => insert(table, rows))
  lite.exec('COMMIT')
  log('rows written')
  const adb = new Kysely<unknown>({ dialect: new SqliteDialect({ database: lite }) })
  lite.exec('BEGIN')
  await rebuildDerived(adb, 'sqlite')
  lite.exec('COMMIT')
  log('counters, search and roll-ups rebuilt')
  lite.exec('BEGIN')
  await createIndexes(adb, [...credentialIndexes, ...statusWalkIndexes], 'credentials')
  await createIndexes(adb, [...auditBaseIndexes, ...auditIndexes], 'audit_events')
  for (const tr of sqliteTriggers) lite.exec(tr)
  lite.exec('COMMIT')
  log('indexes built')
  lite.exec('ANALYZE')
  lite.pragma('locking_mode = NORMAL')
  lite.pragma('journal_mode = WAL')
  lite.pragma('synchronous = FULL')
  lite.close()
  return auditRows
}

/** PostgreSQL: one transaction, 10k rows per INSERT … SELECT FROM unnest(one array per column). */
async function seedPostgres(tokens: number, conn: Db, databaseUrl: string, last: { id: number; hash: string }, log: (what: string) => void) {
  const db = conn.db as unknown as Kysely<unknown>
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const types = new Map<string, string>()
    const res = await client.query<{ table_name: string; column_name: string; udt_name: string }>(
      `SELECT table_name, column_name, udt_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)`, [Object.keys(seedColumns)])
    for (const r of res.rows) types.set(`${r.table_name}.${r.column_name}`, r.udt_name)
    await client.query('BEGIN')
    await client.query('SET LOCAL synchronous_commit = off')
    for (const [name] of [...credentialIndexes, ...statusWalkIndexes, ...auditIndexes, ...auditBaseIndexes, ...pgSearchIndexes]) await client.query(`DROP INDEX IF EXISTS ${name}`)
    for (const [name, table] of Object.entries(pgTriggerTables)) await client.query(`DROP TRIGGER IF EXISTS ${name} ON ${table}`)
    const auditRows = await generate(tokens, Date.now(), last, async (table, rows) => {
      const cols = seedColumns[table]
      const arrays = cols.map((_, c) => rows.map((r) => r[c]))
      const sel = cols.map((c, k) => `$${k + 1}::${types.get(`${table}.${c}`)}[]`).join(',')
      await client.query(`INSERT INTO ${table} (${cols.join(',')}) SELECT * FROM unnest(${sel})`, arrays)
    })
    // Ids were given explicitly: move the sequence past them.
    await client.query(`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), (SELECT max(id) FROM audit_events))`)
    await client.query('COMMIT')
    log('rows written')
    await client.query(`SET maintenance_work_mem = '256MB'`)
    for (const [name, cols, table] of [
      ...[...credentialIndexes, ...statusWalkIndexes].map(([n, c]) => [n, c, 'credentials']), ...[...auditBaseIndexes, ...auditIndexes].map(([n, c]) => [n, c, 'audit_events']),
      ...pgSearchIndexes.map(([n, c]) => [n, c, 'credentials']),
    ]) await client.query(`CREATE INDEX IF NOT EXISTS ${name} ON ${table} ${cols}`)
    log('indexes built')
    await rebuildDerived(db, 'postgres')
    for (const tr of pgTriggers) await client.query(tr)
    log('counters and roll-ups rebuilt')
    await client.query('ANALYZE')
    return auditRows
  } finally {
    await client.end()
  }
}

/** The audit log's own indexes from 001-initial (same names and keys); rebuilt after the load like the rest. */
const auditBaseIndexes: Array<[string, string]> = [
  ['audit_at_idx', '(at)'], ['audit_target_idx', '(target_name, at)'], ['audit_owner_idx', '(target_owner_id, at)'],
]

/** The trigram indexes search reads on PostgreSQL; dropped and rebuilt around a bulk load. */
const pgSearchIndexes: Array<[string, string]> = [
  ['credentials_name_trgm', 'USING gin (name gin_trgm_ops)'],
  ['credentials_description_trgm', 'USING gin (description gin_trgm_ops)'],
]

export async function seed(tokens: number, opts: { dataDir: string; databaseUrl?: string; quiet?: boolean }): Promise<SeedResult> {
  const t0 = Date.now()
  const log = (what: string) => { if (!opts.quiet) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`) }
  const conn = openDb(opts)
  await migrate(conn)
  const lastRow = await conn.db.selectFrom('audit_events').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst()
  const last = { id: Number(lastRow?.id ?? 0), hash: lastRow?.hash ?? GENESIS_HASH }
  let auditRows: number
  if (conn.dialect === 'sqlite') {
    await conn.close()
    auditRows = await seedSqlite(tokens, path.join(opts.dataDir, 'token-console.sqlite'), last, log)
  } else {
    try {
      auditRows = await seedPostgres(tokens, conn, opts.databaseUrl!, last, log)
    } finally {
      await conn.close()
    }
  }
  return { tokens, owners: OWNERS, auditRows, seconds: (Date.now() - t0) / 1000 }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('scripts', 'seed.ts'))
if (isMain) {
  const i = process.argv.indexOf('--tokens')
  const n = i > 0 ? Number(process.argv[i + 1]) : 10_000
  if (!Number.isInteger(n) || n < 1) {
    console.error('usage: npm run seed -- --tokens N')
    process.exit(2)
  }
  const config = loadConfig(process.env)
  const r = await seed(n, { dataDir: config.dataDir, databaseUrl: config.databaseUrl })
  console.log(`seeded ${r.tokens} credentials across ${r.owners} owners, ${r.auditRows} audit rows, in ${r.seconds.toFixed(1)} s`)
}
