// The tenant CA, its CRL, and API certificates (P12) that authenticate
// to this server over TLS with curl, and stop working the moment they are revoked.
import crypto from 'node:crypto'
import fs from 'node:fs'
import type https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listenTls } from '../../server/pki/tls.js'
import { API_CERTIFICATE_TYPES } from '../../server/pki/service.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'
import { curlP12, run, serverCertificate } from './pki-support.js'

let t: TestApp
let admin: Auth
let dev: Auth
let devEmail: string
let dir: string
let server: https.Server
let base: string
let tlsCa: string

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-pki-'))
  const tls = await serverCertificate(dir)
  tlsCa = tls.certFile
  server = await listenTls(t.app, tls, '127.0.0.1', 0)
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`
}, 60_000)

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

async function createCertificate(auth: Auth, password = 'p12-secret', extra: Record<string, unknown> = {}) {
  const name = tokenName('cert')
  const res = await call(t.app, auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name, expiration_days: 10, spec: { type: 'API_CERTIFICATE', password }, ...extra } })
  expect(res.statusCode, res.body).toBe(200)
  const file = path.join(dir, `${name}.p12`)
  fs.writeFileSync(file, Buffer.from(res.json().data, 'base64'))
  return { name, file, body: res.json() }
}

function openP12(data: string, password: string) {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(data, 'base64').toString('binary')), password)
  const certs = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]!.map((b) => b.cert!)
  const keys = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag]!
  return { certs: certs.map((c) => new crypto.X509Certificate(forge.pki.certificateToPem(c))), keyCount: keys.length }
}

const caPem = async () => (await t.app.inject({ method: 'GET', url: '/api/pki/ca.pem' })).body
const crlText = async () => {
  const file = path.join(dir, `crl-${crypto.randomUUID()}.pem`)
  fs.writeFileSync(file, (await t.app.inject({ method: 'GET', url: '/api/pki/crl.pem' })).body)
  const caFile = path.join(dir, 'ca.pem')
  fs.writeFileSync(caFile, await caPem())
  // -CAfile makes openssl check the CRL's signature against the tenant CA.
  const { stdout, stderr } = await run('openssl', ['crl', '-in', file, '-CAfile', caFile, '-noout', '-text'])
  return stdout + stderr
}

describe('the tenant CA (happy)', () => {
  it('is created at first start in DATA_DIR (key 0600), served anonymously, and never stored in the database', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/pki/ca.pem' })
    expect(res.statusCode).toBe(200)
    const ca = new crypto.X509Certificate(res.body)
    expect(ca.ca).toBe(true)
    expect(ca.fingerprint256).toBe(new crypto.X509Certificate(fs.readFileSync(path.join(t.dataDir, 'ca-cert.pem'))).fingerprint256)
    expect(fs.statSync(path.join(t.dataDir, 'ca-key.pem')).mode & 0o777).toBe(0o600)
    const key = fs.readFileSync(path.join(t.dataDir, 'ca-key.pem'), 'utf8')
    expect(ca.checkPrivateKey(crypto.createPrivateKey(key))).toBe(true)
  })

  it('serves a CRL signed by the CA, anonymously', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/pki/crl.pem' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(/^-----BEGIN X509 CRL-----/)
    expect(await crlText()).toMatch(/verify OK/)
  })
})

describe('API_CERTIFICATE (happy)', () => {
  it('returns a P12 protected by the password, with a certificate of the CA for the owner, once', async () => {
    const { name, body } = await createCertificate(dev)
    expect(body).toMatchObject({ active: true, name })
    const { certs, keyCount } = openP12(body.data, 'p12-secret')
    expect(keyCount).toBe(1)
    const ca = new crypto.X509Certificate(await caPem())
    const leaf = certs.find((c) => !c.ca)!
    expect(leaf.verify(ca.publicKey)).toBe(true)
    expect(leaf.subject).toContain(`CN=${devEmail}`)
    expect(Math.abs(Date.parse(leaf.validTo) - Date.parse(body.expiration_timestamp))).toBeLessThan(2000)
    expect(() => openP12(body.data, 'wrong-password')).toThrow()
    // Stored: serial, fingerprint, subject, not-after; no key, no bundle, no password.
    const rows = await t.services.db.db.selectFrom('certificates' as never).selectAll().execute() as Record<string, unknown>[]
    const row = rows.find((r) => r.serial === leaf.serialNumber.toLowerCase())!
    expect(row).toMatchObject({ subject: expect.stringContaining(devEmail), fingerprint: crypto.createHash('sha256').update(leaf.raw).digest('hex') })
    expect(JSON.stringify(rows)).not.toMatch(/PRIVATE KEY|p12-secret/)
    const got = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json()
    expect(got).toMatchObject({ name, type: 'API_CERTIFICATE', active: true })
    expect(JSON.stringify(got)).not.toContain(body.data.slice(0, 40))
    const audit = await t.services.db.db.selectFrom('audit_events').selectAll().where('target_name', '=', name).execute()
    expect(JSON.stringify(audit)).not.toContain('p12-secret')
  })

  it('authenticates with curl over TLS, and is refused with 401 from the moment it is revoked; the CRL lists it', async () => {
    const { name, file } = await createCertificate(dev)
    const ok = await curlP12(`${base}${WHOAMI}`, file, 'p12-secret', tlsCa)
    expect(ok.status, ok.body).toBe(200)
    expect(JSON.parse(ok.body)).toMatchObject({ email: devEmail })
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })).statusCode).toBe(200)
    expect((await curlP12(`${base}${WHOAMI}`, file, 'p12-secret', tlsCa)).status).toBe(401)
    const serial = openP12(fs.readFileSync(file).toString('base64'), 'p12-secret').certs.find((c) => !c.ca)!.serialNumber
    expect(await crlText()).toContain(`Serial Number: ${serial.toUpperCase()}`)
  })

  it('a certificate is checked on the token check\'s path: cached, forgotten at revoke, refusals counted per source', async () => {
    const { name, body } = await createCertificate(dev)
    const leaf = openP12(body.data, 'p12-secret').certs.find((c) => !c.ca)!
    const hash = t.app.pki.hashOf(crypto.createHash('sha256').update(leaf.raw).digest('hex'))
    const ctx = { ip: '198.51.100.7', userAgent: 'cert-client/1.0' }
    const check = () => t.services.identity.checkCertificate(hash, ctx, API_CERTIFICATE_TYPES)
    expect(await check()).toMatchObject({ ok: true, principal: { token: { name, type: 'API_CERTIFICATE' } } })
    expect(t.services.checkCache.get(hash)).toBeDefined()
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })).statusCode).toBe(200)
    expect(t.services.checkCache.get(hash)).toBeUndefined()
    expect(await check()).toMatchObject({ ok: false, reason: 'revoked' })
    expect(await check()).toMatchObject({ ok: false, reason: 'revoked' })
    await t.services.failedChecks.flush()
    const denied = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'credential.use_denied').where('target_name', '=', name).execute()
    expect(denied).toHaveLength(1)
    expect(denied[0]).toMatchObject({ source_ip: '198.51.100.7', user_agent: 'cert-client/1.0' })
    expect(JSON.parse(denied[0].details)).toMatchObject({ reason: 'revoked', count: 2, prefix: 'x509' })
  })

  it('SERVICE_API_CERTIFICATE authenticates as its service account', async () => {
    const name = tokenName('svc-cert')
    const res = await call(t.app, admin, { method: 'POST', url: `${API}/service_credentials`, payload: {
      name, type: 'SERVICE_API_CERTIFICATE', password: 'svc-secret', expiration_days: 5, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }],
    } })
    expect(res.statusCode, res.body).toBe(200)
    const file = path.join(dir, `${name}.p12`)
    fs.writeFileSync(file, Buffer.from(res.json().data, 'base64'))
    const who = await curlP12(`${base}${WHOAMI}`, file, 'svc-secret', tlsCa)
    expect(who.status, who.body).toBe(200)
    expect(JSON.parse(who.body).email).toMatch(/@serviceaccounts\./)
    const list = (await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials?q=${name}&sort=name` })).json()
    expect(list.items.map((i: { type: string }) => i.type)).toEqual(['SERVICE_API_CERTIFICATE'])
  })

  it('renew shortens it like a token, and refuses to extend past the validity signed into it', async () => {
    const { name, body } = await createCertificate(dev)
    const renew = (days: number) => call(t.app, dev, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name, expiration_days: days } })
    const longer = await renew(30)
    expect(longer.statusCode).toBe(400)
    expect(longer.json().message).toContain(body.expiration_timestamp.slice(0, 16))
    expect(longer.json().details[0].field).toBe('expiration_days')
    expect((await renew(3)).statusCode).toBe(200)
    const list = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials` })).json()
    const item = list.items.find((i: { name: string }) => i.name === name)
    expect(item).toMatchObject({ type: 'API_CERTIFICATE' })
    expect((Date.parse(item.expiry_timestamp) - Date.now()) / 86_400_000).toBeCloseTo(3, 1)
  })

  it('the CRL lists a certificate while its owner is disabled, and no longer once the owner is enabled', async () => {
    const owner = await signedIn(t, 'developer')
    const { body } = await createCertificate(owner.auth)
    const serial = openP12(body.data, 'p12-secret').certs.find((c) => !c.ca)!.serialNumber.toUpperCase()
    expect(await crlText()).not.toContain(`Serial Number: ${serial}`)
    const patch = (disabled: boolean) => call(t.app, admin, { method: 'PATCH', url: `/api/users/${owner.user.id}`, payload: { disabled } })
    expect((await patch(true)).statusCode).toBe(200)
    expect(await crlText()).toContain(`Serial Number: ${serial}`)
    expect((await patch(false)).statusCode).toBe(200)
    expect(await crlText()).not.toContain(`Serial Number: ${serial}`)
  })
})

describe('API_CERTIFICATE (error and security)', () => {
  it('needs a password, and never authenticates as a token', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('cert'), spec: { type: 'API_CERTIFICATE' } } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/password/)
    const { body } = await createCertificate(dev)
    expect((await call(t.app, { token: body.data }, { method: 'GET', url: WHOAMI })).statusCode).toBe(401)
  })

  it('a certificate of another CA gets no principal over TLS', async () => {
    const other = path.join(dir, 'other')
    fs.mkdirSync(other)
    const key = path.join(other, 'k.pem')
    const crt = path.join(other, 'c.pem')
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', `/CN=${devEmail}`])
    const p12 = path.join(other, 'c.p12')
    await run('openssl', ['pkcs12', '-export', '-in', crt, '-inkey', key, '-out', p12, '-passout', 'pass:x'])
    expect((await curlP12(`${base}${WHOAMI}`, p12, 'x', tlsCa)).status).toBe(401)
  })

  it('a forwarded certificate header is ignored without TRUST_PROXY', async () => {
    const { body } = await createCertificate(dev)
    const leaf = openP12(body.data, 'p12-secret').certs.find((c) => !c.ca)!
    const res = await t.app.inject({ method: 'GET', url: WHOAMI, headers: { 'x-client-verify': 'SUCCESS', 'x-client-cert': encodeURIComponent(leaf.toString()) } })
    expect(res.statusCode).toBe(401)
  })
})
