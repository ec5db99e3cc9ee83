// GET and PUT of …/service_credentials/{name} send the roles' version as ETag; PUT with a stale
// If-Match is refused with 412 and changes nothing, so two administrators cannot silently overwrite
// each other. Without If-Match (F5's clients), PUT behaves as it always has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let a: Auth
let b: Auth
beforeAll(async () => {
  t = await buildTestApp()
  a = (await signedIn(t, 'admin')).auth
  b = (await signedIn(t, 'admin')).auth
})
afterAll(async () => { await t.close() })

type Role = 'ves-io-admin' | 'ves-io-power-developer' | 'ves-io-monitor'
const url = (name: string) => `${API}/service_credentials/${name}`
const read = async (auth: Auth, name: string) => {
  const res = await call(t.app, auth, { method: 'GET', url: url(name) })
  expect(res.statusCode, res.body).toBe(200)
  return res.headers.etag as string
}
const put = (auth: Auth, name: string, role: Role, ifMatch?: string) => call(t.app, auth, {
  method: 'PUT', url: url(name), payload: { namespace: 'system', name, namespace_roles: [{ namespace: 'system', role }] },
  headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
})
const stored = (name: string) => t.services.db.db.selectFrom('credentials').select(['namespace_roles', 'user_group_names']).where('name', '=', name).executeTakeFirstOrThrow()
const roleChanges = async () => Number((await t.services.db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'credential.roles_change').executeTakeFirstOrThrow()).n)

describe('service credential versions', () => {
  it('two administrators read; A changes the roles; B\'s change with the old ETag gets 412 and changes nothing', async () => {
    const { name } = await createServiceToken(t.app, a, 'ves-io-monitor')
    const tagA = await read(a, name)
    const tagB = await read(b, name)
    expect(tagA).toMatch(/^"[\w-]+"$/)
    expect(tagB).toBe(tagA)
    const saved = await put(a, name, 'ves-io-power-developer', tagA)
    expect(saved.statusCode, saved.body).toBe(200)
    expect(saved.json()).toMatchObject({ name, active: true })
    expect(saved.headers.etag).toMatch(/^"[\w-]+"$/)
    expect(saved.headers.etag).not.toBe(tagA)
    expect(await read(b, name)).toBe(saved.headers.etag)
    const before = await stored(name)
    const audited = await roleChanges()
    const stale = await put(b, name, 'ves-io-admin', tagB)
    expect(stale.statusCode, stale.body).toBe(412)
    expect(stale.json()).toEqual({
      code: 9, message: 'This service credential\'s roles changed since you read it (If-Match does not name the current version); read it again and reapply your change',
      details: [{ field: 'If-Match', reason: 'etag_mismatch' }],
    })
    expect(await stored(name)).toEqual(before)
    expect(JSON.parse(before.namespace_roles)).toEqual([{ namespace: 'system', role: 'ves-io-power-developer' }])
    expect(await roleChanges()).toBe(audited)
    // Read again, then the change goes through.
    const fresh = await read(b, name)
    expect((await put(b, name, 'ves-io-admin', fresh)).statusCode).toBe(200)
    expect(JSON.parse((await stored(name)).namespace_roles)).toEqual([{ namespace: 'system', role: 'ves-io-admin' }])
  })

  it('accepts * or no If-Match at all (F5 clients send none), and tags differ between credentials', async () => {
    const one = await createServiceToken(t.app, a, 'ves-io-monitor')
    const two = await createServiceToken(t.app, a, 'ves-io-monitor')
    expect(await read(a, one.name)).not.toBe(await read(a, two.name))
    expect((await put(a, one.name, 'ves-io-power-developer', '*')).statusCode).toBe(200)
    const noHeader = await put(a, one.name, 'ves-io-admin')
    expect(noHeader.statusCode, noHeader.body).toBe(200)
    expect(noHeader.headers.etag).toBe(await read(a, one.name))
    // A tag of another credential is not this one's.
    expect((await put(a, one.name, 'ves-io-monitor', await read(a, two.name))).statusCode).toBe(412)
  })

  it('two changes at once from the same read: exactly one is made', async () => {
    const { name } = await createServiceToken(t.app, a, 'ves-io-monitor')
    const tag = await read(a, name)
    const [x, y] = await Promise.all([put(a, name, 'ves-io-power-developer', tag), put(b, name, 'ves-io-admin', tag)])
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 412])
    const won = x.statusCode === 200 ? 'ves-io-power-developer' : 'ves-io-admin'
    expect(JSON.parse((await stored(name)).namespace_roles)).toEqual([{ namespace: 'system', role: won }])
  })

  it('states 412 in the API document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
    expect(Object.keys(doc.paths['/api/web/namespaces/{namespace}/service_credentials/{name}'].put.responses)).toContain('412')
  })
})
