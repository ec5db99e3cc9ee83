// Revoke means revoked; activate's remaining cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, WHOAMI, call, createToken, expire, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let dev: Auth
let devId: string

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devId = d.user.id
})
afterAll(async () => { await t.close() })

const post = (auth: Auth, path: string, payload: object) => call(t.app, auth, { method: 'POST', url: `${API}/${path}`, payload })
const whoami = (token: string) => call(t.app, { token }, { method: 'GET', url: WHOAMI })
const allowReactivation = async (on: boolean) => {
  const res = await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: on }, apply: { mode: 'new_only' } } })
  expect(res.statusCode).toBe(200)
}

describe('revoke is final', () => {
  it('refuses to re-activate a revoked token by default, for admins too, and the token stays refused', async () => {
    const { name, token } = await createToken(t.app, dev)
    await post(dev, 'revoke/api_credentials', { name })
    const res = await post(admin, 'activate/api_credentials', { name, reason: 'please' })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/Revoke is final/)
    expect((await whoami(token)).statusCode).toBe(401)
    const rows = await t.services.db.db.selectFrom('audit_events').select('action').where('target_name', '=', name).execute()
    expect(rows.map((r) => r.action)).not.toContain('credential.activate')
  })

  it('where the policy allows it: administrators only, audited with their reason', async () => {
    await allowReactivation(true)
    const { name, token } = await createToken(t.app, dev)
    await post(dev, 'revoke/api_credentials', { name })
    expect((await post(dev, 'activate/api_credentials', { name, reason: 'mine' })).statusCode).toBe(403)
    // (Without a reason, as F5's body has none, it works too: tests/api/credentials.test.ts.)
    expect((await post(admin, 'activate/api_credentials', { name, reason: 'revoked the wrong one' })).json()).toEqual({ status: true })
    expect((await whoami(token)).statusCode).toBe(200)
    const row = await t.services.db.db.selectFrom('audit_events').select('details').where('action', '=', 'credential.activate').where('target_name', '=', name).executeTakeFirstOrThrow()
    expect(JSON.parse(row.details)).toMatchObject({ reason: 'revoked the wrong one' })
    await allowReactivation(false)
  })

  it('never re-activates a token reported as leaked, whatever the policy', async () => {
    await allowReactivation(true)
    const { name, token } = await createToken(t.app, dev)
    await post(dev, 'revoke/api_credentials', { name })
    await t.services.db.db.updateTable('credentials').set({ leaked_at: Date.now() }).where('name', '=', name).execute()
    const res = await post(admin, 'activate/api_credentials', { name, reason: 'sure?' })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/leaked/)
    expect((await whoami(token)).statusCode).toBe(401)
    await allowReactivation(false)
  })
})

describe('activate restores only what was not revoked', () => {
  it('an expired token renewed (F5 Terraform: activate then renew) works; activate itself is a no-op', async () => {
    const { name, token } = await createToken(t.app, dev)
    await expire(t, name)
    t.services.checkCache.invalidate('*')
    expect((await whoami(token)).statusCode).toBe(401)
    expect((await post(dev, 'activate/api_credentials', { name })).json()).toEqual({ status: true })
    expect((await post(dev, 'renew/api_credentials', { name, expiration_days: 10 })).json()).toEqual({ status: true })
    expect((await whoami(token)).statusCode).toBe(200)
  })

  it('a token disabled with its owner works again when the owner is enabled', async () => {
    const { name, token } = await createToken(t.app, admin, { owner_id: devId })
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${devId}`, payload: { disabled: true } })
    expect((await whoami(token)).statusCode).toBe(401)
    expect((await post(admin, 'activate/api_credentials', { name })).json()).toEqual({ status: true })
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${devId}`, payload: { disabled: false } })
    expect((await whoami(token)).statusCode).toBe(200)
  })
})
