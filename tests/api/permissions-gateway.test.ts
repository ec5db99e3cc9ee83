// Catalog permissions enforced at the gateway: GET /api/verify with X-Required-Scope, through Fastify
// (inject) and the listening server's fast path alike, with the check cache on; retiring invalidates
// cached entries; RFC 7662 introspection reports catalog permissions in `scope`.
import type { AddressInfo } from 'node:net'
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createServiceToken, createToken, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let dev: Auth
let base: string
let introspector: string

beforeAll(async () => {
  // The check cache on (as in production) so these show entries carry and lose their grants.
  t = await buildTestApp({ checkCacheSize: 1000, checkCacheTtlMs: 60_000 })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  introspector = (await createServiceToken(t.app, admin, 'ves-io-monitor', { scope: 'custom', permissions: ['tokens:introspect'] })).token
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => { await t?.close() })

const pname = (action: string) => `gw${crypto.randomBytes(3).toString('hex')}:orders:${action}`
async function added(action: string, sensitive = false) {
  const name = pname(action)
  const res = await call(t.app, admin, { method: 'POST', url: '/api/permissions', payload: { name, description: `${action} orders`, sensitive } })
  expect(res.statusCode, res.body).toBe(201)
  return name
}

/** The same check over HTTP (the fast path) and through Fastify (inject); both must agree. */
async function verify(token: string, required?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(required !== undefined ? { 'x-required-scope': required } : {}) }
  const res = await fetch(`${base}/api/verify`, { headers })
  const wire = { status: res.status, challenge: res.headers.get('www-authenticate'), scope: res.headers.get('x-token-scope'), body: await res.text() }
  const inj = await t.app.inject({ url: '/api/verify', headers })
  expect(t.app.server.listeners('request').map((f) => f.name)).toEqual(['combined'])
  expect({ status: inj.statusCode, challenge: inj.headers['www-authenticate'] ?? null, scope: inj.headers['x-token-scope'] ?? null, body: inj.body }).toEqual(wire)
  return { ...wire, json: wire.body ? JSON.parse(wire.body) : undefined }
}

describe('verify with X-Required-Scope', () => {
  it('204 when the token holds the permission, 403 naming it when not, unchanged without the header', async () => {
    const read = await added('read')
    const write = await added('write')
    const { token } = await createToken(t.app, dev, { scope: 'custom', permissions: [read, 'credentials:read'] })
    const ok = await verify(token, read)
    expect(ok.status).toBe(204)
    expect(ok.scope!.split(' ').sort()).toEqual(['credentials:read', read].sort())
    const refused = await verify(token, write)
    expect(refused.status).toBe(403)
    expect(refused.challenge).toBe(`Bearer realm="token-console", error="insufficient_scope", scope="${write}"`)
    expect(refused.json).toEqual({
      code: 7, message: `This token does not hold the ${write} permission`,
      details: [{ reason: 'missing_permission', permission: write, granted: ['credentials:read', read] }],
    })
    expect((await verify(token)).status).toBe(204)
    // This API's own permissions are scopes too.
    expect((await verify(token, 'credentials:read')).status).toBe(204)
    expect((await verify(token, 'credentials:write')).status).toBe(403)
    // Several, space-separated: every one is needed.
    expect((await verify(token, `${read} credentials:read`)).status).toBe(204)
    expect((await verify(token, `${read} ${write}`)).json.details[0].permission).toBe(write)
  })

  it('an invalid token is still 401 and a malformed required scope is the gateway\'s 400', async () => {
    const res = await verify('tcp_unknown0000000000000000000000000000000000', 'a:b:c')
    expect(res.status).toBe(401)
    const { token } = await createToken(t.app, dev)
    expect((await verify(token, 'a:b:c "x"')).status).toBe(400)
    expect((await verify(token, '')).status).toBe(400)
  })

  it('retiring a permission drops it from cached entries at once: 204 then 403, here and for introspection', async () => {
    const name = await added('cancel')
    const { token } = await createToken(t.app, dev, { scope: 'custom', permissions: [name] })
    expect((await verify(token, name)).status).toBe(204)
    expect((await verify(token, name)).status).toBe(204)
    expect(t.services.checkCache.size).toBeGreaterThan(0)
    const res = await call(t.app, admin, { method: 'POST', url: `/api/permissions/${name}/retire` })
    expect(res.statusCode).toBe(200)
    const after = await verify(token, name)
    expect(after.status).toBe(403)
    expect(after.json.details[0].granted).toEqual([])
    // The token itself stays valid for what it still holds.
    expect((await verify(token)).status).toBe(204)
  })

  it('a sensitive permission is granted only while the owner is an admin (service credential roles edited)', async () => {
    const name = await added('refund', true)
    const svc = await createServiceToken(t.app, admin, 'ves-io-admin', { scope: 'custom', permissions: [name] })
    expect((await verify(svc.token, name)).status).toBe(204)
    const res = await call(t.app, admin, {
      method: 'PUT', url: `/api/web/namespaces/system/service_credentials/${svc.name}`,
      payload: { name: svc.name, namespace_roles: [{ namespace: 'system', role: 'ves-io-power-developer' }] },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect((await verify(svc.token, name)).status).toBe(403)
  })
})

describe('introspection', () => {
  it('returns catalog permissions in scope, space-separated', async () => {
    const name = await added('list')
    const { token } = await createToken(t.app, dev, { scope: 'custom', permissions: ['credentials:read', name] })
    const res = await t.app.inject({
      method: 'POST', url: '/api/oauth2/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${introspector}` },
      payload: `token=${encodeURIComponent(token)}`,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().active).toBe(true)
    expect(res.json().scope.split(' ').sort()).toEqual(['credentials:read', name].sort())
  })
})
