// The tenant's one SCIM token (F5 scim_token): create or replace, status,
// revoke; stored as a keyed hash only, administrators write it, and it never acts as an API token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '../../server/lib/tokens.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, signedIn, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let auditor: Auth
let dev: Auth

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  auditor = (await signedIn(t, 'auditor')).auth
  dev = (await signedIn(t, 'developer')).auth
})

afterAll(async () => {
  await t?.close()
})

const create = (auth: Auth, payload: Record<string, unknown> = {}) => call(t.app, auth, { method: 'POST', url: `${API}/scim_token`, payload })
const status = (auth: Auth) => call(t.app, auth, { method: 'GET', url: `${API}/scim_token` })
const revoke = (auth: Auth) => call(t.app, auth, { method: 'POST', url: `${API}/revoke/scim_token`, payload: { namespace: 'system' } })
const scimRows = () => t.services.db.db.selectFrom('credentials').selectAll().where('type', '=', 'SCIM_API_TOKEN').orderBy('created_at').execute()

describe('scim_token (happy)', () => {
  it('creates one, shows its status, replaces it (the old one revoked) and revokes it', async () => {
    expect((await status(admin)).statusCode).toBe(404)
    const first = await create(admin, { namespace: 'system', expiration_days: 30 })
    expect(first.statusCode, first.body).toBe(200)
    const one = first.json()
    expect(one).toMatchObject({ active: true, data: expect.stringMatching(/^scim_[A-Za-z0-9_-]{43}$/) })
    expect(Date.parse(one.expiration_timestamp) - Date.now()).toBeGreaterThan(29 * 86_400_000)

    // Stored as a keyed hash and last 4 only.
    const [row] = await scimRows()
    expect(row!.token_hash).toBe(hashToken(t.services.secret, one.data))
    expect(JSON.stringify(await t.services.db.db.selectFrom('credentials').selectAll().execute())).not.toContain(one.data)
    expect(JSON.stringify(await t.services.db.db.selectFrom('audit_events').selectAll().execute())).not.toContain(one.data)

    const s1 = (await status(auditor)).json()
    expect(s1).toMatchObject({ name: one.name, type: 'SCIM_API_TOKEN', active: true, status: 'active' })
    expect(JSON.stringify(s1)).not.toContain(one.data)

    const second = (await create(admin)).json()
    expect(second.name).not.toBe(one.name)
    expect(second.data).not.toBe(one.data)
    const rows = await scimRows()
    expect(rows.map((r) => r.revoked_at !== null)).toEqual([true, false])
    expect((await status(admin)).json()).toMatchObject({ name: second.name, active: true })

    expect((await revoke(admin)).json()).toEqual({ status: true })
    expect((await status(admin)).json()).toMatchObject({ name: second.name, active: false, status: 'revoked' })
    expect((await revoke(admin)).json()).toEqual({ status: true })
    const actions = await t.services.db.db.selectFrom('audit_events').select(['action', 'target_name']).where('target_name', 'in', [one.name, second.name]).execute()
    expect(actions.filter((a) => a.action === 'credential.create')).toHaveLength(2)
    expect(actions.filter((a) => a.action === 'credential.revoke')).toHaveLength(2)
  })
})

describe('scim_token (error and security)', () => {
  it('only administrators create or revoke it; developers do not see it', async () => {
    expect((await create(dev)).statusCode).toBe(403)
    expect((await create(auditor)).statusCode).toBe(403)
    expect((await revoke(dev)).statusCode).toBe(403)
    expect((await status(dev)).statusCode).toBe(403)
    expect((await call(t.app, null, { method: 'GET', url: `${API}/scim_token` })).statusCode).toBe(401)
  })

  it('is never accepted as an API token, and follows the policy\'s expiry limit and the namespace rule', async () => {
    const { data } = (await create(admin)).json()
    expect((await call(t.app, { token: data }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
    expect((await create(admin, { expiration_days: 9999 })).statusCode).toBe(400)
    expect((await call(t.app, admin, { method: 'POST', url: '/api/web/namespaces/shared/scim_token', payload: {} })).statusCode).toBe(400)
  })
})
