// A client written from the F5 XC spec alone succeeds on all 27 paths. This
// client knows only the published swagger (tests/fixtures/f5xc/): it calls every operation with the
// path the spec gives (its /public prefix served under /api/web), an APIToken, and a body made of the
// spec's fields, checked against the spec's request definition before it is sent; each answer must be
// 200 and fit the response definition the spec declares for it.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../support/app.js'
import { call, signedIn, tokenName } from '../support/factories.js'
import { buildKubeTestApp } from './pki-support.js'

interface Operation {
  responses: Record<string, { schema?: { $ref: string } }>
  parameters?: Array<{ in: string; schema?: { $ref: string } }>
}
type Spec = { paths: Record<string, Record<string, Operation>> }

const fixtures = path.resolve(import.meta.dirname, '../fixtures/f5xc')
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
const docs: Array<[string, Spec]> = ['f5xc-api-credential', 'f5xc-whoami'].map((f) => {
  const doc = JSON.parse(fs.readFileSync(path.join(fixtures, `${f}.swagger.json`), 'utf8')) as Spec
  ajv.addSchema(doc, f)
  return [f, doc]
})
const operations = new Map<string, { doc: string; op: Operation }>()
for (const [doc, spec] of docs) {
  for (const [p, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) if (op.responses) operations.set(`${method.toUpperCase()} ${p}`, { doc, op })
  }
}
const schema = (doc: string, ref: string) => ajv.getSchema(`${doc}${ref}`) as ValidateFunction

let t: TestApp
let token: string
let dir: string
const called = new Set<string>()

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-walk-'))
  t = (await buildKubeTestApp(dir)).app
  // The client's own credential: an administrator's API token, as an F5 automation would hold.
  const admin = (await signedIn(t, 'admin')).auth
  const res = await call(t.app, admin, { method: 'POST', url: '/api/web/namespaces/system/api_credentials', payload: { name: tokenName('spec-client'), expiration_days: 1 } })
  token = res.json().data
}, 60_000)

afterAll(async () => {
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/** One spec operation: `template` is the spec's own path, `params` fills its {placeholders}. */
async function spec(method: string, template: string, params: Record<string, string> = {}, body?: Record<string, unknown>) {
  const key = `${method} ${template}`
  const entry = operations.get(key)
  expect(entry, `${key} is in the spec`).toBeDefined()
  const { doc, op } = entry!
  const bodyRef = op.parameters?.find((x) => x.in === 'body')?.schema?.$ref
  if (body) {
    const validate = schema(doc, bodyRef!)
    expect(validate(body) ? [] : validate.errors, `${key}: the request fits ${bodyRef}`).toEqual([])
  }
  const url = template.replace(/^\/public/, '/api/web').replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? 'system')
  const res = await call(t.app, { token }, { method: method as 'GET', url, ...(body ? { payload: body } : {}) })
  expect(res.statusCode, `${key}: ${res.body}`).toBe(200)
  const ref = op.responses['200'].schema!.$ref
  const validate = schema(doc, ref)
  expect(validate(res.json()) ? [] : validate.errors, `${key}: the answer fits ${ref}`).toEqual([])
  called.add(key)
  return res.json()
}

const NS = '/public/namespaces/{namespace}'
const ROLES = [{ namespace: 'system', role: 'ves-io-monitor' }]

/** The five operations every family shares, in a client's order: create, list, get, activate, revoke. */
async function family(base: string, kind: string, create: Record<string, unknown>) {
  const name = tokenName(kind.replace(/_/g, '-'))
  const created = await spec('POST', `${base}/${kind}`, {}, { name, namespace: 'system', expiration_days: 3, ...create })
  expect(created).toMatchObject({ name, active: true })
  expect((await spec('GET', `${base}/${kind}`)).items.map((i: { name: string }) => i.name)).toContain(name)
  expect(await spec('GET', `${base}/${kind}/{name}`, { name })).toMatchObject({ name })
  expect(await spec('POST', `${base}/activate/${kind}`, {}, { name, namespace: 'system' })).toEqual({ status: true })
  expect(await spec('POST', `${base}/revoke/${kind}`, {}, { name, namespace: 'system' })).toEqual({ status: true })
  return name
}

describe('a client written from the F5 XC spec alone', () => {
  it('whoami', async () => {
    expect(await spec('GET', '/public/custom/namespaces/{namespace}/whoami')).toMatchObject({ type: 'USER' })
  })

  it('api_credentials: create, list, get, renew, activate, revoke, bulk revoke', async () => {
    const name = tokenName('walk')
    await spec('POST', `${NS}/api_credentials`, {}, { name, namespace: 'system', expiration_days: 5, spec: { type: 'API_TOKEN' } })
    expect((await spec('GET', `${NS}/api_credentials`)).items.map((i: { name: string }) => i.name)).toContain(name)
    expect(await spec('GET', `${NS}/api_credentials/{name}`, { name })).toMatchObject({ object: { metadata: { name } } })
    await spec('POST', `${NS}/renew/api_credentials`, {}, { name, namespace: 'system', expiration_days: 9 })
    await spec('POST', `${NS}/activate/api_credentials`, {}, { name, namespace: 'system' })
    await spec('POST', `${NS}/revoke/api_credentials`, {}, { name, namespace: 'system' })
    const other = tokenName('walk-bulk')
    await spec('POST', `${NS}/api_credentials`, {}, { name: other, namespace: 'system', expiration_days: 5 })
    const bulk = await spec('POST', '/public/namespaces/system/bulk_revoke/api_credentials', {}, { name_selector: { names: [other] } })
    expect(bulk.credentials_marked_for_deletion).toEqual([other])
  })

  it('service_credentials: create, list, get, replace, renew, activate, revoke, bulk revoke', async () => {
    const name = await family(NS, 'service_credentials', { type: 'SERVICE_API_TOKEN', api_token: {}, namespace_roles: ROLES, user_group_names: ['walkers'] })
    const replaced = await spec('PUT', `${NS}/service_credentials/{name}`, { name }, { name, namespace: 'system', namespace_access: { namespace_role_map: { system: { names: ['ves-io-monitor'] } } }, user_group_names: ['walkers'] })
    expect(replaced).toMatchObject({ name })
    const live = tokenName('walk-svc')
    await spec('POST', `${NS}/service_credentials`, {}, { name: live, namespace: 'system', expiration_days: 4, namespace_roles: ROLES })
    await spec('POST', `${NS}/renew/service_credentials`, {}, { name: live, namespace: 'system', expiration_days: 6 })
    const bulk = await spec('POST', '/public/namespaces/system/bulk_revoke/service_credentials', {}, { name_selector: { names: [live] } })
    expect(bulk.credentials_marked_for_deletion).toEqual([live])
  })

  it('kube_configs, service_kube_configs and site_global_kube_configs: their five operations each', async () => {
    await family(NS, 'kube_configs', { vk8s_cluster_name: 'walk-cluster', vk8s_namespace: 'walk' })
    await family(NS, 'service_kube_configs', { namespace_roles: ROLES, vk8s_kubeconfig: { vk8s_cluster_name: 'walk-cluster', vk8s_namespace: 'walk' } })
    await family('/public/namespaces/system', 'site_global_kube_configs', { namespace_roles: ROLES, site: 'walk-site' })
  })

  it('scim_token: create, get, revoke', async () => {
    const created = await spec('POST', `${NS}/scim_token`, {}, { namespace: 'system', expiration_days: 30 })
    expect(created.active).toBe(true)
    expect((await spec('GET', `${NS}/scim_token`)).object.spec.gc_spec.type).toBe('SCIM_API_TOKEN')
    expect(await spec('POST', `${NS}/revoke/scim_token`, {}, { namespace: 'system' })).toEqual({ status: true })
  })

  it('has called every operation of every path the spec declares', () => {
    const paths = new Set([...operations.keys()].map((k) => k.split(' ')[1]))
    console.log(`spec walk: ${called.size} of ${operations.size} operations on ${paths.size} paths answered 200 and fit the spec`)
    expect(paths.size).toBe(27)
    expect([...operations.keys()].filter((k) => !called.has(k))).toEqual([])
  })
})
