// npm run seed -- --tokens N: loads N credentials across 1,000 owners into the database configured as
// for `npm start` (DATA_DIR or DATABASE_URL), with a realistic mix: ~10% revoked, ~70% used (daily
// counts and sources), lifetimes of 30–365 days, creation spread over a year, a valid audit chain.
// Triggers and console indexes are set aside during the load and everything derived is rebuilt after.
import crypto from 'node:crypto'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { sql, type Kysely } from 'kysely'
import { loadConfig } from '../server/config.js'
import { migrate, openDb } from '../server/db/connection.js'
import type { Database } from '../server/db/schema.js'
import { GENESIS_HASH, rowHash } from '../server/services/audit.js'
import {
  auditIndexes, createIndexes, credentialIndexes, pgTriggers, pgTriggerTables, rebuildDerived, sqliteTriggerNames, sqliteTriggers,
} from '../server/db/migrations/003-scale.js'
import { DAY_MS } from '../server/lib/time.js'

const OWNERS = 1000
const TEAMS = ['payments', 'search', 'billing', 'platform', 'data', 'mobile', 'identity', 'edge', 'infra', 'growth']
const PURPOSES = ['ci-deploy', 'terraform', 'backup-job', 'metrics-export', 'gitops-sync', 'log-shipper', 'canary', 'batch-etl']
const ENVS = ['prod', 'staging', 'dev', 'qa']

type Row = Record<string, string | number | null>

export interface SeedResult { tokens: number; owners: number; auditRows: number; seconds: number }

function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/** Generates the rows in batches; `write` stores each batch. Audit rows chain from (lastId, lastHash). */
async function generate(n: number, now: number, last: { id: number; hash: string }, write: (table: string, rows: Row[]) => Promise<void>) {
  const rand = rng(n)
  const run = crypto.randomBytes(3).toString('hex')
  const owners: Array<{ id: string; email: string; kind: string }> = []
  const users: Row[] = []
  for (let i = 0; i < OWNERS; i++) {
    const service = i % 10 === 9
    const id = crypto.randomUUID()
    const email = service ? `svc-${run}-${i}@serviceaccounts.tenant` : `dev-${run}-${i}@example.com`
    owners.push({ id, email, kind: service ? 'service' : 'user' })
    users.push({ id, email, name: service ? `svc-${run}-${i}` : `Developer ${i}`, role: service ? 'auditor' : 'developer', kind: service ? 'service' : 'user', password_hash: null, disabled: 0, created_at: now - 400 * DAY_MS, updated_at: now - 400 * DAY_MS, last_login_at: null })
  }
  await write('users', users)
  let { id: auditId, hash: prev } = last
  const audit = (at: number, action: string, o: { id: string; email: string }, name: string, details: string): Row => {
    const row = { at, actor_id: o.id, actor_email: o.email, actor_type: 'user', credential_name: null, action, target_type: 'credential', target_name: name, target_owner_id: o.id, outcome: 'success', source_ip: '10.0.0.1', user_agent: 'seed', details }
    auditId++
    const hash = rowHash({ ...row, id: auditId } as never, prev)
    const out = { ...row, id: auditId, prev_hash: prev, hash }
    prev = hash
    return out
  }
  const step = (365 * DAY_MS) / n
  const revokes: Array<{ at: number; o: { id: string; email: string }; name: string }> = []
  const BATCH = 1000
  for (let start = 0; start < n; start += BATCH) {
    const creds: Row[] = []
    const events: Row[] = []
    const daily: Row[] = []
    const sources: Row[] = []
    for (let i = start; i < Math.min(n, start + BATCH); i++) {
      const o = owners[Math.floor(rand() * OWNERS)]
      const createdAt = Math.floor(now - 365 * DAY_MS + i * step)
      const lifetime = 30 + Math.floor(rand() * 336)
      const expiresAt = createdAt + lifetime * DAY_MS
      const revoked = rand() < 0.1
      const revokedAt = revoked ? Math.min(now - 1000, createdAt + Math.floor(rand() * lifetime * DAY_MS)) : null
      const used = rand() < 0.7
      const lastUsed = used ? Math.min(now - 1000, revokedAt ?? now, createdAt + Math.floor(rand() * (Math.min(now, expiresAt) - createdAt))) : null
      const name = `${TEAMS[i % TEAMS.length]}-${PURPOSES[(i >> 3) % PURPOSES.length]}-${ENVS[(i >> 6) % ENVS.length]}-${run}-${i.toString(36)}`
      const id = crypto.randomUUID()
      const type = o.kind === 'service' ? 'SERVICE_API_TOKEN' : 'API_TOKEN'
      creds.push({
        id, name, uid: crypto.randomUUID(), type, owner_id: o.id, created_by: o.id, description: `${TEAMS[i % TEAMS.length]} ${PURPOSES[i % PURPOSES.length]} token`,
        scope: i % 5 === 0 ? 'read_only' : 'full_access', permissions: '[]', namespace_roles: type === 'SERVICE_API_TOKEN' ? '[{"namespace":"system","role":"ves-io-monitor"}]' : '[]',
        token_hash: crypto.randomBytes(32).toString('hex'), token_last4: 'seed', lifetime_days: lifetime, created_at: createdAt, expires_at: expiresAt,
        revoked_at: revokedAt, revoked_by: revoked ? o.id : null, last_used_at: lastUsed, last_used_ip: used ? '10.1.2.3' : null,
        last_used_user_agent: used ? 'terraform/1.9' : null, rotated_from: null, replaced_by: null,
        state: revoked ? 'revoked' : 'live', owner_email: o.email,
      })
      events.push(audit(createdAt, 'credential.create', o, name, `{"type":"${type}","expiration_days":${lifetime}}`))
      if (revoked) revokes.push({ at: revokedAt!, o, name })
      if (used) {
        const days = 1 + Math.floor(rand() * 3)
        for (let d = 0; d < days; d++) daily.push({ credential_id: id, day: new Date(lastUsed! - d * DAY_MS).toISOString().slice(0, 10), count: 1 + Math.floor(rand() * 500) })
        sources.push({ credential_id: id, ip: '10.1.2.3', user_agent: 'terraform/1.9', first_seen: createdAt, last_seen: lastUsed, count: 10 })
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

export async function seed(tokens: number, opts: { dataDir: string; databaseUrl?: string; quiet?: boolean }): Promise<SeedResult> {
  const t0 = Date.now()
  const log = (what: string) => { if (!opts.quiet) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`) }
  const conn = openDb(opts)
  await migrate(conn)
  const db = conn.db as unknown as Kysely<unknown>
  const lastRow = await conn.db.selectFrom('audit_events').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst()
  const last = { id: Number(lastRow?.id ?? 0), hash: lastRow?.hash ?? GENESIS_HASH }
  const dropIndexes = async () => {
    for (const [name] of [...credentialIndexes, ...auditIndexes]) await sql.raw(`DROP INDEX IF EXISTS ${name}`).execute(db)
  }
  let auditRows = 0
  if (conn.dialect === 'sqlite') {
    await conn.close()
    const file = path.join(opts.dataDir, 'token-console.sqlite')
    const lite = new SQLite(file)
    lite.pragma('journal_mode = WAL')
    lite.pragma('synchronous = OFF')
    lite.pragma('cache_size = -262144')
    for (const name of sqliteTriggerNames) lite.exec(`DROP TRIGGER IF EXISTS ${name}`)
    // The audit log refuses updates and deletes, never inserts: its own triggers stay.
    for (const [name] of [...credentialIndexes, ...auditIndexes]) lite.exec(`DROP INDEX IF EXISTS ${name}`)
    const stmts = new Map<string, SQLite.Statement>()
    const insert = (table: string, rows: Row[]) => {
      if (!rows.length) return
      const cols = Object.keys(rows[0])
      let st = stmts.get(table)
      if (!st) {
        st = lite.prepare(`INSERT INTO ${table} (${cols.join(',')}) VALUES (${cols.map((c) => '@' + c).join(',')})`)
        stmts.set(table, st)
      }
      for (const r of rows) st.run(r)
    }
    lite.exec('BEGIN')
    auditRows = await generate(tokens, Date.now(), last, async (table, rows) => insert(table, rows))
    lite.exec('COMMIT')
    lite.close()
    log(`rows written`)
    const again = openDb(opts)
    const adb = again.db as unknown as Kysely<unknown>
    await createIndexes(adb, credentialIndexes, 'credentials')
    await createIndexes(adb, auditIndexes, 'audit_events')
    log('indexes built')
    await rebuildDerived(adb, 'sqlite')
    log('counters, search and roll-ups rebuilt')
    for (const tr of sqliteTriggers) await sql.raw(tr).execute(adb)
    await sql`ANALYZE`.execute(adb)
    await again.close()
  } else {
    await dropIndexes()
    for (const [name, table] of Object.entries(pgTriggerTables)) await sql.raw(`DROP TRIGGER IF EXISTS ${name} ON ${table}`).execute(db)
    auditRows = await generate(tokens, Date.now(), last, async (table, rows) => {
      for (let i = 0; i < rows.length; i += 1000) await (conn.db as Kysely<Database>).insertInto(table as 'users').values(rows.slice(i, i + 1000) as never).execute()
    })
    // Ids were given explicitly: move the sequence past them.
    await sql`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), (SELECT max(id) FROM audit_events))`.execute(db)
    await createIndexes(db, credentialIndexes, 'credentials')
    await createIndexes(db, auditIndexes, 'audit_events')
    await rebuildDerived(db, 'postgres')
    for (const tr of pgTriggers) await sql.raw(tr).execute(db)
    await sql`ANALYZE`.execute(db)
    await conn.close()
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
