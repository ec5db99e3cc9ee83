// The rest of the F5 XC spec's shapes. Responses are validated against the
// public swagger (tests/fixtures/f5xc/, a copy of the published documents) with a JSON Schema
// validator; requests use the fields the spec declares, each on the type it fits.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'
import { buildKubeTestApp } from './pki-support.js'

const fixtures = path.resolve(import.meta.dirname, '../fixtures/f5xc')
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
ajv.addSchema(JSON.parse(fs.readFileSync(path.join(fixtures, 'f5xc-api-credential.swagger.json'), 'utf8')), 'credential')
ajv.addSchema(JSON.parse(fs.readFileSync(path.join(fixtures, 'f5xc-whoami.swagger.json'), 'utf8')), 'whoami')
const definition = (doc: string, name: string) => ajv.getSchema(`${doc}#/definitions/${name}`) as ValidateFunction
const fits = (validate: ValidateFunction, body: unknown) => (validate(body) ? [] : validate.errors)
const whoamiSpec = JSON.parse(fs.readFileSync(path.join(fixtures, 'f5xc-whoami.swagger.json'), 'utf8')).definitions.userGetUserRoleResponse

let t: TestApp
let admin: Auth
let adminEmail: string
let dev: Auth
let dir: string
const ROLES = [{ namespace: 'system', role: 'ves-io-monitor' }]

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-spec-'))
  t = (await buildKubeTestApp(dir)).app
  const a = await signedIn(t, 'admin')
  admin = a.auth
  adminEmail = a.user.email
  dev = (await signedIn(t, 'developer')).auth
}, 60_000)

afterAll(async () => {
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const post = (auth: Auth, family: string, payload: Record<string, unknown>) => call(t.app, auth, { method: 'POST', url: `${API}/${family}`, payload })
const get = (auth: Auth, family: string, name: string) => call(t.app, auth, { method: 'GET', url: `${API}/${family}/${name}` })
const daysUntil = (iso: string) => (Date.parse(iso) - Date.now()) / 86_400_000

describe('expiration_days: a number or a numeric string (proto3 JSON writes int64 as a string)', () => {
  it('accepts "30" as 30 days on create, renew and service credentials', async () => {
    const name = tokenName('str-days')
    const res = await post(dev, 'api_credentials', { name, expiration_days: '30' })
    expect(res.statusCode, res.body).toBe(200)
    expect(daysUntil(res.json().expiration_timestamp)).toBeCloseTo(30, 1)
    const renew = await post(dev, 'renew/api_credentials', { name, expiration_days: '7' })
    expect(renew.statusCode, renew.body).toBe(200)
    expect(daysUntil((await get(dev, 'api_credentials', name)).json().expiry_timestamp)).toBeCloseTo(7, 1)
    const svc = await post(admin, 'service_credentials', { name: tokenName('str-svc'), expiration_days: '12', namespace_roles: ROLES })
    expect(svc.statusCode, svc.body).toBe(200)
    expect(daysUntil(svc.json().expiration_timestamp)).toBeCloseTo(12, 1)
  })

  it.each([['abc'], ['1.5'], [''], ['-3'], [' 30'], ['0'], [1.5], [0], [true], ['1234567890']])('refuses %j with a 400 naming expiration_days', async (days) => {
    const res = await post(dev, 'api_credentials', { name: tokenName('bad-days'), expiration_days: days })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().details.map((d: { field: string }) => d.field)).toContain('expiration_days')
  })
})

describe('service credentials take every field the spec declares, each on the type it fits', () => {
  it('SERVICE_API_CERTIFICATE with api_certificate.password: a PKCS#12 bundle opened by that password', async () => {
    const name = tokenName('svc-cert')
    const res = await post(admin, 'service_credentials', { name, expiration_days: 5, type: 'SERVICE_API_CERTIFICATE', api_certificate: { password: 'bundle-pass-1' }, namespace_roles: ROLES, user_group_names: ['sre'] })
    expect(res.statusCode, res.body).toBe(200)
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(res.json().data)), 'bundle-pass-1')
    const cert = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]![0].cert!
    // The certificate's serial is what get reports in gc_spec.certificate_serial_num.
    const got = (await get(admin, 'service_credentials', name)).json()
    expect(got.object.spec.gc_spec.certificate_serial_num.toLowerCase()).toBe(cert.serialNumber.toLowerCase())
    expect(got.user_group_names).toEqual(['sre'])
  })

  it('SERVICE_KUBE_CONFIG with vk8s_kubeconfig, or the flat virtual_k8s_* fields: the kubeconfig and get carry them', async () => {
    for (const body of [
      { vk8s_kubeconfig: { vk8s_cluster_name: 'edge-7', vk8s_namespace: 'shop' } },
      { virtual_k8s_name: 'edge-7', virtual_k8s_namespace: 'shop' },
    ]) {
      const name = tokenName('svc-kube')
      const res = await post(admin, 'service_credentials', { name, expiration_days: 3, type: 'SERVICE_KUBE_CONFIG', namespace_roles: ROLES, ...body })
      expect(res.statusCode, res.body).toBe(200)
      const yaml = Buffer.from(res.json().data, 'base64').toString('utf8')
      expect(yaml).toContain('name: "edge-7"')
      expect(yaml).toContain('namespace: "shop"')
      const gc = (await get(admin, 'service_credentials', name)).json().object.spec.gc_spec
      expect(gc).toMatchObject({ type: 'SERVICE_KUBE_CONFIG', virtual_k8s_name: 'edge-7', virtual_k8s_namespace: 'shop' })
      expect(gc.certificate_serial_num).toMatch(/^[0-9a-f]+$/i)
    }
  })

  it('SITE_GLOBAL_KUBE_CONFIG with site_kubeconfig.site: get reports site_name', async () => {
    const name = tokenName('svc-site')
    const res = await post(admin, 'service_credentials', { name, expiration_days: 3, type: 'SITE_GLOBAL_KUBE_CONFIG', namespace_roles: ROLES, site_kubeconfig: { site: 'paris-1' } })
    expect(res.statusCode, res.body).toBe(200)
    expect((await get(admin, 'service_credentials', name)).json().object.spec.gc_spec.site_name).toBe('paris-1')
  })

  it.each([
    ['vk8s_kubeconfig', { vk8s_kubeconfig: { vk8s_cluster_name: 'x' } }, 'SERVICE_API_TOKEN'],
    ['site_kubeconfig', { site_kubeconfig: { site: 'x' } }, 'SERVICE_API_TOKEN'],
    ['virtual_k8s_name', { virtual_k8s_name: 'x' }, 'SERVICE_API_CERTIFICATE'],
    ['api_certificate', { api_certificate: { password: 'p' } }, 'SERVICE_API_TOKEN'],
    ['password', { password: 'p' }, 'SERVICE_KUBE_CONFIG'],
    ['api_token', { api_token: {} }, 'SERVICE_KUBE_CONFIG'],
  ])('a 400 naming %s when given for %s', async (field, body, type) => {
    const name = tokenName('misfit')
    const res = await post(admin, 'service_credentials', { name, expiration_days: 3, type, namespace_roles: ROLES, password: type === 'SERVICE_API_CERTIFICATE' ? 'x-pass-1' : undefined, ...body })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().details).toEqual([expect.objectContaining({ field })])
    expect(res.json().message).toContain(type)
    // Nothing was created.
    expect((await get(admin, 'service_credentials', name)).statusCode).toBe(404)
  })

  it('password and api_certificate.password that differ are refused, not one silently preferred', async () => {
    const res = await post(admin, 'service_credentials', { name: tokenName('two-pw'), expiration_days: 3, type: 'SERVICE_API_CERTIFICATE', namespace_roles: ROLES, password: 'one-pass-1', api_certificate: { password: 'two-pass-2' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().details[0].field).toBe('api_certificate.password')
  })

  it('api_credentials: spec fields of other types are refused with the spec. prefix', async () => {
    const res = await post(dev, 'api_credentials', { name: tokenName('tok-pw'), expiration_days: 3, spec: { type: 'API_TOKEN', password: 'p' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().details[0].field).toBe('spec.password')
  })
})

describe('user_group_names round-trips', () => {
  it('is returned by get and list as given, changed by replace, and shown by whoami as group_names', async () => {
    const name = tokenName('groups')
    const created = await post(admin, 'service_credentials', { name, expiration_days: 3, namespace_roles: ROLES, user_group_names: ['sre', 'on-call'] })
    expect(created.statusCode, created.body).toBe(200)
    expect((await get(admin, 'service_credentials', name)).json().user_group_names).toEqual(['sre', 'on-call'])
    const listed = (await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials?q=${name}&limit=10` })).json().items
    expect(listed.find((c: { name: string }) => c.name === name).user_group_names).toEqual(['sre', 'on-call'])
    const who = await call(t.app, { token: created.json().data }, { method: 'GET', url: WHOAMI })
    expect(who.json().group_names).toEqual(['sre', 'on-call'])

    const put = await call(t.app, admin, { method: 'PUT', url: `${API}/service_credentials/${name}`, payload: { namespace_roles: ROLES, user_group_names: ['platform'] } })
    expect(put.statusCode, put.body).toBe(200)
    expect((await get(admin, 'service_credentials', name)).json().user_group_names).toEqual(['platform'])
    // A personal token has none.
    const mine = await post(dev, 'api_credentials', { name: tokenName('no-groups'), expiration_days: 3 })
    expect((await get(dev, 'api_credentials', mine.json().name)).json().user_group_names).toEqual([])
  })
})

describe('get: object.metadata and object.system_metadata as the spec names them', () => {
  it('fits api_credentialGetResponse; uid, tenant, timestamps and creator are right; disable follows revocation', async () => {
    const name = tokenName('get-shape')
    const created = Date.now()
    expect((await post(admin, 'api_credentials', { name, expiration_days: 9, description: 'shape check' })).statusCode).toBe(200)
    const body = (await get(admin, 'api_credentials', name)).json()
    expect(fits(definition('credential', 'api_credentialGetResponse'), body)).toEqual([])
    const { metadata, system_metadata: sys, spec } = body.object
    expect(metadata).toEqual({ name, namespace: 'system', uid: body.uid, description: 'shape check', labels: {}, annotations: {}, disable: false })
    expect(sys).toMatchObject({ uid: body.uid, tenant: expect.any(String), creator_id: adminEmail, finalizers: [], labels: {} })
    expect(sys.namespace).toEqual([expect.objectContaining({ kind: 'namespace', name: 'system', tenant: sys.tenant })])
    expect(Math.abs(Date.parse(sys.creation_timestamp) - created)).toBeLessThan(5000)
    expect(sys.modification_timestamp).toBe(sys.creation_timestamp)
    expect(spec.gc_spec).toMatchObject({ type: 'API_TOKEN', active: true, users: [expect.objectContaining({ name: adminEmail, tenant: sys.tenant })] })
    expect(spec.gc_spec.certificate_serial_num).toBeUndefined()

    await new Promise((r) => setTimeout(r, 20))
    expect((await post(admin, 'revoke/api_credentials', { name })).statusCode).toBe(200)
    const after = (await get(admin, 'api_credentials', name)).json()
    expect(after.object.metadata.disable).toBe(true)
    expect(Date.parse(after.object.system_metadata.modification_timestamp)).toBeGreaterThan(Date.parse(sys.creation_timestamp))
    expect(fits(definition('credential', 'api_credentialGetResponse'), after)).toEqual([])
  })

  it('create answers, lists and the service family\'s get fit the spec too', async () => {
    const name = tokenName('svc-shape')
    const res = await post(admin, 'service_credentials', { name, expiration_days: 3, namespace_roles: ROLES })
    expect(fits(definition('credential', 'api_credentialCreateResponse'), res.json())).toEqual([])
    const got = (await get(admin, 'service_credentials', name)).json()
    expect(fits(definition('credential', 'api_credentialGetServiceCredentialsResponse'), got)).toEqual([])
    expect(got.user_group_names).toEqual([])
    const list = (await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials` })).json()
    expect(fits(definition('credential', 'api_credentialListServiceCredentialsResponse'), list)).toEqual([])
    const mine = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials` })).json()
    expect(fits(definition('credential', 'api_credentialListResponse'), mine)).toEqual([])
  })
})

describe('whoami: every field the spec declares', () => {
  it('answers all of userGetUserRoleResponse (msp_managed and self_managed are one of two: self_managed) and fits it', async () => {
    const body = (await call(t.app, admin, { method: 'GET', url: WHOAMI })).json()
    const declared = Object.keys(whoamiSpec.properties)
    expect(declared).toHaveLength(40)
    const missing = declared.filter((k) => !(k in body))
    // msp_managed: one of two with self_managed; tos_accepted_at: no terms to accept (unset timestamps are omitted).
    expect(missing).toEqual(['msp_managed', 'tos_accepted_at'])
    expect(fits(definition('whoami', 'userGetUserRoleResponse'), body)).toEqual([])
    expect(body).toMatchObject({
      email: adminEmail, namespace: 'system', type: 'USER', state: 'StateActive', disabled: false, access_type: 'DIRECT_ACCESS',
      idm_type: 'VOLTERRA_MANAGED', sync_mode: 'SELF', self_managed: {}, group_names: [],
      namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }],
    })
    expect(body.tenant).toBe(body.original_tenant)
    expect(Date.parse(body.creation_timestamp)).toBeLessThanOrEqual(Date.now())
    // Signed in through the API above: the login time is known.
    expect(Date.parse(body.last_login_timestamp)).toBeGreaterThan(Date.now() - 120_000)
  })

  it('the tenant\'s first account is its domain owner; others are not', async () => {
    expect((await call(t.app, admin, { method: 'GET', url: WHOAMI })).json().domain_owner).toBe(true)
    expect((await call(t.app, dev, { method: 'GET', url: WHOAMI })).json().domain_owner).toBe(false)
  })

  it('with a service token: type SERVICE, its roles and groups', async () => {
    const res = await post(admin, 'service_credentials', { name: tokenName('who-svc'), expiration_days: 3, namespace_roles: ROLES, user_group_names: ['ci'] })
    const body = (await call(t.app, { token: res.json().data }, { method: 'GET', url: WHOAMI })).json()
    expect(fits(definition('whoami', 'userGetUserRoleResponse'), body)).toEqual([])
    expect(body).toMatchObject({ type: 'SERVICE', group_names: ['ci'], namespace_roles: ROLES })
    expect(body).not.toHaveProperty('last_login_timestamp')
    expect(body.token).toMatchObject({ type: 'SERVICE_API_TOKEN' })
  })
})
