// A status filter in the console's default order (newest first) at a size where the set is
// read in sort-index order. "Expired" is derived from state and expires_at, so the walk must test each
// entry in the index (migration 011's (state, created_at, id, expires_at)) rather than reading every
// newer live token's row. Each page is checked against a plain query on both databases; on SQLite the
// SQL the console list runs is also explained (PostgreSQL's plan follows its statistics; the scale
// benchmark shows its times).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { seededTestApp, type TestApp } from '../support/app.js'
import { call, signedIn, type Auth } from '../support/factories.js'
import { consoleReadPool } from '../../server/db/read-pool.js'

const N = 20_000

interface Ran { sql: string; params: readonly unknown[] }

/** Runs `fn` while recording every statement the console read pool runs (none on PostgreSQL). */
async function recordingReads<T>(t: TestApp, fn: () => Promise<T>): Promise<{ result: T; ran: Ran[] }> {
  const pool = consoleReadPool(t.services.db.db)
  const ran: Ran[] = []
  const query = pool?.query.bind(pool)
  if (pool && query) pool.query = (text, params) => { ran.push({ sql: text, params }); return query(text, params) }
  try {
    return { result: await fn(), ran }
  } finally {
    if (pool && query) pool.query = query
  }
}

/** SQLite's plan for the recorded statement `match` picks out, one line per step. */
function planOf(t: TestApp, ran: Ran[], match: (sql: string) => boolean): string {
  const listing = ran.find((r) => match(r.sql))
  expect(listing, ran.map((r) => r.sql).join('\n')).toBeDefined()
  const lite = new SQLite(t.services.db.location, { readonly: true })
  try {
    return (lite.prepare(`EXPLAIN QUERY PLAN ${listing!.sql}`).all(...(listing!.params as unknown[])) as Array<{ detail: string }>)
      .map((r) => r.detail).join('\n')
  } finally {
    lite.close()
  }
}

describe('status pages read through the (state, created_at, id, expires_at) index', () => {
  let t: TestApp
  let admin: Auth
  beforeAll(async () => {
    t = await seededTestApp(N, (first) => signedIn(first, 'admin'))
    admin = (await signedIn(t, 'admin')).auth
  }, 120_000)
  afterAll(async () => { await t?.close() })

  // Expired and active are large sets here (read in index order); revoked (about 10%) is a small
  // one, read through its own index and sorted: its page is checked, not its plan.
  for (const status of ['expired', 'active', 'revoked'] as const) {
    it(`status=${status}, newest first: the same page as a plain query${status === 'revoked' ? '' : ', from an index walk with no sort step'}`, async () => {
      const { result: page, ran } = await recordingReads(t, async () => {
        const res = await call(t.app, admin, { method: 'GET', url: `/api/inventory?status=${status}&limit=50` })
        expect(res.statusCode, res.body).toBe(200)
        return res.json() as { items: Array<{ name: string; status: string }>; total: number | null }
      })
      expect(page.items).toHaveLength(50)
      expect(page.items.every((i) => i.status === status)).toBe(true)
      // The large-set plan: the total says the set is far above the small-set threshold (5,000).
      if (status !== 'revoked') expect(page.total).toBeGreaterThan(5000)
      else expect(page.total).toBeLessThan(5000)

      const now = Date.now()
      const where = status === 'revoked' ? sql`c.state = 'revoked'`
        : status === 'expired' ? sql`c.state = 'live' AND c.expires_at <= ${now}`
          : sql`c.state = 'live' AND (c.expires_at IS NULL OR c.expires_at > ${now})`
      const plain = (await sql<{ name: string }>`SELECT c.name FROM credentials c JOIN users u ON u.id = c.owner_id
        WHERE ${where} ORDER BY c.created_at DESC, c.id DESC LIMIT 50`.execute(t.services.db.db)).rows
      expect(page.items.map((i) => i.name)).toEqual(plain.map((r) => r.name))

      if (t.dialect !== 'sqlite' || status === 'revoked') return
      const plan = planOf(t, ran, (text) => /ORDER BY/i.test(text) && /created_at/.test(text) && /LIMIT/i.test(text))
      expect(plan).toContain('credentials_state_created')
      expect(plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/)
    })
  }

  it('rotated-away tokens (replaced=true) are read through their index, not by walking every live token', async () => {
    const victim = (await sql<{ name: string }>`SELECT name FROM credentials WHERE state = 'live' ORDER BY created_at DESC LIMIT 1`.execute(t.services.db.db)).rows[0].name
    await t.services.db.db.updateTable('credentials').set({ replaced_by: `${victim}-r2` }).where('name', '=', victim).execute()
    const { ran } = await recordingReads(t, async () => {
      const res = await call(t.app, admin, { method: 'GET', url: '/api/web/namespaces/system/api_credentials?replaced=true&status=active&limit=200&sort=created&order=desc' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().items.map((i: { name: string }) => i.name)).toEqual([victim])
    })
    if (t.dialect !== 'sqlite') return
    expect(planOf(t, ran, (text) => /replaced_by/.test(text) && /LIMIT/i.test(text))).toContain('credentials_replaced_by')
  })
})
