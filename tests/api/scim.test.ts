// SCIM 2.0 at /scim/v2 (RFC 7643, RFC 7644), built from RFC 7644's own examples, on both databases:
// discovery, Users (create, get, filter, paging, replace, PATCH, delete), role Groups, errors in the
// SCIM error schema, ETags; the SCIM token as the only credential there; deactivation and delete
// ending a person's tokens and sessions at once, here and on a second instance sharing PostgreSQL.
import crypto from 'node:crypto'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest'
import { buildApp } from '../../server/app.js'
import { API_CERTIFICATE_TYPES } from '../../server/pki/service.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, createUser, login, signedIn, WHOAMI, type Auth } from '../support/factories.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

let t: TestApp
let admin: Awaited<ReturnType<typeof signedIn>>
let scimToken: string
let scimTokenName: string

beforeAll(async () => {
  t = await buildTestApp()
  admin = await signedIn(t, 'admin')
  const res = await call(t.app, admin.auth, { method: 'POST', url: `${API}/scim_token`, payload: { expiration_days: 30 } })
  expect(res.statusCode, res.body).toBe(200)
  scimToken = res.json().data
  scimTokenName = res.json().name
})
afterAll(async () => { await t?.close() })

type Opts = { body?: unknown; headers?: Record<string, string>; token?: string | null; contentType?: string; app?: TestApp['app'] }
function scim(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, o: Opts = {}) {
  const headers: Record<string, string> = { ...o.headers }
  const token = o.token === undefined ? scimToken : o.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/scim+json'
  return (o.app ?? t.app).inject({ method, url: `/scim/v2${path}`, headers, payload: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body) })
}
const verify = (app: TestApp['app'], token: string) => app.inject({ method: 'GET', url: '/api/verify', headers: { authorization: `APIToken ${token}` } })
const rfcUser = (userName: string, externalId: string) => ({
  // RFC 7644 section 3.3's example, with an email as userName: here userName is how the person signs in.
  schemas: [USER], userName, externalId,
  name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
})
let seq = 0
const unique = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 8)}@example.com`
const createScimUser = async (userName = unique('bjensen'), externalId = `ext-${userName}`) => {
  const res = await scim('POST', '/Users', { body: rfcUser(userName, externalId) })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}
const expectScimError = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, scimType?: string) => {
  expect(res.statusCode).toBe(status)
  expect(String(res.headers['content-type'])).toMatch(/^application\/scim\+json/)
  const body = res.json() as Record<string, unknown>
  expect(body.schemas).toEqual([ERROR])
  expect(body.status).toBe(String(status))
  if (scimType) expect(body.scimType).toBe(scimType)
  expect(typeof body.detail).toBe('string')
}

describe('discovery (RFC 7644 section 4)', () => {
  it('ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig')
    expect(spc.statusCode).toBe(200)
    expect(spc.headers['content-type']).toMatch(/^application\/scim\+json/)
    expect(spc.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false }, sort: { supported: false }, etag: { supported: true },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
    })
    const rt = (await scim('GET', '/ResourceTypes')).json()
    expect(rt.schemas).toEqual([LIST])
    expect(rt.Resources.map((r: { id: string; endpoint: string; schema: string }) => [r.id, r.endpoint, r.schema])).toEqual([['User', '/Users', USER], ['Group', '/Groups', GROUP]])
    expect((await scim('GET', '/ResourceTypes/User')).json().name).toBe('User')
    const sc = (await scim('GET', '/Schemas')).json()
    expect(sc.totalResults).toBe(2)
    const userSchema = (await scim('GET', `/Schemas/${USER}`)).json()
    expect(userSchema.attributes.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['userName', 'name', 'emails', 'active', 'externalId']))
    expectScimError(await scim('GET', '/Schemas/urn:nope'), 404)
    expectScimError(await scim('GET', '/NoSuchEndpoint'), 404)
  })
})

describe('Users (RFC 7644 section 3)', () => {
  it('3.3 create with the RFC example body: 201, Location, ETag, the resource as stored', async () => {
    const userName = unique('BJensen').replace('bjensen', 'BJensen')
    const res = await scim('POST', '/Users', { body: rfcUser(userName, 'bjensen') })
    expect(res.statusCode, res.body).toBe(201)
    const u = res.json()
    expect(u).toMatchObject({
      schemas: [USER], userName: userName.toLowerCase(), externalId: 'bjensen', active: true,
      name: { formatted: 'Ms. Barbara J Jensen III', givenName: 'Barbara', familyName: 'Jensen' }, emails: [{ value: userName.toLowerCase(), primary: true }],
      groups: [expect.objectContaining({ value: 'developer' })],
      meta: { resourceType: 'User', location: `http://localhost:80/scim/v2/Users/${u.id}`, version: expect.stringMatching(/^W\/".+"$/) },
    })
    expect(res.headers.location).toBe(u.meta.location)
    expect(res.headers.etag).toBe(u.meta.version)
    const row = await t.services.db.db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ managed_by: 'scim', password_hash: null, role: 'developer', external_id: 'bjensen', disabled: 0 })
    // Password sign-in is impossible for them: the identity provider is where they authenticate.
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: userName, password: 'anything-at-all-12' } })).statusCode).toBe(401)
    const audit = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'user.create').where('target_owner_id', '=', u.id).executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ actor_type: 'token', credential_name: scimTokenName })
    expect(JSON.parse(audit.details)).toMatchObject({ via: 'scim' })

    // 3.3: the same userName again is a conflict (compared without case), as is the same externalId.
    expectScimError(await scim('POST', '/Users', { body: rfcUser(userName.toUpperCase(), 'other') }), 409, 'uniqueness')
    expectScimError(await scim('POST', '/Users', { body: rfcUser(unique('x'), 'bjensen') }), 409, 'uniqueness')
    // The RFC's userName "bjensen" is not an email, which is what people sign in with here.
    expectScimError(await scim('POST', '/Users', { body: rfcUser('bjensen', 'bj2') }), 400, 'invalidValue')
    expectScimError(await scim('POST', '/Users', { body: { schemas: [USER] } }), 400, 'invalidValue')
    expectScimError(await scim('POST', '/Users', { body: { userName: unique('noschema') } }), 400, 'invalidSyntax')
  })

  it('accepts application/json bodies too; refuses broken JSON with invalidSyntax', async () => {
    const res = await scim('POST', '/Users', { body: rfcUser(unique('json'), 'json-1'), contentType: 'application/json' })
    expect(res.statusCode).toBe(201)
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/)
    expectScimError(await scim('POST', '/Users', { body: '{"schemas": [', contentType: 'application/scim+json' }), 400, 'invalidSyntax')
  })

  it('3.4.1 get by id, with ETag and If-None-Match; 404 in the SCIM error schema for an unknown id', async () => {
    const u = await createScimUser()
    const res = await scim('GET', `/Users/${u.id}`)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(u)
    expect(res.headers.etag).toBe(u.meta.version)
    expect((await scim('GET', `/Users/${u.id}`, { headers: { 'if-none-match': u.meta.version } })).statusCode).toBe(304)
    const only = (await scim('GET', `/Users/${u.id}?attributes=userName`)).json()
    expect(Object.keys(only).sort()).toEqual(['id', 'meta', 'schemas', 'userName'])
    expectScimError(await scim('GET', '/Users/2819c223-7f76-453a-919d-413861904646'), 404)
  })

  it('3.4.2.2 filters: the RFC examples this server supports, and invalidFilter for the others', async () => {
    const a = await createScimUser(unique('john'), 'ext-john-a')
    const b = await createScimUser(unique('jane'), 'ext-jane-b')
    await scim('PATCH', `/Users/${b.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } })
    const ids = async (filter: string) => {
      const res = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`)
      expect(res.statusCode, res.body).toBe(200)
      return (res.json().Resources as Array<{ id: string }>).map((r) => r.id)
    }
    // userName Eq "john" (operators and attribute names ignore case; userName too)
    expect(await ids(`userName Eq "${a.userName.toUpperCase()}"`)).toEqual([a.id])
    expect(await ids(`emails.value eq "${b.userName}"`)).toEqual([b.id])
    expect(await ids(`emails[type eq "work" and value co "${b.userName.split('@')[0]}"]`)).toEqual([b.id])
    expect(await ids(`externalId eq "ext-john-a"`)).toEqual([a.id])
    expect(await ids(`externalId eq "EXT-JOHN-A"`)).toEqual([]) // caseExact
    expect(await ids(`userName sw "${a.userName.slice(0, 6)}" and active eq true`)).toEqual([a.id])
    const inactive = await ids('active eq false')
    expect(inactive).toContain(b.id)
    expect(inactive).not.toContain(a.id)
    expect(await ids(`userName eq "${a.userName}" or userName eq "${b.userName}"`)).toEqual([a.id, b.id])
    expect(await ids(`userName eq "${a.userName}" and not (active eq false)`)).toEqual([a.id])
    expect(await ids(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${a.userName}"`)).toEqual([a.id])
    const since = new Date(Date.parse(b.meta.lastModified) - 1).toISOString()
    expect(await ids(`meta.lastModified gt "${since}"`)).toEqual(expect.arrayContaining([b.id]))
    expect(await ids(`meta.lastModified gt "2999-01-01T00:00:00Z"`)).toEqual([])
    expect(await ids(`name.formatted co "barbara"`)).toEqual(expect.arrayContaining([a.id, b.id]))
    expect(await ids(`name.familyName co "O'Malley"`)).toEqual([])
    expect(await ids(`name.familyName eq "jensen" and userName eq "${a.userName}"`)).toEqual([a.id])
    // Examples of the RFC on attributes this server does not keep: 400 invalidFilter, never all users.
    for (const f of ['title pr', 'nickName eq "Babs"', 'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', 'userName eq', 'active eq "yes"']) {
      expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter')
    }
  })

  it('3.4.2.4 paging: startIndex and count, totalResults, a count cut to 200', async () => {
    const all = (await scim('GET', '/Users?count=200')).json()
    expect(all.totalResults).toBeGreaterThanOrEqual(4)
    const page = (await scim('GET', '/Users?startIndex=2&count=2')).json()
    expect(page).toMatchObject({ schemas: [LIST], totalResults: all.totalResults, startIndex: 2, itemsPerPage: 2 })
    expect(page.Resources.map((r: { id: string }) => r.id)).toEqual(all.Resources.slice(1, 3).map((r: { id: string }) => r.id))
    const none = (await scim('GET', '/Users?count=0')).json()
    expect(none).toMatchObject({ totalResults: all.totalResults, itemsPerPage: 0, Resources: [] })
    expect((await scim('GET', '/Users?startIndex=0&count=1')).json().startIndex).toBe(1)
    expect((await scim('GET', '/Users?count=5000')).json().itemsPerPage).toBe(Math.min(200, all.totalResults))
    expectScimError(await scim('GET', '/Users?count=ten'), 400, 'invalidValue')
    const searched = await scim('POST', '/Users/.search', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `userName eq "${all.Resources[0].userName}"`, startIndex: 1, count: 10 } })
    expect(searched.json().Resources.map((r: { id: string }) => r.id)).toEqual([all.Resources[0].id])
  })

  it('3.5.1 replace (PUT) with ETag and If-Match: 412 for a stale version', async () => {
    const u = await createScimUser()
    const newName = unique('barbara')
    const body = { schemas: [USER], userName: newName, externalId: u.externalId, name: { givenName: 'Barbara', familyName: 'Jensen-Smith' }, active: true }
    expectScimError(await scim('PUT', `/Users/${u.id}`, { body, headers: { 'if-match': 'W/"stale"' } }), 412)
    const res = await scim('PUT', `/Users/${u.id}`, { body, headers: { 'if-match': u.meta.version } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ userName: newName, name: { formatted: 'Barbara Jensen-Smith', givenName: 'Barbara', familyName: 'Jensen-Smith' }, active: true })
    expect(res.headers.etag).toBe(res.json().meta.version)
    expect(res.json().meta.version).not.toBe(u.meta.version)
    // The version it replaced no longer matches.
    expectScimError(await scim('PUT', `/Users/${u.id}`, { body, headers: { 'if-match': u.meta.version } }), 412)
    const audit = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'user.update').where('target_owner_id', '=', u.id).executeTakeFirstOrThrow()
    expect(JSON.parse(audit.details)).toMatchObject({ via: 'scim', userName: { from: u.userName, to: newName } })
    expectScimError(await scim('PUT', '/Users/no-such-id', { body }), 404)
    // A display name that is just the parts joined follows them when a PATCH changes a part.
    const patched = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Smith' }] } })
    expect(patched.json().name).toEqual({ formatted: 'Barbara Smith', givenName: 'Barbara', familyName: 'Smith' })
    // A replace without the parts drops them.
    const plain = await scim('PUT', `/Users/${u.id}`, { body: { schemas: [USER], userName: newName, displayName: 'B. J.' } })
    expect(plain.json().name).toEqual({ formatted: 'B. J.' })
  })

  it('3.5.2 PATCH: add, replace (with and without path, userName, active) and remove', async () => {
    const u = await createScimUser()
    // 3.5.2.1 add without a path: the value's attributes are added (unknown ones like nickname ignored).
    let res = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'add', value: { nickname: 'Babs', displayName: 'Babs Jensen' } }] } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ displayName: 'Babs Jensen', name: { formatted: 'Babs Jensen' } })
    // 3.5.2.3 replace without a path, userName among the attributes (the RFC's example).
    const renamed = unique('bjensen-new')
    res = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { userName: renamed, emails: [{ value: renamed, type: 'work', primary: true }] } }] } })
    expect(res.json()).toMatchObject({ userName: renamed, emails: [{ value: renamed }] })
    // Replace with a path, a sub-attribute, and an op name in another case.
    res = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'name.givenName', value: 'Barb' }, { op: 'replace', path: 'name.familyName', value: 'J' }] } })
    // The display name was set on its own, so the new parts leave it as it is.
    expect(res.json().name).toEqual({ formatted: 'Babs Jensen', givenName: 'Barb', familyName: 'J' })
    res = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } })
    expect(res.json().active).toBe(false)
    res = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: 'True' }] } })
    expect(res.json().active).toBe(true)
    // 3.5.2.2 remove.
    res = await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'remove', path: 'externalId' }] } })
    expect(res.statusCode).toBe(200)
    expect(res.json().externalId).toBeUndefined()
    // ETag / If-Match on PATCH too.
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }, headers: { 'if-match': u.meta.version } }), 412)
    expect(res.headers.etag).toBe(res.json().meta.version)
    // Errors of 3.5.2: remove without a path, a malformed path, a bad op, a read-only id, the wrong schema.
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'remove' }] } }), 400, 'noTarget')
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] } }), 400, 'invalidPath')
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'move', path: 'active' }] } }), 400, 'invalidSyntax')
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'id', value: 'x' }] } }), 400, 'mutability')
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [USER], Operations: [] } }), 400, 'invalidSyntax')
    expectScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] } }), 400, 'invalidValue')
  })

  it('3.6 delete: 204, then 404', async () => {
    const u = await createScimUser()
    expect((await scim('DELETE', `/Users/${u.id}`)).statusCode).toBe(204)
    expectScimError(await scim('GET', `/Users/${u.id}`), 404)
    expectScimError(await scim('DELETE', `/Users/${u.id}`), 404)
  })
})

describe('Groups: the console roles', () => {
  it('lists the three roles with their members; PATCH and PUT change roles; the last admin stays', async () => {
    const list = (await scim('GET', '/Groups')).json()
    expect(list.Resources.map((g: { displayName: string }) => g.displayName)).toEqual(['admin', 'developer', 'auditor'])
    const admins = list.Resources[0].members.map((m: { value: string }) => m.value)
    expect(admins).toContain(admin.user.id)
    expect((await scim('GET', '/Groups?filter=displayName%20eq%20%22auditor%22&excludedAttributes=members')).json()).toMatchObject({ totalResults: 1, Resources: [{ id: 'auditor', displayName: 'auditor' }] })
    expect((await scim('GET', '/Groups?excludedAttributes=members')).json().Resources[0].members).toBeUndefined()
    const u = await createScimUser()
    // 3.5.2.1 the RFC's add of a member.
    let res = await scim('PATCH', '/Groups/auditor', { body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ display: 'Babs Jensen', $ref: `http://localhost:80/scim/v2/Users/${u.id}`, value: u.id }] }] } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().members.map((m: { value: string }) => m.value)).toContain(u.id)
    expect((await scim('GET', `/Users/${u.id}`)).json().groups[0].value).toBe('auditor')
    const roleAudit = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'user.role_change').where('target_owner_id', '=', u.id).executeTakeFirstOrThrow()
    expect(roleAudit).toMatchObject({ actor_type: 'token', credential_name: scimTokenName })
    // 3.5.2.2 the RFC's remove of one member by a value filter: back to developer, the default role.
    res = await scim('PATCH', '/Groups/auditor', { body: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${u.id}"]` }] } })
    expect(res.json().members?.map((m: { value: string }) => m.value) ?? []).not.toContain(u.id)
    expect((await scim('GET', `/Users/${u.id}`)).json().groups[0].value).toBe('developer')
    // PUT with If-Match.
    const g = await scim('GET', '/Groups/auditor')
    expectScimError(await scim('PUT', '/Groups/auditor', { body: { schemas: [GROUP], displayName: 'auditor', members: [{ value: u.id }] }, headers: { 'if-match': 'W/"old"' } }), 412)
    res = await scim('PUT', '/Groups/auditor', { body: { schemas: [GROUP], displayName: 'auditor', members: [...g.json().members ?? [], { value: u.id }] }, headers: { 'if-match': g.headers.etag as string } })
    expect(res.statusCode, res.body).toBe(200)
    expect((await scim('GET', `/Users/${u.id}`)).json().groups[0].value).toBe('auditor')
    // Removing every administrator is refused: the users service's last-admin guard.
    const lastAdmin = await scim('PATCH', '/Groups/admin', { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [] }] } })
    expectScimError(lastAdmin, 400)
    expect((await scim('GET', '/Groups/admin')).json().members.map((m: { value: string }) => m.value)).toContain(admin.user.id)
    expectScimError(await scim('PATCH', '/Groups/admin', { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'root' }] } }), 400, 'mutability')
    expectScimError(await scim('PATCH', '/Groups/auditor', { body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: 'nobody' }] }] } }), 400, 'invalidValue')
    expectScimError(await scim('GET', '/Groups/owners'), 404)
    expectScimError(await scim('POST', '/Groups', { body: { schemas: [GROUP], displayName: 'owners' } }), 501)
    expectScimError(await scim('GET', '/Groups?filter=members%20pr'), 400, 'invalidFilter')
  })
})

describe('authentication: the SCIM token and nothing else', () => {
  it('refuses sessions, API tokens, service tokens and no credentials with 401 in the SCIM error schema', async () => {
    const own = await createToken(t.app, admin.auth)
    const svc = await createServiceToken(t.app, admin.auth, 'ves-io-admin')
    const attempts: Array<Record<string, string>> = [
      {},
      { cookie: (admin.auth as { cookie: string }).cookie },
      { authorization: `APIToken ${own.token}` },
      { authorization: `Bearer ${own.token}` },
      { authorization: `Bearer ${svc.token}` },
      { authorization: `APIToken ${scimToken}` },
      { authorization: 'Bearer scim_not-a-real-token' },
    ]
    for (const headers of attempts) {
      const res = await scim('GET', '/Users', { token: null, headers })
      expectScimError(res, 401)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="token-console"')
      expect(res.body).not.toContain(scimToken)
    }
    // In the URL it is refused even when right.
    expectScimError(await scim('GET', `/Users?access_token=${scimToken}`, { token: null }), 401)
    // The SCIM token is still refused at the API.
    expect((await call(t.app, { token: scimToken }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/api/users', headers: { authorization: `Bearer ${scimToken}` } })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/api/verify', headers: { authorization: `Bearer ${scimToken}` } })).statusCode).toBe(401)
  })

  it('records the SCIM token\'s last use, and a revoked SCIM token is refused on the next request', async () => {
    const before = Date.now()
    expect((await scim('GET', '/ServiceProviderConfig')).statusCode).toBe(200)
    await t.services.usage.flush()
    const status = (await call(t.app, admin.auth, { method: 'GET', url: `${API}/scim_token` })).json()
    expect(Date.parse(status.last_used_timestamp)).toBeGreaterThanOrEqual(before - 1000)

    const created = (await call(t.app, admin.auth, { method: 'POST', url: `${API}/scim_token`, payload: {} })).json()
    // Replacing it revoked the previous one: refused at once.
    expectScimError(await scim('GET', '/Users'), 401)
    scimToken = created.data
    scimTokenName = created.name
    expect((await scim('GET', '/Users')).statusCode).toBe(200)
  })
})

describe('deactivation and delete end access at once', () => {
  const person = async () => {
    const user = await createUser(t)
    const auth = await login(t.app, user.email)
    const tok = await createToken(t.app, auth)
    expect((await verify(t.app, tok.token)).statusCode).toBe(204)
    return { user, auth, tok }
  }
  /** An API certificate of theirs, and its check on the token check's path (as a client certificate is checked). */
  const certificateOf = async (auth: Auth) => {
    const res = await call(t.app, auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: `cert-${crypto.randomUUID().slice(0, 8)}`, expiration_days: 10, spec: { type: 'API_CERTIFICATE', password: 'p12-secret' } } })
    expect(res.statusCode, res.body).toBe(200)
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(res.json().data, 'base64').toString('binary')), 'p12-secret')
    const leaf = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]!.map((b) => new crypto.X509Certificate(forge.pki.certificateToPem(b.cert!))).find((c) => !c.ca)!
    const hash = t.app.pki.hashOf(crypto.createHash('sha256').update(leaf.raw).digest('hex'))
    return async () => (await t.services.identity.checkCertificate(hash, { ip: '198.51.100.9', userAgent: 'mtls' }, API_CERTIFICATE_TYPES)).ok
  }
  const sessionWorks = async (auth: Auth) => (await call(t.app, auth, { method: 'GET', url: '/api/auth/session' })).statusCode === 200

  it('active=false: the next check is 401, sessions are gone, audited with the SCIM client; re-activation leaves the token revoked', async () => {
    const p = await person()
    const certificateWorks = await certificateOf(p.auth)
    expect(await sessionWorks(p.auth)).toBe(true)
    expect(await certificateWorks()).toBe(true)
    const res = await scim('PATCH', `/Users/${p.user.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } })
    expect(res.statusCode, res.body).toBe(200)
    expect((await verify(t.app, p.tok.token)).statusCode).toBe(401)
    expect(await certificateWorks()).toBe(false)
    expect(await sessionWorks(p.auth)).toBe(false)
    expect(await t.services.db.db.selectFrom('sessions').select('id_hash').where('user_id', '=', p.user.id).execute()).toEqual([])
    const rows = await t.services.db.db.selectFrom('audit_events').selectAll().where('target_owner_id', '=', p.user.id).where('action', 'in', ['user.disable', 'credential.revoke']).execute()
    expect(rows.map((r) => r.action).sort()).toEqual(['credential.revoke', 'credential.revoke', 'user.disable'])
    for (const r of rows) {
      expect(r).toMatchObject({ actor_type: 'token', credential_name: scimTokenName, actor_id: admin.user.id })
      expect(JSON.parse(r.details)).toMatchObject({ via: 'scim' })
    }
    // The person is now managed by the identity provider.
    expect((await call(t.app, admin.auth, { method: 'GET', url: '/api/users' })).json().items.find((u: { id: string }) => u.id === p.user.id)).toMatchObject({ disabled: true, managed_by: 'scim' })

    const back = await scim('PATCH', `/Users/${p.user.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] } })
    expect(back.json().active).toBe(true)
    expect((await verify(t.app, p.tok.token)).statusCode).toBe(401)
    expect(await certificateWorks()).toBe(false)
    const cred = await t.services.db.db.selectFrom('credentials').select(['revoked_at']).where('name', '=', p.tok.name).executeTakeFirstOrThrow()
    expect(cred.revoked_at).not.toBeNull()
    // Back in, they can sign in again (this one has a console password) and create new tokens.
    const again = await login(t.app, p.user.email)
    const fresh = await createToken(t.app, again)
    expect((await verify(t.app, fresh.token)).statusCode).toBe(204)
  })

  it('PUT with active false does the same', async () => {
    const p = await person()
    const cur = (await scim('GET', `/Users/${p.user.id}`)).json()
    const res = await scim('PUT', `/Users/${p.user.id}`, { body: { schemas: [USER], userName: cur.userName, name: cur.name, active: false } })
    expect(res.statusCode, res.body).toBe(200)
    expect((await verify(t.app, p.tok.token)).statusCode).toBe(401)
  })

  it('delete revokes what they hold, removes them, and the next check is 401', async () => {
    const p = await person()
    expect((await scim('DELETE', `/Users/${p.user.id}`)).statusCode).toBe(204)
    expect((await verify(t.app, p.tok.token)).statusCode).toBe(401)
    expect(await sessionWorks(p.auth)).toBe(false)
    expect(await t.services.db.db.selectFrom('users').select('id').where('id', '=', p.user.id).executeTakeFirst()).toBeUndefined()
    const actions = (await t.services.db.db.selectFrom('audit_events').selectAll().where('target_owner_id', '=', p.user.id).where('credential_name', '=', scimTokenName).execute()).map((r) => r.action)
    expect(actions).toEqual(expect.arrayContaining(['credential.revoke', 'credential.remove', 'user.delete']))
  })

  it('the last enabled administrator cannot be deactivated or deleted', async () => {
    const others = await t.services.db.db.selectFrom('users').select('id').where('role', '=', 'admin').where('id', '<>', admin.user.id).execute()
    for (const o of others) await t.services.db.db.updateTable('users').set({ role: 'developer' }).where('id', '=', o.id).execute()
    expectScimError(await scim('PATCH', `/Users/${admin.user.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } }), 400)
    expectScimError(await scim('DELETE', `/Users/${admin.user.id}`), 400)
    expect((await call(t.app, admin.auth, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(200)
  })
})

describe('the console for people the identity provider manages', () => {
  it('refuses role and password changes and re-enabling with 400 managed_by_scim; allows disabling as a break-glass', async () => {
    const u = await createScimUser()
    const patch = (payload: Record<string, unknown>) => call(t.app, admin.auth, { method: 'PATCH', url: `/api/users/${u.id}`, payload })
    for (const [payload, field] of [[{ role: 'admin' }, 'role'], [{ password: 'a-long-enough-password' }, 'password']] as const) {
      const res = await patch(payload)
      expect(res.statusCode).toBe(400)
      expect(res.json().message).toMatch(/SCIM/)
      expect(res.json().details).toEqual([{ field, reason: 'managed_by_scim' }])
    }
    expect((await patch({ disabled: true })).statusCode).toBe(200)
    const enable = await patch({ disabled: false })
    expect(enable.statusCode).toBe(400)
    expect(enable.json().details).toEqual([{ field: 'disabled', reason: 'managed_by_scim' }])
    // The provider re-enables.
    expect((await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] } })).json().active).toBe(true)
  })
})

// Registered only on PostgreSQL (SQLite has no second instance to notify), so no run reports it as skipped.
if (inject('testDb') === 'postgres') describe('a second instance sharing PostgreSQL', () => {
  let other: Awaited<ReturnType<typeof buildApp>>
  beforeAll(async () => { other = await buildApp(t.services.config, { logger: false }) })
  afterAll(async () => { await other.app.close() })
  const until = async (fn: () => Promise<boolean>, ms: number) => {
    const start = Date.now()
    while (Date.now() - start < ms) {
      if (await fn()) return Date.now() - start
      await new Promise((r) => setTimeout(r, 5))
    }
    return Infinity
  }

  it('refuses a deactivated person\'s cached token within a second', async () => {
    const user = await createUser(t)
    const tok = await createToken(t.app, await login(t.app, user.email))
    expect((await verify(other.app, tok.token)).statusCode).toBe(204)
    expect(other.services.checkCache.size).toBeGreaterThan(0)
    expect((await scim('PATCH', `/Users/${user.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } })).statusCode).toBe(200)
    expect(await until(async () => (await verify(other.app, tok.token)).statusCode === 401, 2000)).toBeLessThan(1000)
  })

  it('and the SCIM token works on either instance', async () => {
    expect((await scim('GET', '/ServiceProviderConfig', { app: other.app })).statusCode).toBe(200)
  })
})
