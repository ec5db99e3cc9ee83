// GET /api/verify on a listening server is answered by the fast path (server/routes/verify-fast-path.ts)
// ahead of Fastify. Every answer must be the one the Fastify route gives (app.inject goes through
// Fastify): status, headers and body; the client address as Fastify computes it behind a trusted
// proxy; the same access log lines; the same error answers.
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let base: string
let log = ''

beforeAll(async () => {
  const stream = new PassThrough()
  stream.on('data', (d) => { log += d.toString() })
  t = await buildTestApp({ trustProxy: '127.0.0.1', checkFailureLimit: 5 }, { logStream: stream })
  admin = (await signedIn(t, 'admin')).auth
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => { await t?.close() })

/** What a client sees over HTTP (the fast path) and through Fastify (inject), side by side. */
async function both(headers: Record<string, string>, path = '/api/verify') {
  const res = await fetch(`${base}${path}`, { headers })
  const wire = { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }
  const inj = await t.app.inject({ method: 'GET', url: path, headers })
  const routed = { status: inj.statusCode, headers: inj.headers as Record<string, string>, body: inj.body }
  return { wire, routed }
}

/** Access log lines for GET /api/verify so far. */
const verifyLines = () => log.split('\n').filter((l) => l.includes('"url":"/api/verify"')).length

/** The headers both must agree on (Date, Connection and Keep-Alive are the socket's). */
const comparable = (h: Record<string, string | undefined>) => {
  const { date: _d, connection: _c, 'keep-alive': _k, ...rest } = h
  return rest
}

describe('verify fast path', () => {
  it('sits in front of Fastify on the listening server', () => {
    expect(t.app.server.listeners('request').map((f) => f.name)).toEqual(['combined'])
  })

  it('answers a valid token as the route does: 204, X-Token-* and the API security headers', async () => {
    const { name, token } = await createToken(t.app, admin)
    const before = verifyLines()
    const { wire, routed } = await both({ authorization: `APIToken ${token}` })
    expect(wire.status).toBe(204)
    expect(wire.headers['x-token-name']).toBe(name)
    expect(wire.headers['cache-control']).toBe('no-store')
    expect(wire.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(comparable(wire.headers)).toEqual(comparable(routed.headers))
    expect(wire.body).toBe(routed.body)
    // No access log line for a successful check (ACCESS_LOG=console), on the wire or through Fastify;
    // the refusal that follows is logged, which shows the log is live and would hold such a line.
    await new Promise((r) => setTimeout(r, 50))
    expect(verifyLines()).toBe(before)
    expect((await fetch(`${base}/api/verify`, { headers: { authorization: 'APIToken tcp_unknown0000000000000000000000000000000000' } })).status).toBe(401)
    await expect.poll(verifyLines).toBe(before + 1)
    expect(log).not.toContain(token)
  })

  it.each([
    ['no Authorization header', {}],
    ['another scheme', { authorization: 'Basic Zm9vOmJhcg==' }],
    ['an unknown token', { authorization: 'APIToken tcp_unknown0000000000000000000000000000000000' }],
    ['garbage', { authorization: 'Bearer ???' }],
  ])('refuses %s exactly as the route does', async (_what, headers) => {
    const { wire, routed } = await both(headers as Record<string, string>)
    expect(wire.status).toBe(401)
    expect(comparable(wire.headers)).toEqual(comparable(routed.headers))
    expect(JSON.parse(wire.body)).toEqual(JSON.parse(routed.body))
  })

  it('a query string does not change the answer, and HEAD still goes to Fastify', async () => {
    const { token } = await createToken(t.app, admin)
    expect((await fetch(`${base}/api/verify?from=gateway`, { headers: { authorization: `APIToken ${token}` } })).status).toBe(204)
    expect((await fetch(`${base}/api/verify`, { method: 'HEAD', headers: { authorization: `APIToken ${token}` } })).status).toBe(204)
    expect((await fetch(`${base}/api/verifyx`)).status).toBe(404)
  })

  it('behind a trusted proxy, counts the forwarded client: the use and the refusals carry its address', async () => {
    const { name, token } = await createToken(t.app, admin)
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}`, 'x-forwarded-for': '203.0.113.50', 'user-agent': 'gw/1' } })
      statuses.push(res.status)
      if (res.status === 429) expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    }
    // The limit is 5 failures per source: the sixth and seventh get 429.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    // Another client behind the same proxy is a different source and is not limited.
    expect((await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}`, 'x-forwarded-for': '203.0.113.51' } })).status).toBe(401)
    await t.services.failedChecks.flush()
    const rows = await t.services.db.db.selectFrom('audit_events').select(['source_ip', 'user_agent']).where('action', '=', 'credential.use_denied').where('target_name', '=', name).execute()
    expect(rows.map((r) => r.source_ip).sort()).toEqual(['203.0.113.50', '203.0.113.51'])
    // Refusals are access-logged with the path and the forwarded address, never the token.
    expect(log).toContain('"url":"/api/verify"')
    expect(log).toContain('203.0.113.50')
    expect(log).not.toContain(token)
  })

  it('a database that is busy answers 503 with Retry-After, as the error handler does', async () => {
    const { token } = await createToken(t.app, admin)
    const identity = t.services.identity
    const original = identity.checkToken.bind(identity)
    identity.checkToken = async () => { throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }) }
    try {
      const res = await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}` } })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(await res.json()).toEqual({ code: 14, message: 'The database is busy; try again shortly', details: [] })
    } finally {
      identity.checkToken = original
    }
    expect((await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}` } })).status).toBe(204)
  })
})
