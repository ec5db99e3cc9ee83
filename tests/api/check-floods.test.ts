// Floods of well-formed unknown tokens cost a counter, not an audit row each; a flooding
// source gets 429 on its failures while valid checks, its own included, keep passing. And
// introspection works with an off-the-shelf OAuth client (openid-client) using RFC 6749 client auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as oauth from 'openid-client'
import { generateToken } from '../../server/lib/tokens.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { createServiceToken, createToken, signedIn, WHOAMI } from '../support/factories.js'

let t: TestApp
let admin: Awaited<ReturnType<typeof signedIn>>
beforeAll(async () => {
  t = await buildTestApp({ checkFailureLimit: 20, checkFailureWindowMs: 60_000 })
  admin = await signedIn(t, 'admin')
})
afterAll(async () => { await t.close() })

const verify = (token: string, remoteAddress: string) =>
  t.app.inject({ method: 'GET', url: '/api/verify', headers: { authorization: `Bearer ${token}` }, remoteAddress })

describe('floods of unknown tokens', () => {
  it('aggregates failures into one audit row per source and answers 429 past the limit, never to valid checks', async () => {
    const valid = (await createToken(t.app, admin.auth)).token
    const before = await t.services.db.db.selectFrom('audit_events').select('id').execute()
    const statuses: number[] = []
    for (let i = 0; i < 60; i++) {
      statuses.push((await verify(generateToken('API_TOKEN'), '10.9.0.1')).statusCode)
      // The flooding source's own valid checks keep passing.
      if (i % 10 === 0) expect((await verify(valid, '10.9.0.1')).statusCode).toBe(204)
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true)
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true)
    const limited = await verify(generateToken('API_TOKEN'), '10.9.0.1')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // The same failure through the API's own authentication answers 429 as well.
    expect((await t.app.inject({ url: WHOAMI, headers: { authorization: `APIToken ${generateToken('API_TOKEN')}` }, remoteAddress: '10.9.0.1' })).statusCode).toBe(429)
    // Another source is not affected.
    expect((await verify(generateToken('API_TOKEN'), '10.9.0.2')).statusCode).toBe(401)
    // Nothing was written per attempt…
    expect(await t.services.db.db.selectFrom('audit_events').select('id').execute()).toHaveLength(before.length)
    // …and one row per source per interval when the interval ends.
    await t.services.failedChecks.flush()
    const rows = await t.services.db.db.selectFrom('audit_events').select(['source_ip', 'details'])
      .where('action', '=', 'credential.check_failed').where('source_ip', 'in', ['10.9.0.1', '10.9.0.2']).execute()
    expect(rows).toHaveLength(2)
    const flood = JSON.parse(rows.find((r) => r.source_ip === '10.9.0.1')!.details)
    expect(flood).toMatchObject({ reason: 'unknown_token', count: 62 })
    expect(Date.parse(flood.last)).toBeGreaterThanOrEqual(Date.parse(flood.first))
  })

  it('keeps typo\'d tokens (bad checksum) free: no count, no row, no database read', async () => {
    const before = t.services.failedChecks.stats.failures
    expect((await verify('tcp_notarealtokenbecausethechecksumiswrong1', '10.9.0.3')).statusCode).toBe(401)
    expect(t.services.failedChecks.stats.failures).toBe(before)
  })
})

describe('introspection for standard OAuth clients', () => {
  let base: string
  let introspector: { name: string; token: string }
  beforeAll(async () => {
    introspector = await createServiceToken(t.app, admin.auth, 'ves-io-monitor', { scope: 'custom', permissions: ['tokens:introspect'] })
    base = await t.app.listen({ host: '127.0.0.1', port: 0 })
  })

  it('publishes RFC 8414 metadata naming the endpoint and its client authentication methods', async () => {
    const res = await fetch(`${base}/.well-known/oauth-authorization-server`)
    expect(res.status).toBe(200)
    const m = await res.json()
    expect(m.issuer).toBe(base)
    expect(m.introspection_endpoint).toBe(`${base}/api/oauth2/introspect`)
    expect(m.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post'])
  })

  for (const method of ['basic', 'post'] as const) {
    it(`works unmodified from openid-client's tokenIntrospection with client_secret_${method}`, async () => {
      const auth = method === 'basic' ? oauth.ClientSecretBasic(introspector.token) : oauth.ClientSecretPost(introspector.token)
      const config = await oauth.discovery(new URL(base), introspector.name, undefined, auth, { algorithm: 'oauth2', execute: [oauth.allowInsecureRequests] })
      const subject = await createToken(t.app, admin.auth)
      const live = await oauth.tokenIntrospection(config, subject.token)
      expect(live).toMatchObject({ active: true, client_id: subject.name, username: admin.user.email })
      const unknown = await oauth.tokenIntrospection(config, generateToken('API_TOKEN'))
      expect(unknown).toEqual({ active: false })
    })
  }

  it('refuses a client id that does not name the credential whose token is the secret', async () => {
    const other = await createToken(t.app, admin.auth)
    const basic = Buffer.from(`${other.name}:${encodeURIComponent(introspector.token)}`).toString('base64')
    const res = await fetch(`${base}/api/oauth2/introspect`, {
      method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${other.token}`,
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('invalid_client')
  })
})
