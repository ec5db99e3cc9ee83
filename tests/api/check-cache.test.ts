// The cached token check. A repeated check reads no database; every change that ends or
// alters a token's validity is seen by the very next check on this instance, and within a second on
// another instance sharing PostgreSQL; a lost notification connection falls back to the database.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { inject } from 'vitest'
import { buildApp } from '../../server/app.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, signedIn, WHOAMI } from '../support/factories.js'

let t: TestApp
let admin: Awaited<ReturnType<typeof signedIn>>
beforeAll(async () => {
  t = await buildTestApp()
  admin = await signedIn(t, 'admin')
})
afterAll(async () => { await t.close() })

const verify = (app: TestApp['app'], token: string) => app.inject({ method: 'GET', url: '/api/verify', headers: { authorization: `APIToken ${token}` } })

describe('cache hits', () => {
  it('serves a repeated check from memory: a change made behind its back is not read', async () => {
    const { name, token } = await createToken(t.app, admin.auth)
    expect((await verify(t.app, token)).statusCode).toBe(204)
    // Written straight to the database, bypassing the service (and so the invalidation): the cached
    // entry still answers, which shows the second check did not read the row.
    await t.services.db.db.updateTable('credentials').set({ revoked_at: Date.now() }).where('name', '=', name).execute()
    expect((await verify(t.app, token)).statusCode).toBe(204)
    t.services.checkCache.invalidate('*')
    expect((await verify(t.app, token)).statusCode).toBe(401)
  })

  it('keeps expiry exact whatever the cache holds', async () => {
    const { name, token } = await createToken(t.app, admin.auth)
    const expiresAt = Date.now() + 60_000
    await t.services.db.db.updateTable('credentials').set({ expires_at: expiresAt }).where('name', '=', name).execute()
    t.services.checkCache.invalidate('*')
    expect((await verify(t.app, token)).statusCode).toBe(204)
    expect(t.services.checkCache.size).toBeGreaterThan(0)
    // Only the wall clock moves (timers and I/O stay real): the cached entry is judged against it.
    vi.useFakeTimers({ toFake: ['Date'], now: expiresAt - 1 })
    try {
      expect((await verify(t.app, token)).statusCode).toBe(204)
      vi.setSystemTime(expiresAt + 1)
      expect((await verify(t.app, token)).statusCode).toBe(401)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('every validity-ending change is seen by the next check', () => {
  it('revoke, activate, bulk revoke', async () => {
    const a = await createToken(t.app, admin.auth)
    expect((await verify(t.app, a.token)).statusCode).toBe(204)
    await call(t.app, admin.auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: a.name } })
    expect((await verify(t.app, a.token)).statusCode).toBe(401)
    // Re-activating a revoked token needs the policy to allow it and a reason.
    await call(t.app, admin.auth, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: true }, apply: { mode: 'new_only' } } })
    await call(t.app, admin.auth, { method: 'POST', url: `${API}/activate/api_credentials`, payload: { name: a.name, reason: 'test' } })
    expect((await verify(t.app, a.token)).statusCode).toBe(204)
    await call(t.app, admin.auth, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [a.name] } } })
    expect((await verify(t.app, a.token)).statusCode).toBe(401)
  })

  it('renew of an expired token', async () => {
    const a = await createToken(t.app, admin.auth)
    await t.services.db.db.updateTable('credentials').set({ expires_at: Date.now() - 1 }).where('name', '=', a.name).execute()
    t.services.checkCache.invalidate('*')
    expect((await verify(t.app, a.token)).statusCode).toBe(401)
    await call(t.app, admin.auth, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: a.name, expiration_days: 5 } })
    expect((await verify(t.app, a.token)).statusCode).toBe(204)
  })

  it('disabling and enabling the owner, and a role change', async () => {
    const dev = await signedIn(t, 'developer')
    const a = await createToken(t.app, dev.auth)
    expect((await verify(t.app, a.token)).statusCode).toBe(204)
    await call(t.app, admin.auth, { method: 'PATCH', url: `/api/users/${dev.user.id}`, payload: { disabled: true } })
    expect((await verify(t.app, a.token)).statusCode).toBe(401)
    await call(t.app, admin.auth, { method: 'PATCH', url: `/api/users/${dev.user.id}`, payload: { disabled: false } })
    expect((await verify(t.app, a.token)).statusCode).toBe(204)
    await call(t.app, admin.auth, { method: 'PATCH', url: `/api/users/${dev.user.id}`, payload: { role: 'auditor' } })
    const who = await call(t.app, { token: a.token }, { method: 'GET', url: WHOAMI })
    expect(who.json().role).toBe('auditor')
  })

  it('a service credential\'s namespace roles', async () => {
    const svc = await createServiceToken(t.app, admin.auth, 'ves-io-monitor')
    expect((await call(t.app, { token: svc.token }, { method: 'GET', url: WHOAMI })).json().role).toBe('auditor')
    await call(t.app, admin.auth, { method: 'PUT', url: `${API}/service_credentials/${svc.name}`, payload: { namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }] } })
    expect((await call(t.app, { token: svc.token }, { method: 'GET', url: WHOAMI })).json().role).toBe('admin')
  })
})

describe('the cache turned off', () => {
  it('reads the database on every check', async () => {
    const c = await buildTestApp({ checkCacheTtlMs: 0 })
    try {
      const a = await signedIn(c, 'admin')
      const { name, token } = await createToken(c.app, a.auth)
      expect((await verify(c.app, token)).statusCode).toBe(204)
      await c.services.db.db.updateTable('credentials').set({ revoked_at: Date.now() }).where('name', '=', name).execute()
      expect((await verify(c.app, token)).statusCode).toBe(401)
      expect(c.services.checkCache.size).toBe(0)
    } finally {
      await c.close()
    }
  })
})

// Registered only on PostgreSQL (SQLite has no second instance to notify), so no run reports it as skipped.
if (inject('testDb') === 'postgres') describe('two instances on one PostgreSQL database', () => {
  let other: Awaited<ReturnType<typeof buildApp>>
  beforeAll(async () => {
    // A second app on the very same database and HMAC key file, as a second server would be.
    other = await buildApp(t.services.config, { logger: false })
  })
  afterAll(async () => { await other.app.close() })

  const until = async (fn: () => Promise<boolean>, ms: number) => {
    const start = Date.now()
    while (Date.now() - start < ms) {
      if (await fn()) return Date.now() - start
      await new Promise((r) => setTimeout(r, 5))
    }
    return Infinity
  }

  it('a revoke on one is refused on the other within a second', async () => {
    const { name, token } = await createToken(t.app, admin.auth)
    expect((await verify(other.app, token)).statusCode).toBe(204)
    expect(other.services.checkCache.size).toBeGreaterThan(0)
    await call(t.app, admin.auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
    const took = await until(async () => (await verify(other.app, token)).statusCode === 401, 2000)
    expect(took).toBeLessThan(1000)
  })

  it('stops serving from the cache while its notification connection is down, and recovers', async () => {
    const { name, token } = await createToken(t.app, admin.auth)
    expect((await verify(other.app, token)).statusCode).toBe(204)
    const listener = other.services.invalidationListener!
    listener.simulateLoss()
    expect(await until(async () => !other.services.checkCache.enabled, 1000)).toBeLessThan(1000)
    // Changed while the other instance is not listening: it must read the database, not its cache.
    await t.services.db.db.updateTable('credentials').set({ revoked_at: Date.now() }).where('name', '=', name).execute()
    expect((await verify(other.app, token)).statusCode).toBe(401)
    expect(await until(async () => listener.listening && other.services.checkCache.enabled, 3000)).toBeLessThan(3000)
    const b = await createToken(t.app, admin.auth)
    expect((await verify(other.app, b.token)).statusCode).toBe(204)
    await call(t.app, admin.auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: b.name } })
    expect(await until(async () => (await verify(other.app, b.token)).statusCode === 401, 2000)).toBeLessThan(1000)
  })
})
