// Uses are gathered in memory and written in batches; counts are exact after a flush; recording
// never fails a check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { Kysely, PostgresDialect, sql } from 'kysely'
import type { Database } from '../../server/db/schema.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { openDb } from '../../server/db/connection.js'
import { API, call, createToken, signedIn, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
})
afterAll(async () => { await t.close() })

describe('usage batching', () => {
  it('turns 1,000 checks of one token into a handful of writes, with exact counts after a flush', async () => {
    const { name, token } = await createToken(t.app, admin)
    await t.services.usage.flush()
    const before = { ...t.services.usage.stats }
    for (let i = 0; i < 1000; i++) {
      const res = await t.app.inject({ url: '/api/verify', headers: { authorization: `Bearer ${token}`, 'user-agent': i % 2 ? 'terraform/1.9' : 'curl/8.5' } })
      expect(res.statusCode).toBe(204)
    }
    // Nothing is written until the flush: the row still says never used.
    const row = await t.services.db.db.selectFrom('credentials').select('last_used_at').where('name', '=', name).executeTakeFirstOrThrow()
    expect(row.last_used_at).toBeNull()
    await t.services.usage.flush()
    expect(t.services.usage.stats.flushes - before.flushes).toBeLessThanOrEqual(2)
    expect(t.services.usage.stats.writes - before.writes).toBe(1)
    const usage = (await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials/${name}/usage` })).json()
    expect(usage.total_uses_90d).toBe(1000)
    expect(usage.daily).toHaveLength(90)
    expect(usage.daily.at(-1).count).toBe(1000)
    expect(usage.never_used).toBe(false)
    expect(usage.idle_days).toBe(0)
    expect(usage.sources.map((s: { user_agent: string; count: number }) => [s.user_agent, s.count]).sort()).toEqual([['curl/8.5', 500], ['terraform/1.9', 500]])
    expect(usage.sources[0].ip).toBe('127.0.0.1')
  })

  it('reports a new token as never used, and shows other people’s usage only to those who may see it', async () => {
    const { auth } = await signedIn(t, 'developer')
    const mine = await createToken(t.app, auth)
    const adminsToken = await createToken(t.app, admin)
    const u = (await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials/${mine.name}/usage` })).json()
    expect(u).toMatchObject({ never_used: true, total_uses_90d: 0, last_used_timestamp: null })
    expect((await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials/${adminsToken.name}/usage` })).statusCode).toBe(404)
  })

  it('never fails a check when writing usage fails, and keeps checking', async () => {
    const { token } = await createToken(t.app, admin)
    const errors: unknown[] = []
    const original = t.services.db.db.transaction.bind(t.services.db.db)
    // Make the next flush fail as a broken database would.
    ;(t.services.db.db as { transaction: unknown }).transaction = () => ({ execute: async () => { throw new Error('disk full') } })
    try {
      const res = await call(t.app, { token }, { method: 'GET', url: WHOAMI })
      expect(res.statusCode).toBe(200)
      const usage = t.services.usage as unknown as { onError: (e: unknown) => void }
      const keep = usage.onError
      usage.onError = (e) => errors.push(e)
      await t.services.usage.flush()
      usage.onError = keep
    } finally {
      ;(t.services.db.db as { transaction: unknown }).transaction = original
    }
    expect(errors).toHaveLength(1)
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
  })
})

describe('usage at shutdown', () => {
  it('writes what was gathered when the server closes', async () => {
    const other = await buildTestApp({ usageFlushMs: 3_600_000 })
    const { auth } = await signedIn(other, 'admin')
    const { name, token } = await createToken(other.app, auth)
    expect((await call(other.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
    const db = other.services.db.db
    expect((await db.selectFrom('credentials').select('last_used_at').where('name', '=', name).executeTakeFirstOrThrow()).last_used_at).toBeNull()
    await other.app.close()
    // A fresh connection, as the next start would have: the close wrote the use.
    const reopened = openDb({ dataDir: other.dataDir, databaseUrl: other.services.config.databaseUrl })
    try {
      const row = await reopened.db.selectFrom('credentials').select('last_used_at').where('name', '=', name).executeTakeFirstOrThrow()
      expect(row.last_used_at).not.toBeNull()
    } finally {
      await reopened.close()
      await other.close()
    }
  })
})

// Registered only on PostgreSQL (SQLite has one instance per file).
if (process.env.TEST_DB === 'postgres') describe('usage on several instances sharing PostgreSQL', () => {
  it('flushes from two instances at once lose no use and count none twice', async () => {
    const { UsageRecorder } = await import('../../server/services/usage.js')
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const { name } = await createToken(t.app, admin)
      ids.push((await t.services.db.db.selectFrom('credentials').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id)
    }
    // Two more connections to the same database, as two more servers would have, each with its own recorder.
    const conns = [0, 1].map(() => openDb({ dataDir: t.dataDir, databaseUrl: t.services.config.databaseUrl }))
    const errors: unknown[] = []
    const recorders = conns.map((c) => new UsageRecorder(c.db, 60_000, (err) => errors.push(err), 'postgres'))
    try {
      for (let round = 0; round < 10; round++) {
        // Opposite orders: each flush holds some credential rows while it adds to the day's total.
        ids.forEach((id) => recorders[0]!.record(id, '10.0.0.1', 'a'))
        ;[...ids].reverse().forEach((id) => recorders[1]!.record(id, '10.0.0.2', 'b'))
        await Promise.all(recorders.map((r) => r.flush()))
      }
      expect(errors).toEqual([])
      const rows = await t.services.db.db.selectFrom('usage_daily').select(['credential_id', 'count']).where('credential_id', 'in', ids).execute()
      expect(rows).toHaveLength(ids.length)
      expect(rows.every((r) => Number(r.count) === 20)).toBe(true)
    } finally {
      await Promise.all(conns.map((c) => c.close()))
    }
  })

  it('a flush that fails puts its uses back for the next one', async () => {
    const { UsageRecorder } = await import('../../server/services/usage.js')
    const { name } = await createToken(t.app, admin)
    const id = (await t.services.db.db.selectFrom('credentials').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id
    // The recorder's own connection gives up on a lock after 200 ms (lock_not_available, 55P03).
    const pool = new pg.Pool({ connectionString: t.services.config.databaseUrl, max: 1, options: '-c lock_timeout=200' })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    const errors: unknown[] = []
    const r = new UsageRecorder(db, 60_000, (err) => errors.push(err), 'postgres')
    try {
      r.record(id, '10.0.0.3', 'c')
      r.record(id, '10.0.0.3', 'c')
      // Another session holds the flush lock past that: the flush fails and writes nothing.
      await t.services.db.db.connection().execute(async (holder) => {
        await sql`SELECT pg_advisory_lock(727290)`.execute(holder)
        try {
          await r.flush()
        } finally {
          await sql`SELECT pg_advisory_unlock(727290)`.execute(holder)
        }
      })
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['55P03'])
      expect(await t.services.db.db.selectFrom('usage_daily').select('count').where('credential_id', '=', id).executeTakeFirst()).toBeUndefined()
      r.record(id, '10.0.0.3', 'c')
      await r.flush()
      const row = await t.services.db.db.selectFrom('usage_daily').select('count').where('credential_id', '=', id).executeTakeFirstOrThrow()
      expect(Number(row.count)).toBe(3)
    } finally {
      await db.destroy()
    }
  })
})
