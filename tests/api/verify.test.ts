// GET /api/verify (gateway auth_request) and RFC 7662 introspection.
import * as oauth from 'openid-client'
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
    // No credentials at all: a challenge without an error code (RFC 6750 section 3.1).
    expect(none.headers['www-authenticate']).toBe('Bearer realm="token-console"')
    const malformed = await t.app.inject({ url: '/api/verify', headers: { authorization: 'Token abc' } })
    expect(malformed.statusCode).toBe(401)
    expect(malformed.headers['www-authenticate']).toBe('Bearer realm="token-console", error="invalid_request"')
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

  it('answers its refusals with OAuth error bodies and challenges', async () => {
    const { token } = await createToken(t.app, admin)
    // No credentials: invalid_client (RFC 6749 section 5.2), challenged for both schemes it takes.
    const anon = await introspect(null, token)
    expect(anon.json()).toMatchObject({ error: 'invalid_client', error_description: expect.any(String) })
    expect(anon.headers['www-authenticate']).toBe('Basic realm="token-console", Bearer realm="token-console"')
    // A refused bearer token: invalid_token in the body and the challenge (RFC 6750 section 3.1).
    const refused = await introspect('tcs_not-a-real-token-at-all', token)
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toMatchObject({ error: 'invalid_token' })
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="token-console", error="invalid_token"')
    // A wrong client secret over client_secret_basic: invalid_client with a Basic challenge.
    const basic = Buffer.from(`someone:${encodeURIComponent('tcs_wrong-secret')}`).toString('base64')
    const badClient = await t.app.inject({
      method: 'POST', url: '/api/oauth2/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` }, payload: `token=${token}`,
    })
    expect(badClient.statusCode).toBe(401)
    expect(badClient.json()).toMatchObject({ error: 'invalid_client' })
    expect(badClient.headers['www-authenticate']).toBe('Basic realm="token-console", error="invalid_client"')
    // Authenticated without tokens:introspect: 403 insufficient_scope, naming the scope it needs.
    for (const caller of [monitorOnly, token]) {
      const res = await introspect(caller, token)
      expect(res.statusCode).toBe(403)
      expect(res.json()).toMatchObject({ error: 'insufficient_scope', error_description: expect.stringMatching(/tokens:introspect/) })
      expect(res.headers['www-authenticate']).toBe('Bearer realm="token-console", error="insufficient_scope", scope="tokens:introspect"')
    }
  })

  it('answers 403 insufficient_scope over a real socket, to plain fetch and to openid-client', async () => {
    const monitor = await createServiceToken(t.app, admin, 'ves-io-monitor', { scope: 'custom', permissions: ['credentials:read'] })
    const { token } = await createToken(t.app, admin)
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
    const res = await fetch(`${base}/api/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${monitor.name}:${encodeURIComponent(monitor.token)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${token}`,
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="token-console", error="insufficient_scope", scope="tokens:introspect"')
    expect(await res.json()).toMatchObject({ error: 'insufficient_scope' })
    const config = await oauth.discovery(new URL(base), monitor.name, undefined, oauth.ClientSecretBasic(monitor.token), { algorithm: 'oauth2', execute: [oauth.allowInsecureRequests] })
    const err = await oauth.tokenIntrospection(config, token).then(() => undefined, (e: unknown) => e)
    // openid-client reads the challenge: the scheme the client used, the error and the scope it lacks.
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    const e = err as oauth.WWWAuthenticateChallengeError
    expect(e.status).toBe(403)
    expect(e.cause[0]).toMatchObject({ scheme: 'basic', parameters: { error: 'insufficient_scope', scope: 'tokens:introspect' } })
  })
})
