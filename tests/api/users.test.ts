// Users: create, list, change role, disable and enable; every change audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createServiceToken, login, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let adminId: string
beforeAll(async () => {
  t = await buildTestApp()
  const a = await signedIn(t, 'admin')
  admin = a.auth
  adminId = a.user.id
})
afterAll(async () => { await t.close() })

describe('users happy', () => {
  it('creates a user who can sign in, lists them, changes their role', async () => {
    const res = await call(t.app, admin, { method: 'POST', url: '/api/users', payload: { email: 'New.Person@Example.com', name: 'New Person', role: 'auditor', password: 'a-long-password-1' } })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ email: 'new.person@example.com', role: 'auditor', disabled: false, active_tokens: 0 })
    expect(res.body).not.toContain('password')
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'new.person@example.com', password: 'a-long-password-1' } })
    expect(login.statusCode).toBe(200)
    const list = (await call(t.app, admin, { method: 'GET', url: '/api/users' })).json().items
    expect(list.map((u: { email: string }) => u.email)).toContain('new.person@example.com')
    const patched = await call(t.app, admin, { method: 'PATCH', url: `/api/users/${res.json().id}`, payload: { role: 'developer' } })
    expect(patched.json().role).toBe('developer')
  })
})

describe('users error', () => {
  it('refuses duplicates, weak passwords, unknown roles and fields, and self-lockout', async () => {
    const body = { email: 'dup@example.com', name: 'Dup', role: 'developer', password: 'a-long-password-1' }
    expect((await call(t.app, admin, { method: 'POST', url: '/api/users', payload: body })).statusCode).toBe(201)
    const dup = await call(t.app, admin, { method: 'POST', url: '/api/users', payload: body })
    expect(dup.statusCode).toBe(409)
    expect(dup.json().code).toBe(6)
    expect((await call(t.app, admin, { method: 'POST', url: '/api/users', payload: { ...body, email: 'w@example.com', password: 'short' } })).statusCode).toBe(400)
    expect((await call(t.app, admin, { method: 'POST', url: '/api/users', payload: { ...body, email: 'r@example.com', role: 'root' } })).statusCode).toBe(400)
    expect((await call(t.app, admin, { method: 'POST', url: '/api/users', payload: { ...body, email: 'x@example.com', admin: true } })).json().details[0].field).toBe('admin')
    expect((await call(t.app, admin, { method: 'PATCH', url: `/api/users/${adminId}`, payload: { disabled: true } })).statusCode).toBe(400)
    expect((await call(t.app, admin, { method: 'PATCH', url: `/api/users/${adminId}`, payload: {} })).statusCode).toBe(400)
    expect((await call(t.app, admin, { method: 'PATCH', url: '/api/users/nobody', payload: { role: 'admin' } })).statusCode).toBe(404)
  })
})

describe('password reset by an administrator', () => {
  it('sets a new password, ends the person’s sessions, and is audited', async () => {
    const { user, auth } = await signedIn(t, 'developer')
    const res = await call(t.app, admin, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { password: 'reset-by-admin-123' } })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain('reset-by-admin-123')
    expect((await call(t.app, auth, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: 'reset-by-admin-123' } })).statusCode).toBe(200)
    const rows = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'user.password_reset').execute()
    expect(rows.map((r) => r.target_name)).toContain(user.email)
    expect((await call(t.app, admin, { method: 'PATCH', url: `/api/users/${adminId}`, payload: { password: 'own-password-via-patch' } })).statusCode).toBe(400)
    expect((await call(t.app, auth, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { password: 'self-service-attempt' } })).statusCode).toBe(401)
  })
})

/** The refusal deleting the last enabled administrator gets, for the field that would have removed them. */
function expectLastAdminRefused(res: { statusCode: number; body: string; json(): unknown }, field: 'role' | 'disabled') {
  expect(res.statusCode, res.body).toBe(400)
  expect(res.json()).toMatchObject({ code: 9, message: 'This is the last administrator; make someone else an administrator first', details: [{ field, reason: 'last admin' }] })
}

describe('the last enabled administrator', () => {
  let u: TestApp
  let first: { id: string; auth: Auth }
  let svc: Auth
  const enabledAdmins = async () => (await u.services.db.db.selectFrom('users').select('id').where('kind', '=', 'user').where('role', '=', 'admin').where('disabled', '=', 0).execute()).map((r) => r.id)
  const patch = (auth: Auth, id: string, payload: object) => call(u.app, auth, { method: 'PATCH', url: `/api/users/${id}`, payload })

  beforeAll(async () => {
    // A tenant of its own: here the administrators are exactly the ones each test makes.
    u = await buildTestApp()
    const a = await signedIn(u, 'admin')
    first = { id: a.user.id, auth: a.auth }
    svc = { token: (await createServiceToken(u.app, a.auth, 'ves-io-admin')).token }
  })
  afterAll(async () => { await u.close() })

  it('cannot be disabled or demoted by an admin service token, as it cannot be deleted; nothing changes and nothing is audited', async () => {
    expect(await enabledAdmins()).toEqual([first.id])
    const audits = await u.services.db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expectLastAdminRefused(await patch(svc, first.id, { disabled: true }), 'disabled')
    expectLastAdminRefused(await patch(svc, first.id, { role: 'developer' }), 'role')
    expectLastAdminRefused(await patch(svc, first.id, { role: 'auditor', disabled: true }), 'role')
    expect(await enabledAdmins()).toEqual([first.id])
    expect(await u.services.db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual(audits)
    // The deletion refusal it mirrors.
    const del = await call(u.app, svc, { method: 'DELETE', url: `/api/users/${first.id}` })
    expect(del.statusCode).toBe(400)
    expect(del.json().message).toBe('This is the last administrator; make someone else an administrator first')
    // A disabled administrator does not count: with one beside them, the enabled one is still the last.
    const off = await signedIn(u, 'admin')
    expect((await patch(first.auth, off.user.id, { disabled: true })).statusCode).toBe(200)
    expectLastAdminRefused(await patch(svc, first.id, { disabled: true }), 'disabled')
    // Setting what is already so, a password, or enabling, are not refused.
    expect((await patch(svc, first.id, { role: 'admin', disabled: false })).statusCode).toBe(200)
    expect((await patch(svc, first.id, { password: 'a-new-password-for-them' })).statusCode).toBe(200)
    expect((await patch(svc, off.user.id, { disabled: false })).statusCode).toBe(200)
    // With another enabled administrator, either may be demoted, then the other is the last.
    expect((await patch(svc, off.user.id, { role: 'developer' })).statusCode).toBe(200)
    expectLastAdminRefused(await patch(svc, first.id, { role: 'developer' }), 'role')
    expect(await enabledAdmins()).toEqual([first.id])
  })

  it('two administrators demoting or disabling each other at once leave one administrator', async () => {
    const email = (await u.services.db.db.selectFrom('users').select('email').where('id', '=', first.id).executeTakeFirstOrThrow()).email
    for (const change of [{ role: 'developer' }, { disabled: true }, { role: 'auditor' }, { disabled: true }]) {
      const b = await signedIn(u, 'admin')
      // Signed in afresh each round: being disabled, or a password reset, ends a person's sessions.
      const a = await login(u.app, email, 'a-new-password-for-them')
      const [x, y] = await Promise.all([patch(a, b.user.id, change), patch(b.auth, first.id, change)])
      // The loser is refused: by the last-administrator check when both got that far, or already at
      // the door when the winner's change had ended its session (401) or its role (403).
      expect([x.statusCode, y.statusCode].filter((c) => c === 200), `${x.body} ${y.body}`).toHaveLength(1)
      const refused = x.statusCode === 200 ? y : x
      if (refused.statusCode === 400) expectLastAdminRefused(refused, Object.keys(change)[0] as 'role' | 'disabled')
      else expect([401, 403]).toContain(refused.statusCode)
      expect(await enabledAdmins()).toHaveLength(1)
      // The same two changes through one admin token, which no change can lock out: both reach the
      // check, one inside the other's transaction.
      for (const id of [first.id, b.user.id]) expect((await patch(svc, id, { role: 'admin', disabled: false })).statusCode).toBe(200)
      expect(await enabledAdmins()).toHaveLength(2)
      const [p1, p2] = await Promise.all([patch(svc, first.id, change), patch(svc, b.user.id, change)])
      expect([p1.statusCode, p2.statusCode].sort(), `${p1.body} ${p2.body}`).toEqual([200, 400])
      expectLastAdminRefused(p1.statusCode === 400 ? p1 : p2, Object.keys(change)[0] as 'role' | 'disabled')
      expect(await enabledAdmins()).toHaveLength(1)
      // Back to the first administrator alone for the next round, whichever won.
      expect((await patch(svc, first.id, { role: 'admin', disabled: false })).statusCode).toBe(200)
      expect((await patch(svc, b.user.id, { role: 'developer', disabled: false })).statusCode).toBe(200)
      expect(await enabledAdmins()).toEqual([first.id])
    }
  })
})
