// service_credentials: tokens of service accounts with namespace roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
})
afterAll(async () => { await t.close() })

const create = (body: Record<string, unknown>) => call(t.app, admin, { method: 'POST', url: `${API}/service_credentials`, payload: { expiration_days: 30, ...body } })

describe('service_credentials happy', () => {
  it('creates a service account inline, then a second token for the same account', async () => {
    const first = await create({ name: tokenName('ci'), service_account_name: 'terraform-ci', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }], type: 'SERVICE_API_TOKEN', api_token: {} })
    expect(first.statusCode).toBe(200)
    expect(first.json().data).toMatch(/^tcs_/)
    const accounts = (await call(t.app, admin, { method: 'GET', url: '/api/service_accounts' })).json().items
    const sa = accounts.find((a: { name: string }) => a.name === 'terraform-ci')
    expect(sa.active_tokens).toBe(1)
    const second = await create({ name: tokenName('ci'), service_account_id: sa.id, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })
    expect(second.statusCode).toBe(200)
    expect((await call(t.app, admin, { method: 'GET', url: '/api/service_accounts' })).json().items.find((a: { id: string }) => a.id === sa.id).active_tokens).toBe(2)

    const who = await call(t.app, { token: second.json().data }, { method: 'GET', url: WHOAMI })
    expect(who.json()).toMatchObject({ type: 'SERVICE', role: 'auditor', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })
    const listed = (await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials` })).json().items
    expect(listed.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining([first.json().name, second.json().name]))
    expect(listed[0].namespace_access.namespace_role_map.system.names).toEqual(['ves-io-monitor'])
  })

  it('changes roles with PUT, effective on the next request', async () => {
    const name = tokenName('svc')
    const { data: token } = (await create({ name, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })).json()
    expect((await call(t.app, { token }, { method: 'POST', url: `${API}/service_credentials`, payload: { name: tokenName(), namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] } })).statusCode).toBe(403)
    const put = await call(t.app, admin, { method: 'PUT', url: `${API}/service_credentials/${name}`, payload: { namespace_access: { namespace_role_map: { system: { names: ['ves-io-admin'] } } } } })
    expect(put.statusCode).toBe(200)
    expect(put.json()).toMatchObject({ name, active: true })
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).json().role).toBe('admin')
    expect((await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials/${name}` })).json().namespace_roles).toEqual([{ namespace: 'system', role: 'ves-io-admin' }])
  })

  it('renews and revokes through the service family, not the personal one', async () => {
    const name = tokenName('svc')
    const { data: token } = (await create({ name, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })).json()
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })).statusCode).toBe(404)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/renew/service_credentials`, payload: { name, expiration_days: 7 } })).statusCode).toBe(200)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/service_credentials`, payload: { name } })).statusCode).toBe(200)
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
  })
})

describe('service_credentials activate and bulk revoke, F5 bodies', () => {
  const post = (path: string, payload: object) => call(t.app, admin, { method: 'POST', url: `${API}/${path}`, payload })
  const setPolicy = async (on: boolean) => expect((await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: on }, apply: { mode: 'new_only' } } })).statusCode).toBe(200)

  it('re-activates with {name, namespace} alone where the policy allows it, audited as given no reason; refused where it does not', async () => {
    const name = tokenName('svc')
    const { data: token } = (await create({ name, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })).json()
    expect((await post('revoke/service_credentials', { name, namespace: 'system' })).json()).toEqual({ status: true })
    const refused = await post('activate/service_credentials', { name, namespace: 'system' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({ code: 9, details: [{ field: 'name', reason: 'revoked' }] })
    await setPolicy(true)
    try {
      expect((await post('activate/service_credentials', { name, namespace: 'system' })).json()).toEqual({ status: true })
      expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
      const row = await t.services.db.db.selectFrom('audit_events').select('details').where('action', '=', 'credential.activate').where('target_name', '=', name).executeTakeFirstOrThrow()
      expect(JSON.parse(row.details)).toMatchObject({ reason: 'No reason given (re-activated through the API without one)', reason_given: false })
    } finally {
      await setPolicy(false)
    }
  })

  it('puts every requested name in exactly one list: an already revoked one is a success, an unknown one a failure', async () => {
    const a = tokenName('svc')
    const b = tokenName('svc')
    for (const name of [a, b]) expect((await create({ name, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })).statusCode).toBe(200)
    expect((await post('revoke/service_credentials', { name: a })).statusCode).toBe(200)
    const res = await post('bulk_revoke/service_credentials', { name_selector: { names: [a, 'no-such-service', b] } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ credentials_marked_for_deletion: [a, b], credentials_failed: ['no-such-service'], error_message: 'Not found: no-such-service' })
    // Only b was revoked by this call: one bulk revoke row, none for the already revoked a.
    const rows = await t.services.db.db.selectFrom('audit_events').select('target_name').where('action', '=', 'credential.bulk_revoke').where('target_name', 'in', [a, b]).execute()
    expect(rows.map((r) => r.target_name)).toEqual([b])
  })
})

describe('service_credentials error', () => {
  it('needs a namespace role, a password for a certificate, and an unknown service account', async () => {
    expect((await create({ name: tokenName() })).statusCode).toBe(400)
    const typed = await create({ name: tokenName(), type: 'SERVICE_API_CERTIFICATE', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })
    expect(typed.statusCode).toBe(400)
    // Certificates exist now, and need the password that protects their bundle.
    expect(typed.json().message).toMatch(/password/)
    expect((await create({ name: tokenName(), namespace_roles: [{ namespace: 'system', role: 'root' }] })).statusCode).toBe(400)
    expect((await create({ name: tokenName(), service_account_id: 'nope', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })).statusCode).toBe(404)
    expect((await call(t.app, admin, { method: 'PUT', url: `${API}/service_credentials/no-such-one`, payload: { namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }] } })).statusCode).toBe(404)
  })
})
