// `npm run seed` loads credentials with everything the server maintains kept consistent:
// counters, search, the audit chain, and the triggers back in place for the writes that follow.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { seededTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn } from '../support/factories.js'

const N = 3000
let t: TestApp
beforeAll(async () => {
  t = await seededTestApp(N, async (first) => {
    const { auth } = await signedIn(first, 'admin')
    await createToken(first.app, auth)
  })
}, 120_000)
afterAll(async () => { await t?.close() })

it('keeps totals, search, the audit chain and the triggers consistent after a bulk load', async () => {
  const { auth } = await signedIn(t, 'admin')
  const all = (await call(t.app, auth, { method: 'GET', url: '/api/inventory?limit=1' })).json()
  expect(all.total).toBe(N + 1)
  const revoked = (await call(t.app, auth, { method: 'GET', url: '/api/inventory?status=revoked&limit=1' })).json()
  expect(revoked.total).toBeGreaterThan(N * 0.05)
  expect(revoked.total).toBeLessThan(N * 0.15)
  const name = (await call(t.app, auth, { method: 'GET', url: '/api/inventory?sort=name&limit=1' })).json().items[0].name as string
  const found = (await call(t.app, auth, { method: 'GET', url: `/api/inventory?q=${encodeURIComponent(name.slice(-8))}&limit=5` })).json()
  expect(found.items.map((i: { name: string }) => i.name)).toContain(name)
  const chain = (await call(t.app, auth, { method: 'GET', url: '/api/audit/verify' })).json()
  expect(chain).toMatchObject({ intact: true, first_broken_id: null })
  expect(chain.checked).toBeGreaterThan(N)
  // Triggers are back: a create after the load moves the total.
  await createToken(t.app, auth)
  expect((await call(t.app, auth, { method: 'GET', url: '/api/inventory?limit=1' })).json().total).toBe(N + 2)
  // The users list's active counts agree with the owners' unexpired, unrevoked tokens.
  const users: Array<{ active_tokens: number }> = []
  for (let cursor = '', pages = 0; pages < 20; pages++) {
    const p = (await call(t.app, auth, { method: 'GET', url: `/api/users?limit=200${cursor && `&cursor=${encodeURIComponent(cursor)}`}` })).json()
    users.push(...p.items)
    if (!p.next_cursor) break
    cursor = p.next_cursor
  }
  const active = (await call(t.app, auth, { method: 'GET', url: `/api/inventory?status=active&limit=1` })).json().total as number | null
  const services = (await call(t.app, auth, { method: 'GET', url: '/api/service_accounts' })).json().items as Array<{ active_tokens: number }>
  const sum = [...users, ...services].reduce((a, u) => a + u.active_tokens, 0)
  if (active !== null) expect(sum).toBe(active)
  expect(sum).toBeGreaterThan(N * 0.3)
  expect((await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials?limit=5` })).statusCode).toBe(200)
})
