// Keyset pages, counter totals, trigram search and the F5 list, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, expire, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let dev: Auth
let devId: string
const SORTS = ['name', 'type', 'owner', 'scope', 'created', 'last_used', 'expires', 'status'] as const

beforeAll(async () => {
  t = await buildTestApp({ maxActiveTokensPerUser: 1000 })
  admin = (await signedIn(t, 'admin')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devId = d.user.id
})
afterAll(() => t.close())

const list = async (auth: Auth, qs: string) => {
  const res = await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials?${qs}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { items: Array<{ name: string; status: string }>; next_cursor?: string | null; total?: number | null; has_more?: boolean }
}

describe('keyset pages and totals', () => {
  it('visits every row exactly once on every sort and order while rows are inserted between pages', async () => {
    const names: string[] = []
    for (let i = 0; i < 30; i++) {
      const owner = i % 3 === 0 ? { owner_id: devId } : {}
      names.push((await createToken(t.app, admin, { name: `keyset-${String(i).padStart(2, '0')}-x`, expiration_days: 1 + (i % 4), ...owner })).name)
    }
    await expire(t, names[1])
    await expire(t, names[2])
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: names[3] } })
    let extra = 0
    for (const sort of SORTS) {
      for (const order of ['asc', 'desc']) {
        const seen: string[] = []
        let cursor: string | null | undefined
        let pages = 0
        do {
          const page = await list(admin, `q=keyset&sort=${sort}&order=${order}&limit=6${cursor ? `&cursor=${cursor}` : ''}`)
          seen.push(...page.items.map((i) => i.name))
          cursor = page.next_cursor
          // A concurrent writer: new rows land before, inside and after the part already read.
          if (pages++ < 3) await createToken(t.app, admin, { name: `keyset-new-${extra++}-x`, expiration_days: 1 + (extra % 5) })
        } while (cursor)
        expect(new Set(seen).size, `${sort} ${order}: no row twice`).toBe(seen.length)
        for (const n of names) expect(seen, `${sort} ${order}: ${n} once`).toContain(n)
      }
    }
  })

  it('answers exact totals from counters right after creates, revokes, expiries and disabling', async () => {
    const { auth, user } = await signedIn(t, 'developer')
    const totals = async () => Object.fromEntries(await Promise.all(['active', 'expired', 'revoked', 'disabled'].map(async (s) =>
      [s, (await list(admin, `owner=${user.id}&status=${s}&limit=1`)).total]))) as Record<string, number>
    const mine = []
    for (let i = 0; i < 5; i++) mine.push((await createToken(t.app, auth)).name)
    expect(await totals()).toEqual({ active: 5, expired: 0, revoked: 0, disabled: 0 })
    await expire(t, mine[0])
    await call(t.app, auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: mine[1] } })
    expect(await totals()).toEqual({ active: 3, expired: 1, revoked: 1, disabled: 0 })
    const tenantBefore = (await list(admin, 'status=active&limit=1')).total!
    await createToken(t.app, auth)
    expect((await list(admin, 'status=active&limit=1')).total).toBe(tenantBefore + 1)
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { disabled: true } })
    expect(await totals()).toEqual({ active: 0, expired: 0, revoked: 1, disabled: 5 })
    expect((await list(admin, 'status=active&limit=1')).total).toBe(tenantBefore - 3)
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${user.id}`, payload: { disabled: false } })
    expect(await totals()).toEqual({ active: 4, expired: 1, revoked: 1, disabled: 0 })
    // The total matches what paging through the same filter finds.
    const all = await list(admin, `owner=${user.id}&limit=500`)
    expect(all.total).toBe(all.items.length)
    expect(all.has_more).toBe(false)
    // The dashboard and the gauge read the same counters.
    const summary = (await call(t.app, admin, { method: 'GET', url: '/api/metrics/summary' })).json()
    expect(summary.active_tokens.API_TOKEN).toBe((await list(admin, 'status=active&limit=1')).total)
  })
})

describe('search', () => {
  it('finds substrings of hyphenated names, descriptions and owners, in keyset pages', async () => {
    await createToken(t.app, admin, { name: 'blue-green-deploy-7', description: 'Rolls the Payments cluster' })
    await createToken(t.app, admin, { name: 'green-field-9', owner_id: devId })
    await createToken(t.app, admin, { name: 'unrelated-thing-1' })
    const names = async (q: string, extra = '') => (await list(admin, `q=${encodeURIComponent(q)}&sort=name&limit=50${extra}`)).items.map((i) => i.name)
    expect(await names('green-dep')).toEqual(['blue-green-deploy-7'])
    expect(await names('een-d')).toEqual(['blue-green-deploy-7'])
    expect(await names('GREEN')).toEqual(['blue-green-deploy-7', 'green-field-9'])
    expect(await names('payments clu')).toEqual(['blue-green-deploy-7'])
    expect(await names('-7')).toContain('blue-green-deploy-7')
    const p1 = await list(admin, 'q=green&sort=name&limit=1')
    expect(p1.items.map((i) => i.name)).toEqual(['blue-green-deploy-7'])
    expect(p1.total).toBe(2)
    const p2 = await list(admin, `q=green&sort=name&limit=1&cursor=${p1.next_cursor}`)
    expect(p2.items.map((i) => i.name)).toEqual(['green-field-9'])
    const devEmail = (await call(t.app, dev, { method: 'GET', url: '/api/auth/me' })).json().user?.email as string | undefined
    if (devEmail) expect(await names(devEmail.slice(0, 8))).toContain('green-field-9')
    expect(await names('no-such-substring')).toEqual([])
  })
})

describe('the F5 list', () => {
  it('without paging parameters lists only what the caller owns or created; paging reaches the tenant', async () => {
    const other = await signedIn(t, 'developer')
    const theirs = await createToken(t.app, other.auth)
    const own = await createToken(t.app, admin)
    const plain = (await list(admin, '')).items.map((i) => i.name)
    expect(plain).toContain(own.name)
    expect(plain).not.toContain(theirs.name)
    expect((await list(other.auth, '')).items.map((i) => i.name)).toEqual([theirs.name])
    expect((await list(admin, `owner=${other.user.id}&limit=10`)).items.map((i) => i.name)).toEqual([theirs.name])
  })
})

describe('rotation planner', () => {
  it('counts per group and pages within one', async () => {
    const { auth } = await signedIn(t, 'developer')
    const soon = [await createToken(t.app, auth, { expiration_days: 2 }), await createToken(t.app, auth, { expiration_days: 3 })]
    await createToken(t.app, auth, { expiration_days: 5 })
    await createToken(t.app, auth, { expiration_days: 10 })
    await createToken(t.app, auth, { expiration_days: 60 })
    const gone = await createToken(t.app, auth, { expiration_days: 10 })
    await expire(t, gone.name)
    const plan = async (qs: string) => (await call(t.app, auth, { method: 'GET', url: `/api/inventory/planner?${qs}` })).json()
    const first = await plan('group=3&limit=1')
    expect(first.groups).toEqual({ expired: 1, '3': 2, '7': 1, '14': 1 })
    expect(first.items.map((i: { name: string }) => i.name)).toEqual([soon[0].name])
    const second = await plan(`group=3&limit=1&cursor=${first.next_cursor}`)
    expect(second.items.map((i: { name: string }) => i.name)).toEqual([soon[1].name])
    expect(second.next_cursor).toBeNull()
    expect((await plan('group=expired')).items.map((i: { name: string }) => i.name)).toEqual([gone.name])
    // Tenant-wide for an administrator: at least this developer's groups.
    const all = (await call(t.app, admin, { method: 'GET', url: '/api/inventory/planner' })).json()
    expect(all.groups['3']).toBeGreaterThanOrEqual(2)
  })
})
