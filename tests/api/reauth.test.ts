// Create, renew and rotate, and every administrative change (policy, people, roles, webhooks, the
// SCIM token), need a recent sign-in from a console session when the policy sets
// reauth_window_minutes; POST /api/auth/reauthenticate refreshes it.
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PolicySettings } from '../../contract/policy.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, PASSWORD, call, createServiceToken, createToken, createUser, login, signedIn, tokenName, type Auth } from '../support/factories.js'

let t: TestApp
let admin: { cookie: string; csrf: string }
let dev: { cookie: string; csrf: string }
let devEmail: string

let dir: string

beforeAll(async () => {
  // Kubeconfigs need a cluster to point at; a throwaway CA certificate is enough to issue them.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-reauth-'))
  const caFile = path.join(dir, 'cluster-ca.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', caFile, '-days', '1', '-subj', '/CN=kubernetes'], { stdio: 'ignore' })
  // Webhooks to a local address: this machine resolves no public names.
  t = await buildTestApp({ webhookAllowPrivateTargets: true, kube: { apiServer: 'https://k8s.example.test:6443', caFile, clusterName: 'default' } })
  admin = (await signedIn(t, 'admin')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
}, 60_000)
afterAll(async () => {
  await t.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const MINUTE = 60_000
const idHash = (auth: { cookie: string }) => crypto.createHash('sha256').update(auth.cookie.replace(/^tc_session=/, '')).digest('hex')

/** Moves a session's sign-in (and any re-entry) back, as if that many minutes had passed. */
const signedInAgo = (auth: { cookie: string }, minutes: number) =>
  t.services.db.db.updateTable('sessions').set({ created_at: Date.now() - minutes * MINUTE, authenticated_at: null })
    .where('id_hash', '=', idHash(auth)).execute()

async function setWindow(minutes: number | null) {
  const cur = (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
  const res = await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur.settings, reauth_window_minutes: minutes }, apply: { mode: 'new_only' } } })
  expect(res.statusCode, res.body).toBe(200)
}

const post = (auth: Auth, path: string, payload: object, remoteAddress?: string) =>
  call(t.app, auth, { method: 'POST', url: path.startsWith('/') ? path : `${API}/${path}`, payload, remoteAddress })
const reauth = (auth: Auth, password: string, remoteAddress?: string) => post(auth, '/api/auth/reauthenticate', { password }, remoteAddress)
const createBody = () => ({ name: tokenName('reauth'), expiration_days: 30 })
const serviceBody = () => ({ name: tokenName('svc'), expiration_days: 30, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })
const kubeBody = () => ({ name: tokenName('kube'), expiration_days: 7, vk8s_cluster_name: 'edge-1', vk8s_namespace: 'shop' })
const credentialCount = async () => Number((await t.services.db.db.selectFrom('credentials').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
const auditCount = async (action: string, outcome?: 'success' | 'failure') => {
  let q = t.services.db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', '=', action)
  if (outcome) q = q.where('outcome', '=', outcome)
  return Number((await q.executeTakeFirstOrThrow()).n)
}

function expectReauthRequired(res: { statusCode: number; body: string; json(): unknown }, ago: number, within: number) {
  expect(res.statusCode, res.body).toBe(401)
  const body = res.json() as { code: number; message: string; details: Array<{ reason: string }> }
  expect(body.code).toBe(16)
  expect(body.details).toEqual([{ reason: 'reauthentication_required' }])
  expect(body.message).toBe(`Confirm your password to continue: your last sign-in was ${ago} minutes ago; the tenant policy asks for one within ${within} minutes`)
}

describe('reauth happy', () => {
  it('never asks while the policy leaves the window unset', async () => {
    await setWindow(null)
    await signedInAgo(dev, 60 * 24 * 3)
    expect((await post(dev, 'api_credentials', createBody())).statusCode).toBe(200)
  })

  it('lets a session inside the window create, renew and rotate', async () => {
    await setWindow(5)
    const fresh = await login(t.app, devEmail)
    await signedInAgo(fresh, 4)
    const body = createBody()
    expect((await post(fresh, 'api_credentials', body)).statusCode).toBe(200)
    expect((await post(fresh, 'renew/api_credentials', { name: body.name, expiration_days: 10 })).statusCode).toBe(200)
    expect((await post(fresh, 'rotate/api_credentials', { name: body.name, overlap_seconds: 0 })).statusCode).toBe(200)
    const kube = await post(fresh, 'kube_configs', kubeBody())
    expect(kube.statusCode, kube.body).toBe(200)
  })

  it('after the right password the refused action passes, and the re-entry is audited', async () => {
    await setWindow(5)
    const s = await login(t.app, devEmail)
    await signedInAgo(s, 30)
    const body = createBody()
    expectReauthRequired(await post(s, 'api_credentials', body), 30, 5)
    const before = await auditCount('auth.reauthenticate', 'success')
    const ok = await reauth(s, PASSWORD)
    expect(ok.statusCode, ok.body).toBe(200)
    expect(Math.abs(Date.parse(ok.json().authenticated_at) - Date.now())).toBeLessThan(5_000)
    expect(await auditCount('auth.reauthenticate', 'success')).toBe(before + 1)
    expect((await post(s, 'api_credentials', body)).statusCode).toBe(200)
    expect((await post(s, 'renew/api_credentials', { name: body.name, expiration_days: 12 })).statusCode).toBe(200)
    expect((await post(s, 'rotate/api_credentials', { name: body.name, overlap_seconds: 0 })).statusCode).toBe(200)
    expect((await post(s, 'kube_configs', kubeBody())).statusCode).toBe(200)
    // The re-entry counts, not the sign-in: 6 minutes later it is asked again.
    await t.services.db.db.updateTable('sessions').set({ authenticated_at: Date.now() - 6 * MINUTE }).where('id_hash', '=', idHash(s)).execute()
    expectReauthRequired(await post(s, 'api_credentials', createBody()), 6, 5)
  })

  it('does not ask API tokens, which have no password', async () => {
    await setWindow(5)
    const s = await login(t.app, devEmail)
    const { name, token } = await createToken(t.app, s)
    await signedInAgo(s, 120)
    const auth = { token }
    expect((await post(auth, 'api_credentials', createBody())).statusCode).toBe(200)
    expect((await post(auth, 'renew/api_credentials', { name, expiration_days: 20 })).statusCode).toBe(200)
    expect((await post(auth, 'rotate/api_credentials', { name, overlap_seconds: 60 })).statusCode).toBe(200)
  })
})

describe('reauth error', () => {
  it('refuses create, service create, renew, rotate, kubeconfig and SCIM token create past the window, changing nothing', async () => {
    await setWindow(5)
    const a = await login(t.app, (await t.services.db.db.selectFrom('users').select('email').where('role', '=', 'admin').executeTakeFirstOrThrow()).email)
    const existing = await createToken(t.app, a)
    const row = () => t.services.db.db.selectFrom('credentials').select(['expires_at', 'replaced_by']).where('name', '=', existing.name).executeTakeFirstOrThrow()
    const before = await row()
    await signedInAgo(a, 10)
    const counts = { creds: await credentialCount(), create: await auditCount('credential.create'), renew: await auditCount('credential.renew'), rotate: await auditCount('credential.rotate') }
    const created = createBody()
    expectReauthRequired(await post(a, 'api_credentials', created), 10, 5)
    expectReauthRequired(await post(a, 'service_credentials', serviceBody()), 10, 5)
    expectReauthRequired(await post(a, 'renew/api_credentials', { name: existing.name, expiration_days: 90 }), 10, 5)
    expectReauthRequired(await post(a, 'rotate/api_credentials', { name: existing.name, overlap_seconds: 0 }), 10, 5)
    expectReauthRequired(await post(a, 'kube_configs', kubeBody()), 10, 5)
    expectReauthRequired(await post(a, 'service_kube_configs', serviceBody()), 10, 5)
    expectReauthRequired(await post(a, 'scim_token', { expiration_days: 30 }), 10, 5)
    expect(await credentialCount()).toBe(counts.creds)
    expect(await row()).toEqual(before)
    expect({ creds: await credentialCount(), create: await auditCount('credential.create'), renew: await auditCount('credential.renew'), rotate: await auditCount('credential.rotate') }).toEqual(counts)
    expect((await call(t.app, a, { method: 'GET', url: `${API}/api_credentials/${created.name}` })).statusCode).toBe(404)
    // Reading and revoking are not gated: ending a credential should never wait for a password.
    expect((await call(t.app, a, { method: 'GET', url: `${API}/api_credentials/${existing.name}` })).statusCode).toBe(200)
    expect((await post(a, 'revoke/api_credentials', { name: existing.name })).statusCode).toBe(200)
  })

  it('refuses a wrong password, audits it, and keeps asking', async () => {
    await setWindow(5)
    const s = await login(t.app, devEmail)
    await signedInAgo(s, 10)
    const failures = await auditCount('auth.reauthenticate', 'failure')
    const res = await reauth(s, 'not-the-password-at-all')
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ code: 16, message: 'That password is not right', details: [{ field: 'password', reason: 'bad_credentials' }] })
    expect(await auditCount('auth.reauthenticate', 'failure')).toBe(failures + 1)
    expectReauthRequired(await post(s, 'api_credentials', createBody()), 10, 5)
    // The session itself is still signed in: a wrong re-entry is not a sign-out.
    expect((await call(t.app, s, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(200)
    // The password is never stored, even when wrong.
    const rows = await t.services.db.db.selectFrom('audit_events').select('details').where('action', '=', 'auth.reauthenticate').execute()
    expect(JSON.stringify(rows)).not.toContain('not-the-password-at-all')
    expect(JSON.stringify(rows)).not.toContain(PASSWORD)
  })

  it('counts wrong passwords in the sign-in brake: after 10, re-entry and sign-in both answer 429', async () => {
    const { user, auth } = await signedIn(t, 'developer')
    const ip = '10.9.0.7'
    for (let i = 0; i < 10; i++) expect((await reauth(auth, `wrong-password-${i}`, ip)).statusCode).toBe(401)
    const braked = await reauth(auth, PASSWORD, ip)
    expect(braked.statusCode).toBe(429)
    expect(braked.headers['retry-after']).toBe('900')
    const signIn = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: PASSWORD }, remoteAddress: ip })
    expect(signIn.statusCode).toBe(429)
    // Failed sign-ins count the other way too.
    const other = await signedIn(t, 'developer')
    const ip2 = '10.9.0.8'
    for (let i = 0; i < 10; i++) {
      expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: other.user.email, password: `bad-${i}` }, remoteAddress: ip2 })).statusCode).toBe(401)
    }
    expect((await reauth(other.auth, PASSWORD, ip2)).statusCode).toBe(429)
  })
})

describe('reauth security', () => {
  it('needs the CSRF token and a console session', async () => {
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/auth/reauthenticate', payload: { password: PASSWORD }, headers: { cookie: dev.cookie, origin: 'http://localhost:80' } })
    expect(noCsrf.statusCode).toBe(403)
    const { token } = await createToken(t.app, admin)
    expect((await reauth({ token }, PASSWORD)).statusCode).toBe(403)
    expect((await reauth(null, PASSWORD)).statusCode).toBe(401)
  })
})

/**
 * One administrative change: `prepare` makes what it acts on (with the fresh admin session), `send`
 * is the request, `state` reads back what it would change, and `ok` is its success status.
 */
interface AdminChange {
  name: string
  prepare(): Promise<Record<string, string>>
  send(auth: Auth, ctx: Record<string, string>): Promise<{ statusCode: number; body: string; json(): unknown }>
  state(ctx: Record<string, string>): Promise<unknown>
  ok: number
}

const db = () => t.services.db.db
const userState = (id: string) => db().selectFrom('users').select(['role', 'disabled', 'password_hash']).where('id', '=', id).executeTakeFirst()
const policySettings = async () => ((await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }).settings
const webhookRow = (id: string) => db().selectFrom('webhooks').select(['url', 'events', 'enabled', 'description']).where('id', '=', id).executeTakeFirst()
const HOOK_URL = 'http://127.0.0.1:9/token-console'
async function newWebhook() {
  const res = await call(t.app, admin, { method: 'POST', url: '/api/webhooks', payload: { url: HOOK_URL, events: ['credential.leaked'] } })
  expect(res.statusCode, res.body).toBe(201)
  return { id: res.json().id as string }
}
const scimToken = () => db().selectFrom('credentials').select(['name', 'state']).where('type', '=', 'SCIM_API_TOKEN').orderBy('created_at').orderBy('name').execute()

const adminChanges: AdminChange[] = [
  {
    name: 'PUT /api/policy switching the window off',
    prepare: async () => ({}),
    send: async (auth) => call(t.app, auth, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await policySettings()), reauth_window_minutes: null }, apply: { mode: 'new_only' } } }),
    state: policySettings,
    ok: 200,
  },
  {
    name: 'PUT /api/policy allowing more tokens per person',
    prepare: async () => ({}),
    send: async (auth) => {
      const cur = await policySettings()
      return call(t.app, auth, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur, max_active_tokens_per_user: cur.max_active_tokens_per_user + 1 }, apply: { mode: 'new_only' } } })
    },
    state: policySettings,
    ok: 200,
  },
  {
    name: 'POST /api/users creating an administrator with a chosen password',
    prepare: async () => ({ email: `${tokenName('made')}@example.com` }),
    send: (auth, c) => call(t.app, auth, { method: 'POST', url: '/api/users', payload: { email: c.email, name: 'Made Admin', role: 'admin', password: 'chosen-by-the-caller-1' } }),
    state: (c) => db().selectFrom('users').select(['id', 'role']).where('email', '=', c.email).executeTakeFirst(),
    ok: 201,
  },
  {
    name: 'PATCH /api/users/{id} making someone an administrator',
    prepare: async () => ({ id: (await createUser(t)).id }),
    send: (auth, c) => call(t.app, auth, { method: 'PATCH', url: `/api/users/${c.id}`, payload: { role: 'admin' } }),
    state: (c) => userState(c.id),
    ok: 200,
  },
  {
    name: 'PATCH /api/users/{id} disabling someone',
    prepare: async () => ({ id: (await createUser(t, { role: 'admin' })).id }),
    send: (auth, c) => call(t.app, auth, { method: 'PATCH', url: `/api/users/${c.id}`, payload: { disabled: true } }),
    state: (c) => userState(c.id),
    ok: 200,
  },
  {
    name: 'PATCH /api/users/{id} setting someone\'s password',
    prepare: async () => ({ id: (await createUser(t, { role: 'admin' })).id }),
    send: (auth, c) => call(t.app, auth, { method: 'PATCH', url: `/api/users/${c.id}`, payload: { password: 'set-by-the-caller-12' } }),
    state: (c) => userState(c.id),
    ok: 200,
  },
  {
    name: 'DELETE /api/users/{id}',
    prepare: async () => ({ id: (await createUser(t)).id }),
    send: (auth, c) => call(t.app, auth, { method: 'DELETE', url: `/api/users/${c.id}` }),
    state: (c) => userState(c.id),
    ok: 200,
  },
  {
    name: 'PUT …/service_credentials/{name} raising the roles to ves-io-admin',
    prepare: async () => ({ name: (await createServiceToken(t.app, admin, 'ves-io-monitor')).name }),
    send: (auth, c) => call(t.app, auth, { method: 'PUT', url: `${API}/service_credentials/${c.name}`, payload: { namespace: 'system', name: c.name, namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }] } }),
    state: (c) => db().selectFrom('credentials').select(['namespace_roles', 'user_group_names']).where('name', '=', c.name).executeTakeFirst(),
    ok: 200,
  },
  {
    name: 'POST /api/webhooks',
    prepare: async () => ({ description: tokenName('hook') }),
    send: (auth, c) => call(t.app, auth, { method: 'POST', url: '/api/webhooks', payload: { url: HOOK_URL, events: ['credential.leaked'], description: c.description } }),
    state: (c) => db().selectFrom('webhooks').select('id').where('description', '=', c.description).execute(),
    ok: 201,
  },
  {
    name: 'PATCH /api/webhooks/{id} pointing it elsewhere',
    prepare: newWebhook,
    send: (auth, c) => call(t.app, auth, { method: 'PATCH', url: `/api/webhooks/${c.id}`, payload: { url: 'http://127.0.0.2:9/collect', events: ['credential.expiry_notice', 'credential.leaked'] } }),
    state: (c) => webhookRow(c.id),
    ok: 200,
  },
  {
    name: 'DELETE /api/webhooks/{id}',
    prepare: newWebhook,
    send: (auth, c) => call(t.app, auth, { method: 'DELETE', url: `/api/webhooks/${c.id}` }),
    state: (c) => webhookRow(c.id),
    ok: 200,
  },
  {
    name: 'POST …/scim_token replacing the SCIM token',
    prepare: async () => ({}),
    send: (auth) => call(t.app, auth, { method: 'POST', url: `${API}/scim_token`, payload: { expiration_days: 30 } }),
    state: scimToken,
    ok: 200,
  },
]

const auditRows = async () => Number((await db().selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
async function adminSession() {
  const email = (await db().selectFrom('users').select('email').where('role', '=', 'admin').where('disabled', '=', 0).orderBy('created_at').executeTakeFirstOrThrow()).email
  return login(t.app, email)
}

describe('reauth for administrative changes', () => {
  it.each(adminChanges)('$name: a stale session is asked, changing nothing; after re-entry it passes', async (change) => {
    await setWindow(5)
    const ctx = await change.prepare()
    const s = await adminSession()
    await signedInAgo(s, 10)
    const before = await change.state(ctx)
    const audits = await auditRows()
    expectReauthRequired(await change.send(s, ctx), 10, 5)
    expect(await change.state(ctx)).toEqual(before)
    expect(await auditRows()).toBe(audits)
    expect((await reauth(s, PASSWORD)).statusCode).toBe(200)
    const res = await change.send(s, ctx)
    expect(res.statusCode, res.body).toBe(change.ok)
    expect(await change.state(ctx)).not.toEqual(before)
  })

  it.each(adminChanges)('$name: an API token with the admin role is never asked', async (change) => {
    await setWindow(5)
    const { token } = await createServiceToken(t.app, admin, 'ves-io-admin')
    const ctx = await change.prepare()
    const before = await change.state(ctx)
    const res = await change.send({ token }, ctx)
    expect(res.statusCode, res.body).toBe(change.ok)
    expect(await change.state(ctx)).not.toEqual(before)
  })

  it('the 401 is in the API document of every administrative change', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> }
    const ops: Array<[string, string]> = [
      ['/api/policy', 'put'], ['/api/users', 'post'], ['/api/users/{id}', 'patch'], ['/api/users/{id}', 'delete'],
      ['/api/web/namespaces/{namespace}/service_credentials/{name}', 'put'], ['/api/webhooks', 'post'], ['/api/webhooks/{id}', 'patch'],
      ['/api/webhooks/{id}', 'delete'], ['/api/web/namespaces/{namespace}/scim_token', 'post'],
    ]
    for (const [path, method] of ops) {
      expect(doc.paths[path]?.[method]?.responses['401']?.description, `${method} ${path}`).toMatch(/reauthentication_required/)
    }
  })
})
