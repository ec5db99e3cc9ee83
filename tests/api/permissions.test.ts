// The permission catalog (/api/permissions): add, list, describe, retire; who may do which; audit rows
// and the recent-sign-in gate; tokens carrying catalog permissions beside this API's own; and the
// structured 403 every refusal for a missing permission gives.
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PolicySettings } from '../../contract/policy.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let dev: Auth
let auditor: Auth

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  auditor = (await signedIn(t, 'auditor')).auth
})
afterAll(async () => { await t.close() })

/** A fresh catalog name, so tests do not depend on each other's entries. */
const pname = (action = 'read') => `svc${crypto.randomBytes(3).toString('hex')}:invoices:${action}`
const add = (auth: Auth, payload: object) => call(t.app, auth, { method: 'POST', url: '/api/permissions', payload })
const retire = (auth: Auth, name: string) => call(t.app, auth, { method: 'POST', url: `/api/permissions/${name}/retire` })
const describeIt = (auth: Auth, name: string) => call(t.app, auth, { method: 'GET', url: `/api/permissions/${name}` })
async function added(sensitive = false) {
  const name = pname()
  const res = await add(admin, { name, description: 'Read invoices', sensitive })
  expect(res.statusCode, res.body).toBe(201)
  return name
}
const auditRows = (name: string) => t.services.db.db.selectFrom('audit_events').selectAll().where('target_type', '=', 'permission').where('target_name', '=', name).orderBy('id').execute()

describe('permission catalog happy', () => {
  it('an admin adds a permission: 201, listed, described, and an audit row', async () => {
    const name = pname()
    const res = await add(admin, { name, description: 'Read invoices of the billing service' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ name, description: 'Read invoices of the billing service', sensitive: false, retired: false, retired_timestamp: null })
    const list = await call(t.app, dev, { method: 'GET', url: '/api/permissions' })
    expect(list.statusCode).toBe(200)
    expect(list.json().items.map((i: { name: string }) => i.name)).toContain(name)
    const one = await describeIt(auditor, name)
    expect(one.statusCode).toBe(200)
    expect(one.json()).toMatchObject({ name, tokens_holding: 0, token_names: [] })
    const rows = await auditRows(name)
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([['permission.create', 'success']])
  })

  it('retire: flagged, filtered, audited once (retiring twice is a success with no second row)', async () => {
    const name = await added()
    const res = await retire(admin, name)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ name, retired: true })
    expect((await retire(admin, name)).statusCode).toBe(200)
    const names = async (q: string) => (await call(t.app, dev, { method: 'GET', url: `/api/permissions${q}` })).json().items.map((i: { name: string }) => i.name)
    expect(await names('?retired=false')).not.toContain(name)
    expect(await names('?retired=true')).toContain(name)
    expect(await names('')).toContain(name)
    expect((await auditRows(name)).map((r) => r.action)).toEqual(['permission.create', 'permission.retire'])
  })
})

describe('permission catalog error', () => {
  it.each([
    ['two parts', 'billing:read'],
    ['upper case', 'Billing:invoices:read'],
    ['a space', 'billing:in voices:read'],
    ['four parts', 'a:b:c:d'],
    ['empty part', 'billing::read'],
  ])('refuses a name with %s: 400 naming the field', async (_what, name) => {
    const res = await add(admin, { name, description: 'x' })
    expect(res.statusCode).toBe(400)
    expect(res.json().details[0]).toMatchObject({ field: 'name' })
    expect(res.json().message).toContain('service:resource:action')
  })

  it('refuses a missing description and unknown fields', async () => {
    expect((await add(admin, { name: pname() })).json().details[0]).toMatchObject({ field: 'description' })
    expect((await add(admin, { name: pname(), description: 'x', owner: 'me' })).statusCode).toBe(400)
  })

  it('a name already in the catalog is 409, retired or not', async () => {
    const name = await added()
    const res = await add(admin, { name, description: 'again' })
    expect(res.statusCode).toBe(409)
    expect(res.json().details).toEqual([{ field: 'name', reason: 'already exists' }])
    await retire(admin, name)
    expect((await add(admin, { name, description: 'again' })).statusCode).toBe(409)
  })

  it('describe and retire of an unknown permission are 404', async () => {
    expect((await describeIt(admin, pname())).statusCode).toBe(404)
    expect((await retire(admin, pname())).statusCode).toBe(404)
  })
})

describe('permission catalog security', () => {
  it('developers and auditors read but cannot change it: 403 naming users:write, nothing written', async () => {
    for (const who of [dev, auditor]) {
      const name = pname()
      const res = await add(who, { name, description: 'x' })
      expect(res.statusCode).toBe(403)
      expect(res.json().details).toEqual([expect.objectContaining({ reason: 'missing_permission', permission: 'users:write' })])
      expect((await describeIt(admin, name)).statusCode).toBe(404)
    }
    const name = await added()
    expect((await retire(dev, name)).statusCode).toBe(403)
    expect((await describeIt(dev, name)).json().retired).toBe(false)
  })

  it('needs a recent sign-in when the policy asks for one', async () => {
    const cur = (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
    const setWindow = (m: number | null) => call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur.settings, reauth_window_minutes: m }, apply: { mode: 'new_only' } } })
    const name = await added()
    expect((await setWindow(5)).statusCode).toBe(200)
    try {
      // The admin's sign-in is moved back past the window.
      await t.services.db.db.updateTable('sessions').set({ created_at: Date.now() - 60 * 60_000, authenticated_at: null }).execute()
      const res = await add(admin, { name: pname(), description: 'x' })
      expect(res.statusCode).toBe(401)
      expect(res.json().details).toEqual([{ reason: 'reauthentication_required' }])
      expect((await retire(admin, name)).statusCode).toBe(401)
      expect((await describeIt(admin, name)).json().retired).toBe(false)
    } finally {
      await t.services.db.db.updateTable('sessions').set({ created_at: Date.now() }).execute()
      expect((await setWindow(null)).statusCode).toBe(200)
    }
  })
})

describe('tokens with catalog permissions', () => {
  it('a developer creates a custom token with a catalog permission beside an API one; describe counts it', async () => {
    const name = await added()
    const tok = await createToken(t.app, dev, { scope: 'custom', permissions: [name, 'credentials:read'] })
    const got = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${tok.name}` })
    expect(got.json().permissions).toEqual([name, 'credentials:read'])
    expect(got.json().retired_permissions).toEqual([])
    const one = (await describeIt(dev, name)).json()
    expect(one.tokens_holding).toBe(1)
    expect(one.token_names).toEqual([tok.name])
    await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: tok.name } })
    expect((await describeIt(dev, name)).json().tokens_holding).toBe(0)
  })

  it('refuses unknown and retired names with a 400 naming them; nothing is created', async () => {
    const unknown = pname()
    let res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tok-unknown-perm', scope: 'custom', permissions: [unknown] } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toContain(unknown)
    expect(res.json().details).toEqual([{ field: 'permissions', reason: 'unknown_permission', permission: unknown }])
    const retired = await added()
    await retire(admin, retired)
    res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tok-retired-perm', scope: 'custom', permissions: [retired] } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toContain(retired)
    expect(res.json().details[0]).toMatchObject({ field: 'permissions', reason: 'retired_permission', permission: retired })
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/tok-retired-perm` })).statusCode).toBe(404)
  })

  it('refuses a name that is neither an API nor a catalog permission, and catalog names outside a custom scope', async () => {
    let res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tok-bad-perm', scope: 'custom', permissions: ['Billing:x'] } })
    expect(res.statusCode).toBe(400)
    expect(res.json().details[0].field).toBe('permissions.0')
    res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tok-bad-perm', scope: 'full_access', permissions: [await added()] } })
    expect(res.statusCode).toBe(400)
  })

  it('a sensitive permission: only a token of an admin owner may hold it', async () => {
    const name = await added(true)
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tok-sensitive-dev', scope: 'custom', permissions: [name] } })
    expect(res.statusCode).toBe(400)
    expect(res.json().details[0]).toMatchObject({ reason: 'sensitive_permission', permission: name })
    await createToken(t.app, admin, { scope: 'custom', permissions: [name] })
    // A service credential's role is its strongest namespace role.
    await expect(createServiceToken(t.app, admin, 'ves-io-monitor', { scope: 'custom', permissions: [name] })).rejects.toThrow(/400/)
    await createServiceToken(t.app, admin, 'ves-io-admin', { scope: 'custom', permissions: [name] })
  })

  it('an existing token reports a permission retired since', async () => {
    const keep = await added()
    const gone = await added()
    const tok = await createToken(t.app, dev, { scope: 'custom', permissions: [keep, gone] })
    await retire(admin, gone)
    const got = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${tok.name}` })
    expect(got.json().retired_permissions).toEqual([gone])
    const list = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials` })
    expect(list.json().items.find((c: { name: string }) => c.name === tok.name).retired_permissions).toEqual([gone])
    expect((await describeIt(dev, gone)).json()).toMatchObject({ retired: true, tokens_holding: 1, token_names: [tok.name] })
  })
})

describe('structured 403', () => {
  it('a read-only token calling a write route: 403 naming the permission, what it holds, and the RFC 6750 challenge', async () => {
    const { token } = await createToken(t.app, dev, { scope: 'read_only' })
    const res = await call(t.app, { token }, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tok-from-readonly', expiration_days: 1 } })
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="token-console", error="insufficient_scope", scope="credentials:write"')
    expect(res.json()).toEqual({
      code: 7, message: 'This needs the credentials:write permission',
      details: [{ reason: 'missing_permission', permission: 'credentials:write', granted: ['credentials:read'] }],
    })
  })

  it('an admin rule refused to a developer session: the permission in the body, no bearer challenge', async () => {
    const r2 = await add(dev, { name: pname(), description: 'x' })
    expect(r2.headers['www-authenticate']).toBeUndefined()
    expect(r2.json()).toMatchObject({ message: 'Only a tenant administrator can change the permission catalog', details: [{ reason: 'missing_permission', permission: 'users:write', granted: ['credentials:read', 'credentials:write'] }] })
  })
})
