// A developer cannot see or touch another person's token; scope narrows rights; revocation is immediate;
// the active-token limit holds under concurrent creates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let alice: Auth
let bob: Auth
let admin: Auth
beforeAll(async () => {
  t = await buildTestApp({ maxActiveTokensPerUser: 5 })
  alice = (await signedIn(t, 'developer')).auth
  bob = (await signedIn(t, 'developer')).auth
  admin = (await signedIn(t, 'admin')).auth
})
afterAll(async () => { await t.close() })

describe('isolation security', () => {
  it('gives another user’s token the same 404 as a missing one, and it keeps working', async () => {
    const bobs = await createToken(t.app, bob)
    const missing = await call(t.app, alice, { method: 'GET', url: `${API}/api_credentials/no-such-token-here` })
    const get = await call(t.app, alice, { method: 'GET', url: `${API}/api_credentials/${bobs.name}` })
    expect(get.statusCode).toBe(404)
    expect(get.body).toBe(missing.body.replace('no-such-token-here', bobs.name))
    for (const action of ['renew', 'revoke', 'activate']) {
      const r = await call(t.app, alice, { method: 'POST', url: `${API}/${action}/api_credentials`, payload: { name: bobs.name } })
      expect(r.statusCode, action).toBe(404)
      expect(r.body).toBe(get.body)
    }
    const list = await call(t.app, alice, { method: 'GET', url: `${API}/api_credentials` })
    expect(list.body).not.toContain(bobs.name)
    const listOwner = await call(t.app, alice, { method: 'GET', url: `${API}/api_credentials?owner=${'x'}&limit=10` })
    expect(listOwner.json().items).toEqual([])
    const bulk = await call(t.app, alice, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [bobs.name] } } })
    expect(bulk.json()).toMatchObject({ credentials_failed: [bobs.name], credentials_marked_for_deletion: [] })
    expect((await call(t.app, { token: bobs.token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
  })

  it('narrows rights to owner role ∩ token scope, and a demotion shrinks tokens at once', async () => {
    const { user: boss, auth: bossAuth } = await signedIn(t, 'admin')
    const ro = await createToken(t.app, alice, { scope: 'read_only' })
    const denied = await call(t.app, { token: ro.token }, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName() } })
    expect(denied.statusCode).toBe(403)
    const custom = await createToken(t.app, bossAuth, { scope: 'custom', permissions: ['users:read'] })
    expect((await call(t.app, { token: custom.token }, { method: 'GET', url: '/api/users' })).statusCode).toBe(200)
    expect((await call(t.app, { token: custom.token }, { method: 'GET', url: `${API}/api_credentials` })).statusCode).toBe(403)
    const full = await createToken(t.app, bossAuth)
    expect((await call(t.app, { token: full.token }, { method: 'GET', url: '/api/users' })).statusCode).toBe(200)
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${boss.id}`, payload: { role: 'developer' } })
    expect((await call(t.app, { token: full.token }, { method: 'GET', url: '/api/users' })).statusCode).toBe(403)
    expect((await call(t.app, { token: custom.token }, { method: 'GET', url: '/api/users' })).statusCode).toBe(403)
  })

  it('revokes before the response returns: the very next request is refused', async () => {
    const { name, token } = await createToken(t.app, admin)
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
  })

  it('disabling a user stops all of their tokens at once; enabling restores them', async () => {
    const { user, auth } = await signedIn(t, 'developer')
    const a = await createToken(t.app, auth)
    const b = await createToken(t.app, auth)
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { disabled: true } })
    for (const tok of [a, b]) expect((await call(t.app, { token: tok.token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
    expect((await call(t.app, auth, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(401)
    const listed = (await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials/${a.name}` })).json()
    expect(listed.status).toBe('disabled')
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { disabled: false } })
    for (const tok of [a, b]) expect((await call(t.app, { token: tok.token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
  })

  it('refuses a malformed Authorization header and a typo’d token without a database read', async () => {
    const { token } = await createToken(t.app, admin)
    const typo = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    expect((await t.app.inject({ url: WHOAMI, headers: { authorization: `Basic ${token}` } })).statusCode).toBe(401)
    expect((await t.app.inject({ url: WHOAMI, headers: { authorization: `Bearer ${typo}` } })).statusCode).toBe(401)
    expect((await t.app.inject({ url: WHOAMI, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200)
  })
})

describe('limits', () => {
  it('holds at most the limit of active tokens under 20 concurrent creates', async () => {
    const { auth } = await signedIn(t, 'developer')
    for (let i = 0; i < 4; i++) await createToken(t.app, auth)
    const results = await Promise.all(
      Array.from({ length: 20 }, () => call(t.app, auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('race'), expiration_days: 1 } })),
    )
    const codes = results.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 200)).toHaveLength(1)
    expect(codes.filter((c) => c === 429)).toHaveLength(19)
    expect(results.find((r) => r.statusCode === 429)!.json().code).toBe(8)
    const list = await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials` })
    expect(list.json().items).toHaveLength(5)
  })
})
