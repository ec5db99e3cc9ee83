import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createToken, createUser, login, ORIGIN, PASSWORD, API } from '../support/factories.js'

let t: TestApp
beforeAll(async () => { t = await buildTestApp() })
afterAll(async () => { await t.close() })

describe('auth happy', () => {
  it('logs in, reads the session, logs out on the server', async () => {
    const u = await createUser(t, { role: 'admin' })
    const auth = await login(t.app, u.email)
    const s = await call(t.app, auth, { method: 'GET', url: '/api/auth/session' })
    expect(s.statusCode).toBe(200)
    expect(s.json().user.email).toBe(u.email)
    const out = await call(t.app, auth, { method: 'POST', url: '/api/auth/logout' })
    expect(out.statusCode).toBe(200)
    const after = await call(t.app, auth, { method: 'GET', url: '/api/auth/session' })
    expect(after.statusCode).toBe(401)
  })

  it('sets an HttpOnly SameSite=Strict cookie', async () => {
    const u = await createUser(t)
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: PASSWORD } })
    const c = res.cookies.find((x) => x.name === 'tc_session')!
    expect(c.httpOnly).toBe(true)
    expect(c.sameSite).toBe('Strict')
  })
})

describe('auth error', () => {
  it('refuses a wrong password with one message for every cause', async () => {
    const u = await createUser(t)
    const bad = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: 'wrong-password-123' } })
    const none = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password: 'wrong-password-123' } })
    expect(bad.statusCode).toBe(401)
    expect(bad.json()).toEqual(none.json())
    expect(bad.json().code).toBe(16)
  })
})

describe('auth security', () => {
  it('refuses a cookie mutation without the CSRF header', async () => {
    const u = await createUser(t)
    const auth = await login(t.app, u.email)
    const res = await t.app.inject({
      method: 'POST', url: `${API}/api_credentials`, headers: { cookie: auth.cookie, origin: ORIGIN },
      payload: { name: 'no-csrf-token', expiration_days: 5 },
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe(7)
  })

  it('refuses a cookie mutation from another origin', async () => {
    const u = await createUser(t)
    const auth = await login(t.app, u.email)
    const res = await t.app.inject({
      method: 'POST', url: `${API}/api_credentials`,
      headers: { cookie: auth.cookie, 'x-csrf-token': auth.csrf, origin: 'https://evil.example' },
      payload: { name: 'cross-origin', expiration_days: 5 },
    })
    expect(res.statusCode).toBe(403)
  })

  it('needs no CSRF header for token-authenticated mutations, and refuses tokens in the URL', async () => {
    const u = await createUser(t)
    const auth = await login(t.app, u.email)
    const { token } = await createToken(t.app, auth)
    const ok = await call(t.app, { token }, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'made-by-token', expiration_days: 5 } })
    expect(ok.statusCode).toBe(200)
    const inUrl = await t.app.inject({ method: 'GET', url: `/api/web/custom/namespaces/system/whoami?token=${token}` })
    expect(inUrl.statusCode).toBe(400)
    expect(inUrl.body).not.toContain(token)
  })
})

describe('password change', () => {
  it('needs the current password, ends other sessions, and the new one signs in', async () => {
    const u = await createUser(t)
    const a = await login(t.app, u.email)
    const b = await login(t.app, u.email)
    const wrong = await call(t.app, a, { method: 'POST', url: '/api/auth/password', payload: { current_password: 'not-it-at-all', new_password: 'a-brand-new-password' } })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().details[0].field).toBe('current_password')
    const short = await call(t.app, a, { method: 'POST', url: '/api/auth/password', payload: { current_password: PASSWORD, new_password: 'short' } })
    expect(short.statusCode).toBe(400)
    const ok = await call(t.app, a, { method: 'POST', url: '/api/auth/password', payload: { current_password: PASSWORD, new_password: 'a-brand-new-password' } })
    expect(ok.statusCode).toBe(200)
    expect((await call(t.app, a, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(200)
    expect((await call(t.app, b, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(401)
    await expect(login(t.app, u.email, PASSWORD)).rejects.toThrow()
    await login(t.app, u.email, 'a-brand-new-password')
    const { token } = await createToken(t.app, a)
    expect((await call(t.app, { token }, { method: 'POST', url: '/api/auth/password', payload: { current_password: 'a-brand-new-password', new_password: 'another-new-password' } })).statusCode).toBe(403)
  })
})

describe('sign-in brake', () => {
  it('refuses further attempts with 429 after 10 failures in 15 minutes, even with the right password', async () => {
    const u = await createUser(t)
    for (let i = 0; i < 10; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: `wrong-${i}-password` } })
      expect(r.statusCode).toBe(401)
    }
    const blocked = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email.toUpperCase(), password: PASSWORD } })
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().code).toBe(8)
    const other = await createUser(t)
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: other.email, password: PASSWORD } })).statusCode).toBe(200)
  })
})

describe('sign-in brake per address', () => {
  const loginFrom = (remoteAddress: string, email: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress })

  it('50 failures with made-up emails from one address slow it down but do not lock the admin out of the right password', { timeout: 120_000 }, async () => {
    const ip = '192.0.2.50'
    for (let i = 0; i < 50; i++) expect((await loginFrom(ip, `made-up-${i}@example.com`, 'wrong-password-1')).statusCode).toBe(401)
    const admin = await createUser(t, { role: 'admin' })
    const signedIn = await loginFrom(ip, admin.email, PASSWORD)
    expect(signedIn.statusCode, signedIn.body).toBe(200)
    expect(signedIn.json().user.email).toBe(admin.email)
    // The guesser is still braked: every further answer from that address waits, longer with each
    // failure (100 ms per failure past 50)…
    const began = performance.now()
    expect((await loginFrom(ip, 'made-up-fresh@example.com', 'wrong-password-1')).statusCode).toBe(401)
    expect(performance.now() - began).toBeGreaterThanOrEqual(90)
    // …and past the address limit an account gets 3 failures from it, not 10: made-up-0 has 1.
    expect((await loginFrom(ip, 'made-up-0@example.com', 'wrong-password-2')).statusCode).toBe(401)
    expect((await loginFrom(ip, 'made-up-0@example.com', 'wrong-password-3')).statusCode).toBe(401)
    const braked = await loginFrom(ip, 'made-up-0@example.com', 'wrong-password-4')
    expect(braked.statusCode).toBe(429)
    expect(braked.headers['retry-after']).toBe('900')
  })

  it('keeps the per-account brake: 10 failures for one account from one address, then 429 with the right password', async () => {
    const u = await createUser(t)
    for (let i = 0; i < 10; i++) expect((await loginFrom('192.0.2.60', u.email, `wrong-${i}-password`)).statusCode).toBe(401)
    expect((await loginFrom('192.0.2.60', u.email, PASSWORD)).statusCode).toBe(429)
    expect((await loginFrom('192.0.2.61', u.email, PASSWORD)).statusCode).toBe(200)
  })
})

describe('session timeouts', () => {
  it('ends a session past its idle limit and past its absolute limit', async () => {
    for (const limits of [{ sessionIdleMinutes: 0 }, { sessionAbsoluteHours: 0 }]) {
      const app = await buildTestApp(limits)
      try {
        const u = await createUser(app)
        const auth = await login(app.app, u.email)
        expect((await call(app.app, auth, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(401)
      } finally {
        await app.close()
      }
    }
    // And with the defaults the same steps keep the session.
    const u = await createUser(t)
    const auth = await login(t.app, u.email)
    expect((await call(t.app, auth, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(200)
  })
})
