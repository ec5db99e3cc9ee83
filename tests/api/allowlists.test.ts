// Least-privilege limits on where and when a token works: allowed_cidrs (checked against the client
// address as the server sees it: the X-Forwarded-For client only through a trusted proxy) and
// not_before (status scheduled until then). Refusals are counted and audited as the token's failures.
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, WHOAMI, type Auth } from '../support/factories.js'

const PROXY = '10.0.0.5'
let t: TestApp
let admin: Auth
let dev: Auth
let base: string

beforeAll(async () => {
  t = await buildTestApp({ trustProxy: `${PROXY},127.0.0.1`, checkFailureLimit: 1000 })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => { await t?.close() })
afterEach(() => { vi.useRealTimers() })

/** A gateway's auth_request from the trusted proxy, forwarding its client's address. */
const viaProxy = (token: string, client: string, url = '/api/verify') =>
  t.app.inject({ url, remoteAddress: PROXY, headers: { authorization: `APIToken ${token}`, 'x-forwarded-for': client } })

const limitsUrl = (name: string, what = 'limits') => `/api/console/credentials/api_credentials/${name}/${what}`

describe('allowed_cidrs: validation', () => {
  it('names the bad entry on create (400, field allowed_cidrs.<i>) and creates nothing', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'cidr-bad-one', expiration_days: 5, allowed_cidrs: ['10.0.0.0/8', '10.0.0.300/8'] } })
    expect(res.statusCode).toBe(400)
    expect(res.json().details).toEqual([{ field: 'allowed_cidrs.1', reason: expect.stringContaining('"10.0.0.300/8" is not an IPv4 or IPv6 address or CIDR') }])
    expect(await t.services.db.db.selectFrom('credentials').select('id').where('name', '=', 'cidr-bad-one').executeTakeFirst()).toBeUndefined()
    for (const bad of ['2001:db8::/129', '1.2.3.4/33', 'example.com', '1.2.3.4/8/1', 'fe80::1%eth0', '']) {
      const r = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'cidr-bad-two', expiration_days: 5, allowed_cidrs: [bad] } })
      expect(r.statusCode, bad).toBe(400)
      expect(r.json().details[0].field).toBe('allowed_cidrs.0')
    }
  })

  it('bounds the list at 32 entries, on create and on edit', async () => {
    const many = Array.from({ length: 33 }, (_, i) => `192.0.2.${i}`)
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'cidr-too-many', expiration_days: 5, allowed_cidrs: many } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toContain('at most 32')
    const { name } = await createToken(t.app, dev)
    const edit = await call(t.app, dev, { method: 'PATCH', url: limitsUrl(name), payload: { allowed_cidrs: many } })
    expect(edit.statusCode).toBe(400)
    const bad = await call(t.app, dev, { method: 'PATCH', url: limitsUrl(name), payload: { allowed_cidrs: ['192.0.2.1', 'nope'] } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().details[0]).toMatchObject({ field: 'allowed_cidrs.1' })
  })

  it('stores addresses canonically as CIDRs and shows them on the credential', async () => {
    const { name } = await createToken(t.app, dev, { allowed_cidrs: ['203.0.113.7', '2001:DB8:0:0::/32', '203.0.113.7/32'] })
    const got = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json()
    expect(got.allowed_cidrs).toEqual(['203.0.113.7/32', '2001:db8::/32'])
    expect(got.rate_limit).toBeNull()
    expect(got.not_before_timestamp).toBeNull()
  })
})

describe('allowed_cidrs: enforcement', () => {
  it('at /api/verify: refuses another client behind the trusted proxy (401, reason), accepts a listed one, and counts the refusal', async () => {
    const { name, token } = await createToken(t.app, dev, { allowed_cidrs: ['203.0.113.0/24', '2001:db8::/32'] })
    expect((await viaProxy(token, '203.0.113.9')).statusCode).toBe(204)
    expect((await viaProxy(token, '2001:db8::42')).statusCode).toBe(204)
    const refused = await viaProxy(token, '198.51.100.4')
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toEqual({ code: 16, message: expect.stringContaining('198.51.100.4'), details: [{ reason: 'address_not_allowed' }] })
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="token-console", error="invalid_token", error_description="address_not_allowed"')
    expect(refused.body).not.toContain(token)
    const before = t.services.failedChecks.byReason.address_not_allowed
    await viaProxy(token, '198.51.100.4')
    expect(t.services.failedChecks.byReason.address_not_allowed).toBe(before + 1)
    await t.services.failedChecks.flush()
    const rows = await t.services.db.db.selectFrom('audit_events').select(['source_ip', 'details', 'outcome'])
      .where('action', '=', 'credential.use_denied').where('target_name', '=', name).execute()
    expect(rows).toHaveLength(1)
    expect(rows[0].source_ip).toBe('198.51.100.4')
    expect(JSON.parse(rows[0].details!)).toMatchObject({ reason: 'address_not_allowed', count: 2 })
  })

  it('never takes X-Forwarded-For from a peer that is not a trusted proxy: the peer is the client', async () => {
    const { token } = await createToken(t.app, dev, { allowed_cidrs: ['203.0.113.0/24'] })
    const spoofed = await t.app.inject({ url: '/api/verify', remoteAddress: '192.0.2.77', headers: { authorization: `APIToken ${token}`, 'x-forwarded-for': '203.0.113.9' } })
    expect(spoofed.statusCode).toBe(401)
    expect(spoofed.json().message).toContain('192.0.2.77')
    // The same header from the trusted proxy is believed (positive control).
    expect((await viaProxy(token, '203.0.113.9')).statusCode).toBe(204)
  })

  it('on this API: a call authenticated by the token from another address is refused', async () => {
    const { token } = await createToken(t.app, dev, { allowed_cidrs: ['203.0.113.0/24'] })
    expect((await viaProxy(token, '203.0.113.10', WHOAMI)).statusCode).toBe(200)
    const res = await viaProxy(token, '198.51.100.4', WHOAMI)
    expect(res.statusCode).toBe(401)
    expect(res.json().details).toEqual([{ reason: 'address_not_allowed' }])
  })

  it('on the fast path (a listening server) as through Fastify', async () => {
    const { token } = await createToken(t.app, dev, { allowed_cidrs: ['203.0.113.0/24'] })
    const at = (client: string) => fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}`, 'x-forwarded-for': client } })
    expect((await at('203.0.113.11')).status).toBe(204)
    const refused = await at('198.51.100.5')
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual({ code: 16, message: expect.stringContaining('198.51.100.5'), details: [{ reason: 'address_not_allowed' }] })
  })

  it('an edit takes effect on the next check (cached entries dropped); null lifts the list', async () => {
    const { name, token } = await createToken(t.app, dev)
    expect((await viaProxy(token, '198.51.100.4')).statusCode).toBe(204)
    const edit = await call(t.app, dev, { method: 'PATCH', url: limitsUrl(name), payload: { allowed_cidrs: ['203.0.113.0/24'] } })
    expect(edit.statusCode, edit.body).toBe(200)
    expect(edit.json()).toEqual({ allowed_cidrs: ['203.0.113.0/24'], rate_limit: null, not_before_timestamp: null })
    expect((await viaProxy(token, '198.51.100.4')).statusCode).toBe(401)
    await call(t.app, dev, { method: 'PATCH', url: limitsUrl(name), payload: { allowed_cidrs: null } })
    expect((await viaProxy(token, '198.51.100.4')).statusCode).toBe(204)
    const audit = await t.services.db.db.selectFrom('audit_events').select('details').where('action', '=', 'credential.update').where('target_name', '=', name).execute()
    expect(audit.map((a) => JSON.parse(a.details!).to.allowed_cidrs)).toEqual([['203.0.113.0/24'], null])
  })

  it('only the owner or an administrator edits the limits', async () => {
    const { name } = await createToken(t.app, admin)
    const other = await call(t.app, dev, { method: 'PATCH', url: limitsUrl(name), payload: { allowed_cidrs: ['203.0.113.0/24'] } })
    expect(other.statusCode).toBe(404)
    const mine = await createToken(t.app, dev)
    expect((await call(t.app, admin, { method: 'PATCH', url: limitsUrl(mine.name), payload: { allowed_cidrs: ['203.0.113.0/24'] } })).statusCode).toBe(200)
  })
})

describe('allowlist suggestion and dry run', () => {
  it('suggests the addresses seen in the last 30 days and lists the uses a proposed list would refuse', async () => {
    const { name, token } = await createToken(t.app, dev)
    for (const [ip, n] of [['203.0.113.5', 3], ['198.51.100.7', 2], ['2001:db8::1', 1]] as const) {
      for (let i = 0; i < n; i++) expect((await viaProxy(token, ip)).statusCode).toBe(204)
    }
    await t.services.usage.flush()
    const s = await call(t.app, dev, { method: 'GET', url: limitsUrl(name, 'allowlist_suggestion') })
    expect(s.statusCode, s.body).toBe(200)
    expect(s.json().cidrs).toEqual(['203.0.113.5/32', '198.51.100.7/32', '2001:db8::1/128'])
    expect(s.json().sources.map((x: { ip: string; count: number }) => [x.ip, x.count])).toEqual([['203.0.113.5', 3], ['198.51.100.7', 2], ['2001:db8::1', 1]])
    const dry = await call(t.app, dev, { method: 'GET', url: `${limitsUrl(name, 'allowlist_dry_run')}?cidrs=${encodeURIComponent('203.0.113.0/24, 2001:db8::/32')}` })
    expect(dry.statusCode, dry.body).toBe(200)
    expect(dry.json()).toMatchObject({ cidrs: ['203.0.113.0/24', '2001:db8::/32'], refused_uses: 2, allowed_uses: 4 })
    expect(dry.json().refused.map((x: { ip: string }) => x.ip)).toEqual(['198.51.100.7'])
    expect(dry.json().allowed.map((x: { ip: string }) => x.ip)).toEqual(['203.0.113.5', '2001:db8::1'])
    const bad = await call(t.app, dev, { method: 'GET', url: `${limitsUrl(name, 'allowlist_dry_run')}?cidrs=203.0.113.0/24,bogus` })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().details[0].field).toBe('cidrs.1')
  })
})

describe('not_before', () => {
  it('validates: an RFC 3339 time before the expiry, each error naming not_before', async () => {
    const bad = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'nb-bad-format', expiration_days: 5, not_before: 'tomorrow' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().details[0].field).toBe('not_before')
    const late = new Date(Date.now() + 6 * 86_400_000).toISOString()
    const after = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'nb-after-expiry', expiration_days: 5, not_before: late } })
    expect(after.statusCode).toBe(400)
    expect(after.json()).toMatchObject({ message: expect.stringContaining('not_before must come before the expiry'), details: [{ field: 'not_before' }] })
  })

  it('refuses checks before it (401, not_yet_valid), shows the token as scheduled, then accepts it once the time comes', async () => {
    const start = Date.now() + 3_600_000
    const { name, token } = await createToken(t.app, dev, { not_before: new Date(start).toISOString() })
    const res = await viaProxy(token, '203.0.113.5')
    expect(res.statusCode).toBe(401)
    expect(res.json().details).toEqual([{ reason: 'not_yet_valid' }])
    expect((await viaProxy(token, '203.0.113.5', WHOAMI)).statusCode).toBe(401)
    const got = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json()
    expect(got).toMatchObject({ status: 'scheduled', active: false, not_before_timestamp: new Date(start).toISOString() })
    const list = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials?limit=50&status=scheduled` })).json()
    expect(list.items.map((c: { name: string }) => c.name)).toEqual([name])
    expect(list.total).toBe(1)
    const active = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials?limit=50&status=active` })).json()
    expect(active.items.map((c: { name: string }) => c.name)).not.toContain(name)
    expect(active.total).toBe(active.items.length)
    // An hour later, by the clock the check reads: accepted, and active (read with a token: the
    // console session would have idled out in that hour).
    const reader = { token: (await createToken(t.app, dev)).token }
    vi.useFakeTimers({ toFake: ['Date'], now: start + 1000 })
    expect((await viaProxy(token, '203.0.113.5')).statusCode).toBe(204)
    expect((await call(t.app, reader, { method: 'GET', url: `${API}/api_credentials/${name}` })).json().status).toBe('active')
  })
})
