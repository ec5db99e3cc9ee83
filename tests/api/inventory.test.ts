// Seed 002's inventory: every token of every account, filterable by account type, usage, owner,
// status and expiry; saved searches kept per person and shareable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createServiceToken, createToken, signedIn, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let auditor: Auth
let dev: Auth
let devId: string
const DAY = 86_400_000
const names: Record<string, string> = {}
beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  auditor = (await signedIn(t, 'auditor')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devId = d.user.id
  names.fresh = (await createToken(t.app, dev, { name: 'inv-fresh-unused' })).name
  const old = await createToken(t.app, dev, { name: 'inv-old-unused' })
  names.old = old.name
  const idle = await createToken(t.app, dev, { name: 'inv-idle-used' })
  names.idle = idle.name
  const busy = await createToken(t.app, admin, { name: 'inv-busy-token' })
  names.busy = busy.name
  names.svc = (await createServiceToken(t.app, admin, 'ves-io-monitor', { name: 'inv-service-one' })).name
  await call(t.app, { token: busy.token }, { method: 'GET', url: WHOAMI })
  await call(t.app, { token: idle.token }, { method: 'GET', url: WHOAMI })
  await t.services.usage.flush()
  const db = t.services.db.db
  await db.updateTable('credentials').set({ created_at: Date.now() - 200 * DAY }).where('name', 'in', [names.old, names.idle]).execute()
  await db.updateTable('credentials').set({ last_used_at: Date.now() - 100 * DAY }).where('name', '=', names.idle).execute()
})
afterAll(async () => { await t.close() })

const inv = async (auth: Auth, qs: string) => {
  const res = await call(t.app, auth, { method: 'GET', url: `/api/inventory?q=inv-&sort=name&${qs}` })
  expect(res.statusCode, res.body).toBe(200)
  return (res.json().items as Array<{ name: string }>).map((i) => i.name)
}

describe('inventory happy', () => {
  it('covers user and service tokens together, and filters by account type', async () => {
    expect(await inv(auditor, '')).toEqual(['inv-busy-token', 'inv-fresh-unused', 'inv-idle-used', 'inv-old-unused', 'inv-service-one'])
    expect(await inv(auditor, 'account_type=service')).toEqual(['inv-service-one'])
    expect(await inv(admin, 'account_type=user')).not.toContain('inv-service-one')
  })

  it('filters by usage: never used, idle more than 30/90/365 days, used in the last 24 hours', async () => {
    expect(await inv(auditor, 'usage=never_used')).toEqual(['inv-fresh-unused', 'inv-old-unused', 'inv-service-one'])
    expect(await inv(auditor, 'usage=idle_90')).toEqual(['inv-idle-used', 'inv-old-unused'])
    expect(await inv(auditor, 'usage=idle_30')).toEqual(['inv-idle-used', 'inv-old-unused'])
    expect(await inv(auditor, 'usage=idle_365')).toEqual([])
    expect(await inv(auditor, 'usage=used_24h')).toEqual(['inv-busy-token'])
  })

  it('filters by owner, status and expiry window, and sorts by any column', async () => {
    expect(await inv(auditor, `owner=${devId}`)).toEqual(['inv-fresh-unused', 'inv-idle-used', 'inv-old-unused'])
    expect(await inv(auditor, 'status=revoked')).toEqual([])
    expect(await inv(auditor, 'expiring_within_days=7')).toEqual([])
    for (const sort of ['name', 'type', 'owner', 'scope', 'created', 'last_used', 'expires', 'status']) {
      const res = await call(t.app, auditor, { method: 'GET', url: `/api/inventory?q=inv-&sort=${sort}&order=desc&limit=2` })
      expect(res.statusCode, sort).toBe(200)
      const next = await call(t.app, auditor, { method: 'GET', url: `/api/inventory?q=inv-&sort=${sort}&order=desc&limit=2&cursor=${res.json().next_cursor}` })
      const seen = [...res.json().items, ...next.json().items].map((i: { name: string }) => i.name)
      expect(new Set(seen).size, sort).toBe(4)
    }
  })
})

describe('inventory security', () => {
  it('is for admins and auditors only', async () => {
    expect((await call(t.app, dev, { method: 'GET', url: '/api/inventory' })).statusCode).toBe(403)
  })

  it('refuses the CSV export to a token without credentials:read with 403 and the error body, before any byte of CSV', async () => {
    const { token } = await createToken(t.app, admin, { name: 'inv-users-only', scope: 'custom', permissions: ['users:read'] })
    const res = await call(t.app, { token }, { method: 'GET', url: '/api/inventory/export.csv' })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toMatchObject({ code: 7, message: 'This needs the credentials:read permission' })
    // A developer (not tenant-wide) likewise, and an admin's full token still gets the CSV.
    expect((await call(t.app, dev, { method: 'GET', url: '/api/inventory/export.csv' })).statusCode).toBe(403)
    const ok = await call(t.app, admin, { method: 'GET', url: '/api/inventory/export.csv?q=inv-' })
    expect(ok.statusCode).toBe(200)
    expect(ok.body.split('\r\n')[0]).toMatch(/^name,/)
  })
})

describe('saved searches', () => {
  it('keeps searches per person and shows shared ones to others', async () => {
    const mine = await call(t.app, auditor, { method: 'POST', url: '/api/saved_searches', payload: { name: 'Idle 90+', page: 'inventory', query: '?usage=idle_90&sort=last_used', shared: true } })
    expect(mine.statusCode).toBe(201)
    expect(mine.json()).toMatchObject({ name: 'Idle 90+', query: 'usage=idle_90&sort=last_used', shared: true, mine: true })
    await call(t.app, auditor, { method: 'POST', url: '/api/saved_searches', payload: { name: 'Private one', page: 'inventory', query: 'usage=never_used' } })
    const seenByAdmin = (await call(t.app, admin, { method: 'GET', url: '/api/saved_searches' })).json().items
    expect(seenByAdmin.map((s: { name: string }) => s.name)).toEqual(['Idle 90+'])
    expect(seenByAdmin[0].mine).toBe(false)
    expect((await call(t.app, admin, { method: 'DELETE', url: `/api/saved_searches/${mine.json().id}` })).statusCode).toBe(404)
    expect((await call(t.app, auditor, { method: 'DELETE', url: `/api/saved_searches/${mine.json().id}` })).statusCode).toBe(200)
    expect((await call(t.app, auditor, { method: 'POST', url: '/api/saved_searches', payload: { name: '', page: 'inventory', query: '' } })).statusCode).toBe(400)
  })
})
