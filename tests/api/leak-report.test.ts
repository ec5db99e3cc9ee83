// Issue 10 item 8: a signed leak report revokes live tokens at once; forged or replayed reports are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
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
