// Issue 10 items 1 (never-expiring tokens), 5 (removal of tokens unused for two years) and 7 (people).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, type Auth } from '../support/factories.js'
import type { PolicySettings } from '../../contract/policy.js'

let t: TestApp
let admin: Auth
let dev: Auth

beforeAll(async () => {
  t = await buildTestApp()
  const a = await signedIn(t, 'admin')
  admin = a.auth
  dev = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const getPolicy = async () => (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
const putPolicy = (settings: PolicySettings) => call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings, apply: { mode: 'new_only' } } })
const svcRoles = [{ namespace: 'system', role: 'ves-io-monitor' }]

describe('never-expiring tokens', () => {
  it('are refused while the policy forbids them, naming never_expires', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: true } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/never-expiring/)
    expect(JSON.stringify(res.json())).toContain('never_expires')
  })

  it('follow the account types the policy names', async () => {
    const base = (await getPolicy()).settings
    try {
      expect((await putPolicy({ ...base, allow_never_expire: true, never_expire_account_types: ['service'] })).statusCode).toBe(200)
      const userRes = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: true } })
      expect(userRes.statusCode).toBe(400)
      expect(userRes.json().message).toMatch(/user accounts/)
      const svc = await call(t.app, admin, { method: 'POST', url: `${API}/service_credentials`, payload: { name: tokenName('svc'), never_expires: true, namespace_roles: svcRoles } })
      expect(svc.statusCode).toBe(200)
      expect(svc.json().expiration_timestamp).toBeNull()

      await putPolicy({ ...base, allow_never_expire: true, never_expire_account_types: ['user', 'service'] })
      const name = tokenName()
      const ok = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name, never_expires: true } })
      expect(ok.statusCode).toBe(200)
      expect(ok.json().expiration_timestamp).toBeNull()
      const row = await t.services.db.db.selectFrom('credentials').select(['expires_at', 'lifetime_days']).where('name', '=', name).executeTakeFirstOrThrow()
      expect(row).toEqual({ expires_at: null, lifetime_days: null })
      const got = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })
      expect(got.statusCode).toBe(200)
      expect((await call(t.app, { token: ok.json().data }, { method: 'GET', url: '/api/web/custom/namespaces/system/whoami' })).statusCode).toBe(200)

      const both = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: true, expiration_days: 10 } })
      expect(both.statusCode).toBe(400)
      expect(both.json().message).toMatch(/never_expires or expiration_days/)
      // false is the ordinary create.
      const plain = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: false } })
      expect(plain.statusCode).toBe(200)
      expect(plain.json().expiration_timestamp).not.toBeNull()
    } finally {
      await putPolicy(base)
    }
  })
})
