// People at tenant size: GET /api/users searches, filters and pages with a cursor; GET /api/users/:id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, signedIn, type Auth } from '../support/factories.js'

type Row = { id: string; email: string; name: string; role: string; disabled: boolean }
type PageBody = { items: Row[]; next_cursor: string | null }

const N = 130
let t: TestApp
let admin: Auth
const get = (auth: Auth, url: string) => call(t.app, auth, { method: 'GET', url })
const page = async (url: string) => {
  const res = await get(admin, url)
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as PageBody
}

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  // Written straight to the table: hashing 130 passwords would only slow the test down.
  const now = Date.now()
  await t.services.db.db.insertInto('users').values(Array.from({ length: N }, (_, i) => {
    const n = String(i).padStart(3, '0')
    return {
      id: `person-${n}`, email: `person${n}@people.test`, name: i === 7 ? 'Zoë Quinn-Whitaker' : `Person ${n}`,
      role: i % 10 === 0 ? 'auditor' : 'developer', kind: 'user', password_hash: null, disabled: i % 13 === 0 ? 1 : 0,
      created_at: now, updated_at: now, last_login_at: null, managed_by: null, external_id: null, oidc_subject: null,
    }
  })).execute()
  await t.services.db.db.insertInto('users').values([
    { id: 'pct', email: 'percent@odd.test', name: '100% Sure', role: 'developer', kind: 'user', password_hash: null, disabled: 0, created_at: now, updated_at: now, last_login_at: null, managed_by: null, external_id: null, oidc_subject: null },
    { id: 'under', email: 'under_score@odd.test', name: 'Under Score', role: 'developer', kind: 'user', password_hash: null, disabled: 0, created_at: now, updated_at: now, last_login_at: null, managed_by: null, external_id: null, oidc_subject: null },
    { id: 'svc', email: 'svc-person999@people.test', name: 'person999-bot', role: 'auditor', kind: 'service', password_hash: null, disabled: 0, created_at: now, updated_at: now, last_login_at: null, managed_by: null, external_id: null, oidc_subject: null },
  ]).execute()
})
afterAll(async () => { await t.close() })

describe('people list happy', () => {
  it('answers one bounded page by default, with a cursor to the next', async () => {
    const first = await page('/api/users')
    expect(first.items).toHaveLength(50)
    expect(first.next_cursor).toEqual(expect.any(String))
    const emails = first.items.map((u) => u.email)
    expect(emails).toEqual([...emails].sort())
  })

  it('walks everyone exactly once, in email order, page by page', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const p: PageBody = await page(`/api/users?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(p.items.length).toBeLessThanOrEqual(25)
      seen.push(...p.items.map((u) => u.email))
      cursor = p.next_cursor
      pages++
    } while (cursor && pages < 20)
    const people = (await t.services.db.db.selectFrom('users').select('email').where('kind', '=', 'user').execute()).map((r) => r.email)
    expect(seen).toHaveLength(people.length)
    expect(new Set(seen).size).toBe(seen.length)
    expect(new Set(seen)).toEqual(new Set(people))
    const ours = seen.filter((e) => e.endsWith('@people.test'))
    expect(ours).toEqual([...ours].sort())
    expect(pages).toBe(Math.ceil(people.length / 25))
    expect(seen).not.toContain('svc-person999@people.test')
  })

  it('searches names and emails by substring, ignoring case', async () => {
    expect((await page('/api/users?q=QUINN')).items.map((u) => u.email)).toEqual(['person007@people.test'])
    expect((await page('/api/users?q=zoë')).items.map((u) => u.id)).toEqual(['person-007'])
    expect((await page('/api/users?q=son12')).items.map((u) => u.email)).toEqual(
      ['person120@people.test', 'person121@people.test', 'person122@people.test', 'person123@people.test', 'person124@people.test',
        'person125@people.test', 'person126@people.test', 'person127@people.test', 'person128@people.test', 'person129@people.test'])
    expect((await page('/api/users?q=%20person129%40PEOPLE.test%20')).items.map((u) => u.id)).toEqual(['person-129'])
    expect((await page('/api/users?q=nobody-is-called-this')).items).toEqual([])
  })

  it('filters by role and by disabled, together with the search and the pages', async () => {
    const auditors = await page('/api/users?role=auditor&limit=200')
    expect(auditors.items.length).toBeGreaterThanOrEqual(13)
    expect(auditors.items.every((u) => u.role === 'auditor')).toBe(true)
    const disabled = await page('/api/users?disabled=true&limit=200')
    expect(disabled.items.map((u) => u.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `person-${String(i * 13).padStart(3, '0')}`).sort())
    const enabled = await page('/api/users?disabled=false&q=people.test&limit=200')
    expect(enabled.items).toHaveLength(N - 10)
    expect(enabled.items.some((u) => u.disabled)).toBe(false)
    const both = await page('/api/users?role=auditor&disabled=true&q=people')
    expect(both.items.map((u) => u.id)).toEqual(['person-000'])
    const p1 = await page('/api/users?role=auditor&limit=5')
    const p2 = await page(`/api/users?role=auditor&limit=5&cursor=${encodeURIComponent(p1.next_cursor!)}`)
    expect(p2.items.every((u) => u.role === 'auditor' && u.email > p1.items[4].email)).toBe(true)
  })

  it('finds a person the moment they are created, and reads one person by id', async () => {
    const created = await call(t.app, admin, { method: 'POST', url: '/api/users', payload: { email: 'zz.late@people.test', name: 'Late Arrival', role: 'developer', password: 'a-long-password-1' } })
    expect(created.statusCode).toBe(201)
    expect((await page('/api/users?q=zz.late')).items.map((u) => u.id)).toEqual([created.json().id])
    const one = await get(admin, `/api/users/${created.json().id}`)
    expect(one.statusCode).toBe(200)
    expect(one.json()).toMatchObject({ email: 'zz.late@people.test', role: 'developer', active_tokens: 0 })
    expect((await get(admin, '/api/users/nobody')).statusCode).toBe(404)
    expect((await get(admin, '/api/users/svc')).statusCode).toBe(404)
  })
})

describe('people list error', () => {
  it.each([
    ['role=root', 'role'],
    ['disabled=yes', 'disabled'],
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    [`q=${'x'.repeat(201)}`, 'q'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'cursor'],
    ['sort=email', 'sort'],
  ])('refuses %s with 400 naming %s', async (qs, field) => {
    const res = await get(admin, `/api/users?${qs}`)
    expect(res.statusCode).toBe(400)
    expect(res.json().details.map((d: { field: string }) => d.field)).toContain(field)
  })
})

describe('people list security', () => {
  it('lets an auditor read and refuses a developer, as before', async () => {
    const auditor = (await signedIn(t, 'auditor')).auth
    expect((await get(auditor, '/api/users?q=person0')).statusCode).toBe(200)
    expect((await get(auditor, '/api/users/person-001')).statusCode).toBe(200)
    const dev = (await signedIn(t, 'developer')).auth
    expect((await get(dev, '/api/users?q=person')).statusCode).toBe(403)
    expect((await get(dev, '/api/users')).statusCode).toBe(403)
    expect((await get(dev, '/api/users/person-001')).statusCode).toBe(403)
  })

  it('takes % and _ and quotes in the search literally', async () => {
    expect((await page('/api/users?q=%25')).items.map((u) => u.id)).toEqual(['pct'])
    expect((await page('/api/users?q=_')).items.map((u) => u.id)).toEqual(['under'])
    expect((await page('/api/users?q=0%25%20s')).items.map((u) => u.id)).toEqual(['pct'])
    expect((await page(`/api/users?q=${encodeURIComponent("' OR '1'='1")}`)).items).toEqual([])
    expect((await page(`/api/users?q=${encodeURIComponent('\\')}`)).items).toEqual([])
    expect((await page('/api/users?limit=200')).items.length).toBeGreaterThan(100)
  })
})
