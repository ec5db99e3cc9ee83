// A signed leak report revokes live tokens at once; forged or replayed reports are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import SQLite from 'better-sqlite3'
import { buildTestApp, seededTestApp, type TestApp } from '../support/app.js'
import { consoleReadPool } from '../../server/db/read-pool.js'
import { API, WHOAMI, call, createToken, signedIn, type Auth } from '../support/factories.js'
import { signLeakReport } from '../../server/leaks/service.js'

const SECRET = 'scanner-shared-secret-for-tests-0123456789'
const URL_ = `${API}/report_leak`
let t: TestApp
let admin: Auth
let dev: Auth

beforeAll(async () => {
  t = await buildTestApp({ leakReportSecret: SECRET })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const send = (entries: unknown, opts: { secret?: string; ts?: number; signature?: string } = {}) => {
  const body = JSON.stringify(entries)
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000))
  return t.app.inject({
    method: 'POST', url: URL_, payload: body,
    headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': opts.signature ?? signLeakReport(opts.secret ?? SECRET, ts, body) },
  })
}
const whoami = (token: string) => call(t.app, { token }, { method: 'GET', url: WHOAMI })

describe('leak report happy', () => {
  it('revokes a live token at once, marks it leaked, audits it, and it can never be re-activated', async () => {
    const live = await createToken(t.app, dev)
    const gone = await createToken(t.app, dev)
    await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: gone.name } })
    expect((await whoami(live.token)).statusCode).toBe(200) // cached from here on
    const res = await send([
      { token: live.token, type: 'token_console', url: 'https://example.com/gist/1', source: 'gist' },
      { token: gone.token },
      { token: 'tcp_notarealtokenatallnotarealtoken123456' },
    ])
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ revoked: 1, results: [
      { label: 'true_positive', status: 'revoked' }, { label: 'true_positive', status: 'already_ended' }, { label: 'false_positive', status: 'unknown' },
    ] })
    expect(res.body).not.toContain(live.name)
    expect((await whoami(live.token)).statusCode).toBe(401)
    const audit = await t.services.db.db.selectFrom('audit_events').select(['action', 'details']).where('target_name', '=', live.name).where('action', '=', 'credential.leak_report').executeTakeFirstOrThrow()
    expect(JSON.parse(audit.details)).toMatchObject({ revoked: true, url: 'https://example.com/gist/1' })
    await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: true }, apply: { mode: 'new_only' } } })
    const act = await call(t.app, admin, { method: 'POST', url: `${API}/activate/api_credentials`, payload: { name: live.name, reason: 'no' } })
    expect(act.statusCode).toBe(400)
    expect(act.json().message).toMatch(/leaked/)
  })
})

describe('leak report security', () => {
  it('refuses unsigned, badly signed, stale and replayed reports, changing nothing', async () => {
    const tok = await createToken(t.app, dev)
    const entries = [{ token: tok.token }]
    const body = JSON.stringify(entries)
    expect((await t.app.inject({ method: 'POST', url: URL_, payload: body, headers: { 'content-type': 'application/json' } })).statusCode).toBe(401)
    expect((await send(entries, { secret: 'some-other-secret-of-enough-length' })).statusCode).toBe(401)
    expect((await send(entries, { ts: Math.floor(Date.now() / 1000) - 600 })).statusCode).toBe(401)
    expect((await whoami(tok.token)).statusCode).toBe(200)
    const ts = Math.floor(Date.now() / 1000)
    const signature = signLeakReport(SECRET, String(ts), body)
    expect((await send(entries, { ts, signature })).statusCode).toBe(200)
    const replay = await send(entries, { ts, signature })
    expect(replay.statusCode).toBe(401)
    expect(replay.json().message).toMatch(/already received/)
  })

  it('is off without a configured secret', async () => {
    const off = await buildTestApp()
    try {
      const res = await off.app.inject({ method: 'POST', url: URL_, payload: '[]', headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': '1', 'x-leak-report-signature': 'v1=00' } })
      expect(res.statusCode).toBe(404)
    } finally {
      await off.close()
    }
  })
})

describe('leaked as a status', () => {
  it('lists exactly the leaked tokens under status=leaked, with counts, and keeps them out of revoked', async () => {
    const leaked = await createToken(t.app, dev)
    const revoked = await createToken(t.app, dev)
    const active = await createToken(t.app, dev)
    await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: revoked.name } })
    expect((await send([{ token: leaked.token }])).statusCode).toBe(200)
    const names = async (auth: Auth, url: string) => {
      const res = await call(t.app, auth, { method: 'GET', url })
      expect(res.statusCode, res.body).toBe(200)
      return res.json() as { items: Array<{ name: string; status: string }>; total: number | null }
    }
    for (const sort of ['created', 'status', 'name']) {
      const l = await names(admin, `${API}/api_credentials?status=leaked&sort=${sort}&limit=50`)
      expect(l.items.map((c) => c.name), sort).toContain(leaked.name)
      expect(l.items.every((c) => c.status === 'leaked')).toBe(true)
      const r = await names(admin, `${API}/api_credentials?status=revoked&sort=${sort}&limit=50`)
      expect(r.items.map((c) => c.name)).toContain(revoked.name)
      expect(r.items.map((c) => c.name)).not.toContain(leaked.name)
    }
    const all = await names(admin, `${API}/api_credentials?status=leaked&limit=500`)
    expect(all.total).toBe(all.items.length)
    const detail = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${leaked.name}` })).json()
    expect(detail).toMatchObject({ status: 'leaked', active: false })
    expect(detail.leaked_timestamp).not.toBeNull()
    // The tenant inventory filters the same way.
    const inv = (await call(t.app, admin, { method: 'GET', url: '/api/inventory?status=leaked&limit=500' })).json()
    expect(inv.items.map((c: { name: string }) => c.name)).toContain(leaked.name)
    expect(inv.items.map((c: { name: string }) => c.name)).not.toContain(revoked.name)
    expect(inv.items.map((c: { name: string }) => c.name)).not.toContain(active.name)
  })

  it('tells the owner, linking to the token page that offers a replacement with the same settings', async () => {
    const tok = await createToken(t.app, dev)
    expect((await send([{ token: tok.token, url: 'https://example.com/paste/9' }])).statusCode).toBe(200)
    const notices = (await call(t.app, dev, { method: 'GET', url: '/api/notifications' })).json().items as Array<{ kind: string; credential_name: string; body: string; data: Record<string, unknown> }>
    const notice = notices.find((n) => n.kind === 'leak_report' && n.credential_name === tok.name)
    expect(notice?.data.link).toBe(`/tokens/${tok.name}?replace=1`)
    expect(notice?.body).toMatch(/replacement with the same settings/)
  })
})

describe('status=leaked at tenant size', () => {
  let big: TestApp
  let boss: Auth
  const LEAKED = 30
  beforeAll(async () => {
    big = await seededTestApp(20_000)
    boss = (await signedIn(big, 'admin')).auth
    // Reported tokens are revoked and marked, as the leak report leaves them, spread over the table.
    const picked = await big.services.db.db.selectFrom('credentials').select('id').where('state', '=', 'live').orderBy('token_hash').limit(LEAKED).execute()
    const now = Date.now()
    await big.services.db.db.updateTable('credentials').set({ revoked_at: now, leaked_at: now }).where('id', 'in', picked.map((r) => r.id)).execute()
  }, 180_000)
  afterAll(async () => { await big?.close() })

  it('reads exactly the leaked ones through their partial index, in every sort, with an exact total', async () => {
    const pool = consoleReadPool(big.services.db.db)
    const ran: Array<{ sql: string; params: readonly unknown[] }> = []
    const query = pool?.query.bind(pool)
    if (pool && query) pool.query = (text, params) => { ran.push({ sql: text, params }); return query(text, params) }
    try {
      for (const sort of ['created', 'name', 'status', 'last_used']) {
        const res = await call(big.app, boss, { method: 'GET', url: `/api/inventory?status=leaked&sort=${sort}&limit=50` })
        expect(res.statusCode, res.body).toBe(200)
        const page = res.json() as { items: Array<{ status: string; leaked_timestamp: string | null }>; total: number }
        expect(page.items, sort).toHaveLength(LEAKED)
        expect(page.items.every((i) => i.status === 'leaked' && i.leaked_timestamp !== null)).toBe(true)
        expect(page.total).toBe(LEAKED)
      }
      const revoked = (await call(big.app, boss, { method: 'GET', url: '/api/inventory?status=revoked&limit=500' })).json()
      expect(revoked.items.some((i: { status: string }) => i.status !== 'revoked')).toBe(false)
    } finally {
      if (pool && query) pool.query = query
    }
    if (big.dialect !== 'sqlite') return
    // Every listing of the leaked set starts from the partial index, never from a walk of the table.
    // (The status CASE in every select names leaked_at too; the filter is the parenthesised condition.)
    const listings = ran.filter((r) => /\(c\.leaked_at IS NOT NULL AND/.test(r.sql) && /LIMIT/i.test(r.sql))
    expect(listings.length).toBeGreaterThan(0)
    const lite = new SQLite(big.services.db.location, { readonly: true })
    try {
      for (const l of listings) {
        const plan = (lite.prepare(`EXPLAIN QUERY PLAN ${l.sql}`).all(...(l.params as unknown[])) as Array<{ detail: string }>).map((r) => r.detail).join('\n')
        expect(plan, l.sql).toContain('credentials_leaked')
        expect(plan, l.sql).not.toMatch(/SCAN c\b/)
      }
    } finally {
      lite.close()
    }
  })
})
