// Role × endpoint matrix: every caller against every endpoint, each allowed and each denied call asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, expire, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'

type Caller = 'admin' | 'developer' | 'auditor' | 'svcAdmin' | 'svcMonitor' | 'devReadOnly' | 'anonymous' | 'expired' | 'revoked'
const CALLERS: Caller[] = ['admin', 'developer', 'auditor', 'svcAdmin', 'svcMonitor', 'devReadOnly', 'anonymous', 'expired', 'revoked']

let t: TestApp
const auth = {} as Record<Caller, Auth>
let adminAuth: Auth
let targetUserId = ''

beforeAll(async () => {
  t = await buildTestApp()
  const a = await signedIn(t, 'admin')
  adminAuth = a.auth
  const d = await signedIn(t, 'developer')
  const au = await signedIn(t, 'auditor')
  auth.admin = a.auth
  auth.developer = d.auth
  auth.auditor = au.auth
  auth.svcAdmin = { token: (await createServiceToken(t.app, a.auth, 'ves-io-admin')).token }
  auth.svcMonitor = { token: (await createServiceToken(t.app, a.auth, 'ves-io-monitor')).token }
  auth.devReadOnly = { token: (await createToken(t.app, d.auth, { scope: 'read_only' })).token }
  auth.anonymous = null
  const exp = await createToken(t.app, d.auth)
  await expire(t, exp.name)
  auth.expired = { token: exp.token }
  const rev = await createToken(t.app, d.auth)
  await call(t.app, d.auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: rev.name } })
  auth.revoked = { token: rev.token }
  targetUserId = (await signedIn(t, 'developer')).user.id
})
afterAll(async () => { await t.close() })

interface Endpoint {
  id: string
  /** Expected status per caller; callers not listed expect `otherwise`. */
  allowed: Caller[]
  okStatus?: number
  denied?: number
  /** Caller-specific answers: a developer gets the same 404 for others' tokens as for missing ones. */
  special?: Partial<Record<Caller, number>>
  run: (a: Auth) => Promise<{ statusCode: number; body: string }>
}

// Each run creates what it needs as the admin first, so a denied call has something real to refuse.
const own = async () => (await createToken(t.app, adminAuth)).name
const endpoints: Endpoint[] = [
  { id: 'GET whoami', allowed: ['admin', 'developer', 'auditor', 'svcAdmin', 'svcMonitor', 'devReadOnly'], run: (a) => call(t.app, a, { method: 'GET', url: WHOAMI }) },
  { id: 'GET api_credentials', allowed: ['admin', 'developer', 'auditor', 'svcAdmin', 'svcMonitor', 'devReadOnly'], run: (a) => call(t.app, a, { method: 'GET', url: `${API}/api_credentials` }) },
  { id: 'POST api_credentials', allowed: ['admin', 'developer'], special: { svcAdmin: 400 }, run: (a) => call(t.app, a, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('m'), expiration_days: 1 } }) },
  { id: 'POST renew (admin-owned)', allowed: ['admin', 'svcAdmin'], special: { developer: 404 }, run: async (a) => call(t.app, a, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: await own(), expiration_days: 2 } }) },
  { id: 'POST revoke (admin-owned)', allowed: ['admin', 'svcAdmin'], special: { developer: 404 }, run: async (a) => call(t.app, a, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: await own() } }) },
  { id: 'POST bulk_revoke', allowed: ['admin', 'developer', 'svcAdmin'], run: (a) => call(t.app, a, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { expired_selector: {} } }) },
  { id: 'GET service_credentials', allowed: ['admin', 'auditor', 'svcAdmin', 'svcMonitor'], run: (a) => call(t.app, a, { method: 'GET', url: `${API}/service_credentials` }) },
  { id: 'POST service_credentials', allowed: ['admin', 'svcAdmin'], run: (a) => call(t.app, a, { method: 'POST', url: `${API}/service_credentials`, payload: { name: tokenName('s'), namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] } }) },
  { id: 'GET users', allowed: ['admin', 'auditor', 'svcAdmin', 'svcMonitor'], run: (a) => call(t.app, a, { method: 'GET', url: '/api/users' }) },
  { id: 'POST users', allowed: ['admin', 'svcAdmin'], okStatus: 201, run: (a) => call(t.app, a, { method: 'POST', url: '/api/users', payload: { email: `${tokenName('u')}@example.com`, name: 'N', role: 'developer', password: 'a-long-password-1' } }) },
  { id: 'PATCH users', allowed: ['admin', 'svcAdmin'], run: (a) => call(t.app, a, { method: 'PATCH', url: `/api/users/${targetUserId}`, payload: { role: 'developer' } }) },
  { id: 'GET service_accounts', allowed: ['admin', 'auditor', 'svcAdmin', 'svcMonitor'], run: (a) => call(t.app, a, { method: 'GET', url: '/api/service_accounts' }) },
]

const UNAUTH: Caller[] = ['anonymous', 'expired', 'revoked']

describe('role × endpoint matrix', () => {
  for (const e of endpoints) {
    for (const c of CALLERS) {
      const expected = e.special?.[c] ?? (e.allowed.includes(c) ? (e.okStatus ?? 200) : UNAUTH.includes(c) ? 401 : (e.denied ?? 403))
      it(`${e.id} as ${c} → ${expected}`, async () => {
        const res = await e.run(auth[c])
        expect(res.statusCode, res.body).toBe(expected)
        if (expected === 401) expect(JSON.parse(res.body)).toMatchObject({ code: 16 })
        if (expected === 403) expect(JSON.parse(res.body)).toMatchObject({ code: 7 })
      })
    }
  }

  it('gives expired, revoked and unknown tokens the same 401 body', async () => {
    const bodies = await Promise.all([auth.expired, auth.revoked, { token: 'tcp_' + 'A'.repeat(36) }].map(async (a) => (await call(t.app, a, { method: 'GET', url: WHOAMI })).body))
    expect(new Set(bodies).size).toBe(1)
  })
})
