// Users: create, list, change role, disable and enable; every change audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, signedIn, type Auth } from '../support/factories.js'

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
