// The kubeconfig families. A kubeconfig parses with @kubernetes/client-node,
// points at KUBE_API_SERVER with KUBE_CA_FILE, and carries a client certificate of the tenant CA whose
// subject (CN = owner, O = groups) is what a Kubernetes API server authenticates; revoke ends it.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, tokenName, type Auth } from '../support/factories.js'
import { buildKubeTestApp, run } from './pki-support.js'
import { fingerprintOf } from '../../server/pki/ca.js'
import { API_CERTIFICATE_TYPES } from '../../server/pki/service.js'

let t: TestApp
let admin: Auth
let dev: Auth
let devEmail: string
let dir: string
let clusterCa: string
const SERVER = 'https://k8s.example.test:6443'

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-kube-'))
  const built = await buildKubeTestApp(dir, SERVER)
  t = built.app
  clusterCa = built.caPem
  admin = (await signedIn(t, 'admin')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
}, 60_000)

afterAll(async () => {
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const tenantCa = async () => new crypto.X509Certificate((await t.app.inject({ method: 'GET', url: '/api/pki/ca.pem' })).body)

function parse(data: string) {
  const kc = new KubeConfig()
  kc.loadFromString(Buffer.from(data, 'base64').toString('utf8'))
  const user = kc.getCurrentUser()!
  const leaf = new crypto.X509Certificate(Buffer.from(user.certData!, 'base64'))
  const key = crypto.createPrivateKey(Buffer.from(user.keyData!, 'base64'))
  return { kc, leaf, key }
}

describe('kube_configs (happy)', () => {
  it('returns a kubeconfig for the configured cluster with a CA-signed certificate: CN = owner, O = role, the requested expiry', async () => {
    const name = tokenName('kube')
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name, expiration_days: 7, vk8s_cluster_name: 'edge-1', vk8s_namespace: 'shop' } })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    const { kc, leaf, key } = parse(body.data)
    expect(kc.getCurrentCluster()).toMatchObject({ name: 'edge-1', server: SERVER })
    expect(Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString()).toBe(clusterCa)
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('shop')
    expect(leaf.verify((await tenantCa()).publicKey)).toBe(true)
    expect(leaf.checkIssued(await tenantCa())).toBe(true)
    expect(leaf.checkPrivateKey(key)).toBe(true)
    expect(leaf.subject.split('\n')).toEqual([`CN=${devEmail}`, 'O=developer'])
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.2') // clientAuth
    expect(Math.abs(Date.parse(leaf.validTo) - Date.parse(body.expiration_timestamp))).toBeLessThan(2000)
    // For the cluster only: the same certificate does not sign in to Token Console's API.
    const asApiCertificate = await t.services.identity.checkCertificate(t.app.pki.hashOf(fingerprintOf(leaf.raw)), { ip: '127.0.0.1', userAgent: null }, API_CERTIFICATE_TYPES)
    expect(asApiCertificate).toMatchObject({ ok: false, reason: 'unknown' })

    const list = (await call(t.app, dev, { method: 'GET', url: `${API}/kube_configs` })).json()
    expect(list.items.map((i: { name: string }) => i.name)).toContain(name)
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/kube_configs/${name}` })).json()).toMatchObject({ name, type: 'KUBE_CONFIG', active: true })

    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/kube_configs`, payload: { name } })).json()).toEqual({ status: true })
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/kube_configs/${name}` })).json()).toMatchObject({ active: false, status: 'revoked' })
    const crl = path.join(dir, 'crl.pem')
    fs.writeFileSync(crl, (await t.app.inject({ method: 'GET', url: '/api/pki/crl.pem' })).body)
    expect((await run('openssl', ['crl', '-in', crl, '-noout', '-text'])).stdout).toContain(leaf.serialNumber.toUpperCase())
  })

  it('service_kube_configs and site_global_kube_configs: the groups are the namespace roles and user_group_names', async () => {
    for (const family of ['service_kube_configs', 'site_global_kube_configs']) {
      const name = tokenName('skube')
      const res = await call(t.app, admin, { method: 'POST', url: `${API}/${family}`, payload: { name, expiration_days: 3, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }], user_group_names: ['sre'] } })
      expect(res.statusCode, res.body).toBe(200)
      const { leaf } = parse(res.json().data)
      expect(leaf.subject).toMatch(/^CN=.+@serviceaccounts\..+\nO=ves-io-monitor\nO=sre$/)
      expect(leaf.verify((await tenantCa()).publicKey)).toBe(true)
      const got = (await call(t.app, admin, { method: 'GET', url: `${API}/${family}/${name}` })).json()
      expect(got.type).toBe(family === 'service_kube_configs' ? 'SERVICE_KUBE_CONFIG' : 'SITE_GLOBAL_KUBE_CONFIG')
      const list = (await call(t.app, admin, { method: 'GET', url: `${API}/${family}` })).json()
      expect(list.items.map((i: { name: string }) => i.name)).toContain(name)
      // activate of a live one is the F5 no-op; revoke ends it.
      expect((await call(t.app, admin, { method: 'POST', url: `${API}/activate/${family}`, payload: { name } })).json()).toEqual({ status: true })
      expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/${family}`, payload: { name } })).statusCode).toBe(200)
      expect((await call(t.app, admin, { method: 'GET', url: `${API}/${family}/${name}` })).json().status).toBe('revoked')
    }
  })
})

describe('kube_configs: a short lifetime unless asked (a Kubernetes API server reads no CRL)', () => {
  const DAY = 86_400_000
  const lifetime = (data: string) => {
    const { leaf } = parse(data)
    return Date.parse(leaf.validTo) - Date.now()
  }

  it('every kubeconfig kind, by every route, ends one day after creation when the request gives no expiration', async () => {
    const role = [{ namespace: 'system', role: 'ves-io-monitor' }]
    const made = [
      await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube') } }),
      await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('kube'), spec: { type: 'KUBE_CONFIG' } } }),
      await call(t.app, admin, { method: 'POST', url: `${API}/service_kube_configs`, payload: { name: tokenName('skube'), namespace_roles: role } }),
      await call(t.app, admin, { method: 'POST', url: `${API}/site_global_kube_configs`, payload: { name: tokenName('skube'), namespace_roles: role } }),
      await call(t.app, admin, { method: 'POST', url: `${API}/service_credentials`, payload: { name: tokenName('skube'), type: 'SERVICE_KUBE_CONFIG', namespace_roles: role } }),
    ]
    for (const res of made) {
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      expect(Date.parse(body.expiration_timestamp) - Date.now(), body.name).toBeGreaterThan(DAY - 60_000)
      expect(Date.parse(body.expiration_timestamp) - Date.now(), body.name).toBeLessThanOrEqual(DAY)
      // The certificate ends then too: the cluster, which knows nothing of revocation here, stops there.
      expect(lifetime(body.data)).toBeLessThanOrEqual(DAY)
      expect(lifetime(body.data)).toBeGreaterThan(DAY - 120_000)
    }
    // Tokens and API certificates keep the tenant's default.
    const token = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('tok') } })
    expect(Date.parse(token.json().expiration_timestamp) - Date.now()).toBeGreaterThan(2 * DAY)
  })

  it('an explicit expiration still works, and the policy\'s maximum still bounds it', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube'), expiration_days: 30 } })
    expect(res.statusCode, res.body).toBe(200)
    expect(lifetime(res.json().data)).toBeGreaterThan(29 * DAY)
    const max = (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json()
    const maxDays = max.max_expiration_days ?? max.settings?.max_expiration_days
    expect(typeof maxDays).toBe('number')
    const over = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube'), expiration_days: maxDays + 1 } })
    expect(over.statusCode, over.body).toBe(400)
  })
})

describe('kube_configs (error)', () => {
  it('a name of another type is 404 in a kubeconfig family, and is not revoked through it', async () => {
    const { name } = await createToken(t.app, dev)
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/kube_configs/${name}` })).statusCode).toBe(404)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/kube_configs`, payload: { name } })).statusCode).toBe(404)
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json().active).toBe(true)
  })

  it('without KUBE_API_SERVER and KUBE_CA_FILE, create answers 400 naming both', async () => {
    const bare = await buildTestApp()
    try {
      const auth = (await signedIn(bare, 'developer')).auth
      const res = await call(bare.app, auth, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube') } })
      expect(res.statusCode).toBe(400)
      expect(res.json().message).toMatch(/KUBE_API_SERVER.*KUBE_CA_FILE/)
      const viaApi = await call(bare.app, auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('kube'), spec: { type: 'KUBE_CONFIG' } } })
      expect(viaApi.statusCode).toBe(400)
      expect(viaApi.json().message).toMatch(/KUBE_API_SERVER/)
    } finally {
      await bare.close()
    }
  })
})
