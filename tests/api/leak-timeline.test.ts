// A reported token's detail shows its leak timeline: the last accepted use before the
// report, the report (where it was found), the revoke, and every use refused since, per source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, WHOAMI, call, createToken, signedIn, type Auth } from '../support/factories.js'
import { signLeakReport } from '../../server/leaks/service.js'

const SECRET = 'scanner-shared-secret-for-timeline-0123456789'
let t: TestApp
let admin: Auth
let dev: Auth
let other: Auth

beforeAll(async () => {
  t = await buildTestApp({ leakReportSecret: SECRET })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  other = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const report = (entries: unknown) => {
  const body = JSON.stringify(entries)
  const ts = String(Math.floor(Date.now() / 1000))
  return t.app.inject({
    method: 'POST', url: `${API}/report_leak`, payload: body,
    headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': signLeakReport(SECRET, ts, body) },
  })
}
const timeline = (auth: Auth, name: string) => call(t.app, auth, { method: 'GET', url: `/api/console/credentials/api_credentials/${name}/leak_timeline` })
const use = (token: string, ua: string) => t.app.inject({ method: 'GET', url: WHOAMI, headers: { authorization: `APIToken ${token}`, 'user-agent': ua, 'x-forwarded-for': '203.0.113.9' } })

describe('leak timeline', () => {
  it('orders the last use, the report, the revoke by the report, and the uses refused since with their count and source', async () => {
    const { name, token } = await createToken(t.app, dev)
    expect((await use(token, 'deploy-bot/1.0')).statusCode).toBe(200)
    await t.services.usage.flush()
    expect((await report([{ token, url: 'https://example.com/paste/42', source: 'paste' }])).statusCode).toBe(200)
    for (let i = 0; i < 3; i++) expect((await use(token, 'attacker/0.1')).statusCode).toBe(401)
    await t.services.failedChecks.flush()

    const res = await timeline(dev, name)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.events.map((e: { kind: string }) => e.kind)).toEqual(['last_use', 'reported', 'revoked', 'refused_use'])
    const [last, reported, revoked, refused] = body.events
    expect(last.user_agent).toBe('deploy-bot/1.0')
    expect(reported).toMatchObject({ url: 'https://example.com/paste/42', source: 'paste', at: body.leaked_timestamp })
    expect(revoked).toMatchObject({ by: 'leak report', at: body.leaked_timestamp })
    expect(refused).toMatchObject({ count: 3, user_agent: 'attacker/0.1' })
    expect(body.truncated).toBe(false)
    // The detail says it was reported; an administrator sees the same timeline.
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json().leaked_timestamp).toBe(body.leaked_timestamp)
    expect((await timeline(admin, name)).json()).toEqual(body)
  })

  it('a token revoked before the report shows who revoked it; never-used tokens have no last use', async () => {
    const { name, token } = await createToken(t.app, dev)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })).statusCode).toBe(200)
    await report([{ token }])
    const body = (await timeline(dev, name)).json()
    expect(body.events.map((e: { kind: string }) => e.kind)).toEqual(['revoked', 'reported'])
    expect(body.events[0].by).toMatch(/@/)
  })

  it('is 404 for a token never reported, and for a token the caller may not see', async () => {
    const { name, token } = await createToken(t.app, dev)
    expect((await timeline(dev, name)).statusCode).toBe(404)
    await report([{ token }])
    expect((await timeline(dev, name)).statusCode).toBe(200)
    expect((await timeline(other, name)).statusCode).toBe(404)
  })
})

describe('leak timeline freshness', () => {
  it('shows a use refused seconds after the report before the aggregated audit row is written, and counts it once after', async () => {
    const { name, token } = await createToken(t.app, dev)
    expect((await report([{ token }])).statusCode).toBe(200)
    for (let i = 0; i < 2; i++) expect((await use(token, 'late-caller/2.0')).statusCode).toBe(401)
    // Nothing flushed: the audit log has no use_denied row for it yet (the interval is a minute).
    const rows = await t.services.db.db.selectFrom('audit_events').select('id').where('target_name', '=', name).where('action', '=', 'credential.use_denied').execute()
    expect(rows).toEqual([])
    const before = (await timeline(dev, name)).json()
    expect(before.events.filter((e: { kind: string }) => e.kind === 'refused_use')).toEqual([
      expect.objectContaining({ count: 2, user_agent: 'late-caller/2.0', ip: '127.0.0.1' }),
    ])
    // Once written, the same refusals appear once, from the audit log.
    await t.services.failedChecks.flush()
    const after = (await timeline(dev, name)).json()
    expect(after.events.filter((e: { kind: string }) => e.kind === 'refused_use')).toEqual([
      expect.objectContaining({ count: 2, user_agent: 'late-caller/2.0' }),
    ])
  })
})
