// The unpaged F5 list is streamed from keyset pages: same rows, newest first, the schema's
// shape exactly, whatever the number of pages.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, createUser, login, signedIn } from '../support/factories.js'
import { listResponseSchema } from '../../contract/credentials.js'
import { effectivePermissions, type Principal } from '../../server/services/principal.js'

let t: TestApp
beforeAll(async () => { t = await buildTestApp() })
afterAll(() => t.close())

it('streams the caller\'s own and created credentials in pages, equal to the paged list of them', async () => {
  const { auth: admin, user } = await signedIn(t, 'admin')
  const other = await createUser(t, { role: 'developer' })
  const mine: string[] = []
  for (let i = 0; i < 23; i++) mine.push((await createToken(t.app, admin, { name: `stream-${String(i).padStart(2, '0')}`, ...(i % 5 === 0 ? { owner_id: other.id } : {}) })).name)
  await createToken(t.app, await login(t.app, other.email), { name: 'not-mine' })

  const res = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials` })
  expect(res.statusCode).toBe(200)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  const body = res.json()
  // Exactly the contract's shape: parsing strips nothing and changes nothing.
  expect(listResponseSchema.parse(body)).toEqual(body)
  const names = body.items.map((i: { name: string }) => i.name)
  expect(names.sort()).toEqual([...mine].sort())

  // Several keyset pages (chunk 5) give the same rows in the same order as one page.
  const p: Principal = {
    via: 'session', role: 'admin', permissions: effectivePermissions('admin'),
    account: { id: user.id, email: user.email, name: 'admin', role: 'admin', kind: 'user', disabled: false },
  }
  const read = async (chunk: number) => {
    let text = ''
    for await (const piece of await t.services.credentials.listOwnJson(p, 'user', {}, chunk)) text += piece
    return JSON.parse(text)
  }
  const one = await read(1000)
  expect(await read(5)).toEqual(one)
  expect(one.items.length).toBe(23)
  const created = one.items.map((i: { create_timestamp: string }) => i.create_timestamp)
  expect([...created].sort().reverse()).toEqual(created)
})
