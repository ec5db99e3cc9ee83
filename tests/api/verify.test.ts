// GET /api/verify (gateway auth_request) and RFC 7662 introspection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, expire, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let introspector: string
let monitorOnly: string
beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  introspector = (await createServiceToken(t.app, admin, 'ves-io-monitor', { scope: 'custom', permissions: ['tokens:introspect'] })).token
  monitorOnly = (await createServiceToken(t.app, admin, 'ves-io-monitor', { scope: 'custom', permissions: ['credentials:read'] })).token
})
afterAll(async () => { await t.close() })

const introspect = (caller: string | null, token: string, extra = '') =>
  t.app.inject({
    method: 'POST', url: '/api/oauth2/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(caller ? { authorization: `Bearer ${caller}` } : {}) },
    payload: `token=${encodeURIComponent(token)}${extra}`,
  })

describe('verify happy', () => {
  it('answers 204 with the token’s name, owner and scope', async () => {
    const { name, token } = await createToken(t.app, admin, { scope: 'read_only' })
    const res = await t.app.inject({ url: '/api/verify', headers: { authorization: `APIToken ${token}` } })
    expect(res.statusCode).toBe(204)
    expect(res.headers['x-token-name']).toBe(name)
    expect(res.headers['x-token-owner']).toMatch(/@example.com$/)
    expect(String(res.headers['x-token-scope']).split(' ')).toContain('credentials:read')
    expect(String(res.headers['x-token-scope']).split(' ')).not.toContain('credentials:write')
  })
})

describe('verify error', () => {
  it('answers 401 with WWW-Authenticate per RFC 6750', async () => {
    const none = await t.app.inject({ url: '/api/verify' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer realm="token-console", error="invalid_request"')
    const { name, token } = await createToken(t.app, admin)
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
    const revoked = await t.app.inject({ url: '/api/verify', headers: { authorization: `Bearer ${token}` } })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.headers['www-authenticate']).toBe('Bearer realm="token-console", error="invalid_token"')
  })
})

describe('introspection conformance', () => {
  it('describes an active token', async () => {
    const { name, token } = await createToken(t.app, admin, { scope: 'read_only', expiration_days: 10 })
    const res = await introspect(introspector, token, '&token_type_hint=access_token')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ active: true, client_id: name, token_type: 'Bearer' })
    expect(body.username).toMatch(/@example.com$/)
    expect(body.scope.split(' ')).toContain('credentials:read')
    expect(body.exp - body.iat).toBe(10 * 86_400)
    expect(body.sub).toBeTruthy()
  })

  it('answers exactly {"active":false} for unknown, malformed, expired, revoked and disabled tokens', async () => {
    const expired = await createToken(t.app, admin)
    await expire(t, expired.name)
    const revoked = await createToken(t.app, admin)
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: revoked.name } })
    const { user, auth } = await signedIn(t, 'developer')
    const disabled = await createToken(t.app, auth)
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { disabled: true } })
    for (const token of ['tcp_' + '0'.repeat(36), 'garbage', expired.token, revoked.token, disabled.token]) {
      const res = await introspect(introspector, token)
      expect(res.statusCode).toBe(200)
      expect(res.body).toBe('{"active":false}')
    }
  })

  it('refuses an unauthenticated caller with 401 and a caller without tokens:introspect with 403', async () => {
    const { token } = await createToken(t.app, admin)
    const anon = await introspect(null, token)
    expect(anon.statusCode).toBe(401)
    expect(anon.headers['www-authenticate']).toContain('Bearer realm=')
    expect((await introspect(monitorOnly, token)).statusCode).toBe(403)
    expect((await introspect(token, token)).statusCode).toBe(403) // a user token, even an admin's, is not a service credential
  })
})
