// api_credentials: each endpoint's happy path and its errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, expire, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let adminId: string
let dev: Auth
let devUser: { id: string; email: string }
beforeAll(async () => {
  t = await buildTestApp()
  const a = await signedIn(t, 'admin')
  admin = a.auth
  adminId = a.user.id
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devUser = d.user
})
afterAll(async () => { await t.close() })

const post = (auth: Auth, path: string, payload: unknown) => call(t.app, auth, { method: 'POST', url: `${API}/${path}`, payload: payload as object })

describe('api_credentials happy', () => {
  it('creates with F5 fields, shows the token once, and lists/gets it without the secret', async () => {
    const name = tokenName('terraform')
    const res = await post(dev, 'api_credentials', { name, namespace: 'system', expiration_days: 30, spec: { type: 'API_TOKEN' }, description: 'tf' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['active', 'data', 'expiration_timestamp', 'name'])
    expect(body.data).toMatch(/^tcp_[0-9A-Za-z]{36}$/)
    expect(new Date(body.expiration_timestamp).getTime() - Date.now()).toBeGreaterThan(29.9 * 86_400_000)

    const list = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials` })
    const item = list.json().items.find((i: { name: string }) => i.name === name)
    expect(item).toMatchObject({ namespace: 'system', type: 'API_TOKEN', user_email: devUser.email, active: true, status: 'active', scope: 'full_access', description: 'tf', last_used_timestamp: null })
    for (const k of ['uid', 'create_timestamp', 'expiry_timestamp']) expect(item[k]).toBeTruthy()
    expect(list.body).not.toContain(body.data)

    const get = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })
    expect(get.statusCode).toBe(200)
    expect(get.json().object.metadata.name).toBe(name)
    expect(get.body).not.toContain(body.data)
  })

  it('defaults to 90 days and full access; whoami with the token shows its name, scope and expiry', async () => {
    const res = await post(dev, 'api_credentials', { name: tokenName('defaults') })
    const { data, name, expiration_timestamp } = res.json()
    expect(Math.round((new Date(expiration_timestamp).getTime() - Date.now()) / 86_400_000)).toBe(90)
    const who = await call(t.app, { token: data }, { method: 'GET', url: WHOAMI })
    expect(who.statusCode).toBe(200)
    expect(who.json()).toMatchObject({ email: devUser.email, type: 'USER', role: 'developer', token: { name, scope: 'full_access', expiry_timestamp: expiration_timestamp } })
  })

  it('renews from now, revokes at once, and an admin re-activates where the policy allows it', async () => {
    const { name, token } = await createToken(t.app, dev, { expiration_days: 5 })
    expect((await post(dev, 'renew/api_credentials', { name, expiration_days: 60 })).json()).toEqual({ status: true })
    const got = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json()
    expect(Math.round((new Date(got.expiry_timestamp).getTime() - Date.now()) / 86_400_000)).toBe(60)

    expect((await post(dev, 'revoke/api_credentials', { name })).json()).toEqual({ status: true })
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
    const revoked = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json()
    expect(revoked).toMatchObject({ status: 'revoked', active: false })

    expect((await post(dev, 'activate/api_credentials', { name })).statusCode).toBe(403)
    // Revoke is final by default; re-activation needs the policy's permission.
    expect((await post(admin, 'activate/api_credentials', { name, reason: 'mistake' })).statusCode).toBe(400)
    await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: true }, apply: { mode: 'new_only' } } })
    expect((await post(admin, 'activate/api_credentials', { name, reason: 'revoked by mistake' })).json()).toEqual({ status: true })
    expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
    await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: false }, apply: { mode: 'new_only' } } })
  })

  it('re-activates with the swagger body alone ({name, namespace}) where the policy allows it, audited as given no reason', async () => {
    const { name, token } = await createToken(t.app, dev)
    expect((await post(dev, 'revoke/api_credentials', { name, namespace: 'system' })).json()).toEqual({ status: true })
    const setPolicy = async (on: boolean) => expect((await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: on }, apply: { mode: 'new_only' } } })).statusCode).toBe(200)
    // Where the policy forbids it, the same body is still refused with the existing error.
    const refused = await post(admin, 'activate/api_credentials', { name, namespace: 'system' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({ code: 9, message: expect.stringMatching(/Revoke is final/), details: [{ field: 'name', reason: 'revoked' }] })
    await setPolicy(true)
    try {
      expect((await post(admin, 'activate/api_credentials', { name, namespace: 'system' })).json()).toEqual({ status: true })
      expect((await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode).toBe(200)
      const rows = await t.services.db.db.selectFrom('audit_events').select(['details', 'outcome']).where('action', '=', 'credential.activate').where('target_name', '=', name).execute()
      expect(rows).toHaveLength(1)
      expect(JSON.parse(rows[0].details)).toMatchObject({ reason: 'No reason given (re-activated through the API without one)', reason_given: false, revoked_at: expect.any(String) })
      // With a reason, the row keeps it and says it was given.
      await post(admin, 'revoke/api_credentials', { name })
      expect((await post(admin, 'activate/api_credentials', { name, namespace: 'system', reason: 'revoked the wrong one' })).json()).toEqual({ status: true })
      const again = await t.services.db.db.selectFrom('audit_events').select('details').where('action', '=', 'credential.activate').where('target_name', '=', name).orderBy('id', 'desc').executeTakeFirstOrThrow()
      expect(JSON.parse(again.details)).toMatchObject({ reason: 'revoked the wrong one', reason_given: true })
    } finally {
      await setPolicy(false)
    }
  })

  it('lets an admin create for another user, and lists with filters, sort and cursor', async () => {
    const created = await createToken(t.app, admin, { owner_id: devUser.id, description: 'made for dev' })
    const mine = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${created.name}` })
    expect(mine.json().owner.id).toBe(devUser.id)
    expect(mine.json().created_by).toBe(adminId)

    for (let i = 0; i < 3; i++) await createToken(t.app, admin, { name: `page-test-${i}-abc`, expiration_days: 10 + i })
    const page1 = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials?q=page-test&sort=expires&order=asc&limit=2` })
    expect(page1.json().items.map((i: { name: string }) => i.name)).toEqual(['page-test-0-abc', 'page-test-1-abc'])
    expect(page1.json().total).toBe(3)
    const page2 = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials?q=page-test&sort=expires&order=asc&limit=2&cursor=${page1.json().next_cursor}` })
    expect(page2.json().items.map((i: { name: string }) => i.name)).toEqual(['page-test-2-abc'])
    expect(page2.json().next_cursor).toBeNull()
    const soon = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials?q=page-test&expiring_within_days=10&sort=name` })
    expect(soon.json().items.map((i: { name: string }) => i.name)).toEqual(['page-test-0-abc'])
    await expire(t, 'page-test-1-abc')
    const expired = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials?q=page-test&status=expired&sort=name` })
    expect(expired.json().items.map((i: { name: string }) => i.name)).toEqual(['page-test-1-abc'])
    const byOwner = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials?owner=${devUser.id}&sort=name` })
    expect(byOwner.json().items.every((i: { owner: { id: string } }) => i.owner.id === devUser.id)).toBe(true)
  })

  it('bulk revokes by name and every expired one', async () => {
    const a = await createToken(t.app, dev)
    const b = await createToken(t.app, dev)
    const res = await call(t.app, dev, { method: 'POST', url: `${API.replace('/namespaces/system', '/namespaces/system')}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [a.name, b.name, 'does-not-exist'] } } })
    expect(res.json()).toMatchObject({ credentials_marked_for_deletion: [a.name, b.name], credentials_failed: ['does-not-exist'] })
    // Every requested name lands in exactly one list: revoking twice leaves it revoked, a success.
    const again = await post(dev, 'bulk_revoke/api_credentials', { name_selector: { names: ['does-not-exist', a.name, b.name] } })
    expect(again.json()).toEqual({ credentials_marked_for_deletion: [a.name, b.name], credentials_failed: ['does-not-exist'], error_message: 'Not found: does-not-exist' })
    const mixed = await createToken(t.app, dev)
    const third = (await post(dev, 'bulk_revoke/api_credentials', { name_selector: { names: [a.name, mixed.name] } })).json()
    expect(third).toEqual({ credentials_marked_for_deletion: [a.name, mixed.name], credentials_failed: [], error_message: '' })
    // Audited once per credential actually revoked, never for the repeat.
    const audited = await t.services.db.db.selectFrom('audit_events').select('target_name').where('action', '=', 'credential.bulk_revoke').where('target_name', 'in', [a.name, b.name, mixed.name]).execute()
    expect(audited.map((r) => r.target_name).sort()).toEqual([a.name, b.name, mixed.name].sort())
    const c = await createToken(t.app, dev)
    await expire(t, c.name)
    const ex = await call(t.app, dev, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { expired_selector: { all: {} } } })
    expect(ex.json().credentials_marked_for_deletion).toContain(c.name)
  })

  it('publishes the scope catalog, the policy, health and OpenAPI 3.1 with docs', async () => {
    expect((await call(t.app, dev, { method: 'GET', url: '/api/scopes' })).json().items.map((s: { name: string }) => s.name)).toContain('tokens:introspect')
    expect((await call(t.app, dev, { method: 'GET', url: '/api/policy' })).json()).toMatchObject({ default_expiration_days: 90, max_expiration_days: 365, max_active_tokens_per_user: 100 })
    expect((await t.app.inject({ url: '/api/health' })).json()).toEqual({ status: 'ok', database: t.dialect })
    const oas = (await t.app.inject({ url: '/api/openapi.json' })).json()
    expect(oas.openapi).toBe('3.1.0')
    expect(Object.keys(oas.paths)).toEqual(expect.arrayContaining(['/api/web/namespaces/{namespace}/api_credentials', '/api/web/namespaces/system/bulk_revoke/api_credentials', '/api/web/custom/namespaces/{namespace}/whoami']))
    const docs = await t.app.inject({ url: '/api/docs/' })
    expect(docs.statusCode).toBe(200)
    expect(docs.headers['content-type']).toContain('text/html')
  })
})

describe('api_credentials error', () => {
  const expectError = (res: { statusCode: number; json(): unknown }, status: number, code: number) => {
    expect(res.statusCode).toBe(status)
    const body = res.json() as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message'])
    expect(body.code).toBe(code)
  }

  it('refuses unknown fields, naming them', async () => {
    const res = await post(dev, 'api_credentials', { name: tokenName(), colour: 'blue' })
    expectError(res, 400, 3)
    expect((res.json() as { details: Array<{ field?: string }> }).details).toContainEqual(expect.objectContaining({ field: 'colour' }))
  })

  it.each([['short'], ['Has-Upper'], ['under_score'], ['-leading'], ['a'.repeat(65)]])('refuses the name %s', async (name) => {
    const res = await post(dev, 'api_credentials', { name })
    expectError(res, 400, 3)
    expect(res.json().details[0].field).toBe('name')
  })

  it('answers 409 Object already exists for a taken name, and leaves no second credential', async () => {
    const { name } = await createToken(t.app, dev)
    const res = await post(admin, 'api_credentials', { name })
    expectError(res, 409, 6)
    expect(res.json().message).toBe('Object already exists')
    const list = (await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials?q=${name}&sort=name` })).json()
    expect(list.items).toHaveLength(1)
  })

  it('refuses more than 365 days, other credential types, other namespaces', async () => {
    expectError(await post(dev, 'api_credentials', { name: tokenName(), expiration_days: 366 }), 400, 3)
    expectError(await post(dev, 'api_credentials', { name: tokenName(), expiration_days: 0 }), 400, 3)
    for (const type of ['SERVICE_API_TOKEN', 'SCIM_API_TOKEN']) {
      const res = await post(dev, 'api_credentials', { name: tokenName(), spec: { type } })
      expectError(res, 400, 3)
      expect(res.json().message).toMatch(/not available yet/)
    }
    // Certificates exist now, and need the password that protects their bundle.
    const cert = await post(dev, 'api_credentials', { name: tokenName(), spec: { type: 'API_CERTIFICATE' } })
    expectError(cert, 400, 3)
    expect(cert.json().message).toMatch(/password/)
    // A kubeconfig needs the cluster configured on the server (tests/api/kube-configs.test.ts).
    const kube = await post(dev, 'api_credentials', { name: tokenName(), spec: { type: 'KUBE_CONFIG' } })
    expectError(kube, 400, 3)
    expect(kube.json().message).toMatch(/KUBE_API_SERVER/)
    expectError(await call(t.app, dev, { method: 'GET', url: '/api/web/namespaces/default/api_credentials' }), 400, 3)
    expectError(await post(dev, 'api_credentials', { name: tokenName(), namespace: 'shared' }), 400, 3)
  })

  it('refuses bulk revoke with 0 or 201 names, or both selectors', async () => {
    expectError(await post(dev, 'bulk_revoke/api_credentials', { name_selector: { names: [] } }), 400, 3)
    const many = Array.from({ length: 201 }, (_, i) => `name-number-${i}`)
    expectError(await post(dev, 'bulk_revoke/api_credentials', { name_selector: { names: many } }), 400, 3)
    expectError(await post(dev, 'bulk_revoke/api_credentials', { name_selector: { names: ['abcdef'] }, expired_selector: {} }), 400, 3)
  })

  it('answers 404 for a missing credential, and a custom scope beyond the role is refused', async () => {
    expectError(await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/no-such-token` }), 404, 5)
    expectError(await post(dev, 'renew/api_credentials', { name: 'no-such-token' }), 404, 5)
    const over = await post(dev, 'api_credentials', { name: tokenName(), scope: 'custom', permissions: ['users:write'] })
    expectError(over, 400, 3)
    expect(over.json().details[0].field).toBe('permissions')
    expectError(await post(dev, 'api_credentials', { name: tokenName(), scope: 'custom' }), 400, 3)
    expectError(await post(dev, 'api_credentials', { name: tokenName(), owner_id: adminId }), 403, 7)
  })

  it('answers bad JSON with 400 and never leaks internals on 5xx', async () => {
    const res = await t.app.inject({ method: 'POST', url: `${API}/api_credentials`, headers: { cookie: (dev as { cookie: string }).cookie, 'x-csrf-token': (dev as { csrf: string }).csrf, origin: 'http://localhost:80', 'content-type': 'application/json' }, payload: '{"name": ' })
    expectError(res, 400, 3)
  })
})
