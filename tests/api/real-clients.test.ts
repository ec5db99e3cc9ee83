// Real clients, unmodified: the certificates this API issues are judged by the strictest consumers a
// tenant uses, not by the library that made them. Go, through Debian's kubectl (the same crypto/x509 as
// kube-apiserver and F5 XC's Go tools), loads an issued kubeconfig as it is and calls a TLS server
// that requires a client certificate of the tenant CA; Python's cryptography opens the P12 with its
// password and reads the subjects. Both refuse a certificate whose subject has a PrintableString
// that is not one (an email's `@`), which is why subjects are UTF8String.
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import { promisify } from 'node:util'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, type Auth } from '../support/factories.js'
import { buildKubeTestApp, clusterCertificates } from './pki-support.js'

const exec = promisify(execFile)

/** The first executable of this name on PATH, as a shell would find it. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      if (fs.statSync(file).isFile()) return file
    } catch { /* not here */ }
  }
  return undefined
}

/**
 * Debian's python3 (with Debian's python3-cryptography), and the python3 on PATH when that is another
 * interpreter (a pyenv one carries a newer cryptography): each must read what the API issued.
 */
function pythons(): string[] {
  const found = ['/usr/bin/python3', onPath('python3')].filter((p): p is string => Boolean(p) && fs.existsSync(p!))
  const seen = new Map<string, string>()
  for (const p of found) {
    // A pyenv shim resolves to its own script, not to /usr/bin/python3: different interpreters stay apart.
    const real = fs.realpathSync(p)
    if (!seen.has(real)) seen.set(real, p)
  }
  return [...seen.values()]
}

const READ_CERTIFICATES = `
import json, sys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
kind, file = sys.argv[1], sys.argv[2]
data = open(file, 'rb').read()
if kind == 'p12':
    key, cert, extra = pkcs12.load_key_and_certificates(data, sys.argv[3].encode())
    certs = [cert] + list(extra)
    has_key = key is not None
else:
    certs = x509.load_pem_x509_certificates(data) if hasattr(x509, 'load_pem_x509_certificates') else [x509.load_pem_x509_certificate(data)]
    has_key = False
print(json.dumps({
    'key': has_key,
    'certs': [{'subject': c.subject.rfc4514_string(), 'issuer': c.issuer.rfc4514_string(),
               'issuer_der': c.issuer.public_bytes().hex(), 'subject_der': c.subject.public_bytes().hex()} for c in certs],
}))
`

interface PyCert { subject: string; issuer: string; issuer_der: string; subject_der: string }

async function python(bin: string, args: string[]): Promise<{ key: boolean; certs: PyCert[] }> {
  try {
    const { stdout } = await exec(bin, ['-c', READ_CERTIFICATES, ...args])
    return JSON.parse(stdout) as { key: boolean; certs: PyCert[] }
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${bin} refused the certificate: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`)
  }
}

/** The string types of every Name value in a certificate, from openssl's own ASN.1 dump. */
async function nameStringTypes(pemFile: string) {
  const { stdout } = await exec('openssl', ['asn1parse', '-in', pemFile])
  return [...stdout.matchAll(/prim:\s*(PRINTABLESTRING|UTF8STRING|IA5STRING|T61STRING|BMPSTRING|TELETEXSTRING)\s*:(.*)$/gm)].map((m) => ({ type: m[1]!, value: m[2]! }))
}

let t: TestApp
let dev: Auth
let devEmail: string
let dir: string
let server: https.Server
let serverUrl: string
let clusterCa: string
/** Common names of the client certificates the test cluster accepted. */
const seen: string[] = []
let tenantCaPem: string
const kubectl = onPath('kubectl')

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-real-clients-'))
  const cluster = await clusterCertificates(dir)
  clusterCa = cluster.caFile
  // A stand-in for kube-apiserver started with --client-ca-file = /api/pki/ca.pem: TLS refuses any
  // client without a certificate of the tenant CA, before a request is read. It listens first (the
  // kubeconfigs name its port) and learns the tenant CA once the app has made it.
  server = https.createServer({ cert: cluster.cert, key: cluster.key, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate()
    seen.push(String(peer.subject?.CN ?? ''))
    if (req.url !== '/version') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Failure","code":404}')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: '0000000', gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64',
    }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  serverUrl = `https://127.0.0.1:${port}`
  t = (await buildKubeTestApp(dir, serverUrl, clusterCa)).app
  tenantCaPem = (await t.app.inject({ method: 'GET', url: '/api/pki/ca.pem' })).body
  server.setSecureContext({ cert: cluster.cert, key: cluster.key, ca: [tenantCaPem] })
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
}, 60_000)

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

async function kubectlVersion(kubeconfig: string) {
  expect(kubectl, 'no kubectl on PATH: install Debian\'s kubernetes-client (apt-get install kubernetes-client)').toBeDefined()
  try {
    // HOME in the test folder: kubectl keeps its discovery cache there, not in the real home.
    const { stdout } = await exec(kubectl!, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'], { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, timeout: 20_000 })
    return stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`kubectl failed: ${(e.stderr ?? e.message).trim()}`)
  }
}

describe('Go: kubectl with an issued kubeconfig, as issued', () => {
  it('kube_configs: kubectl loads it, the cluster accepts its client certificate, and `get --raw /version` answers', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube'), vk8s_namespace: 'shop' } })
    expect(res.statusCode, res.body).toBe(200)
    const file = path.join(dir, 'kubeconfig-user.yaml')
    fs.writeFileSync(file, Buffer.from(res.json().data, 'base64'))
    const before = seen.length
    const version = JSON.parse(await kubectlVersion(file))
    expect(version).toMatchObject({ major: '1', gitVersion: 'v1.32.0' })
    expect(seen.slice(before)).toContain(devEmail)
  })

  it('service_kube_configs and site_global_kube_configs: the same, with the service account as the user', async () => {
    const admin = (await signedIn(t, 'admin')).auth
    for (const family of ['service_kube_configs', 'site_global_kube_configs']) {
      const res = await call(t.app, admin, { method: 'POST', url: `${API}/${family}`, payload: { name: tokenName('skube'), namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }], user_group_names: ['sre'] } })
      expect(res.statusCode, res.body).toBe(200)
      const file = path.join(dir, `kubeconfig-${family}.yaml`)
      fs.writeFileSync(file, Buffer.from(res.json().data, 'base64'))
      const before = seen.length
      expect(JSON.parse(await kubectlVersion(file)).gitVersion).toBe('v1.32.0')
      expect(seen.slice(before).some((cn) => /@serviceaccounts\./.test(cn)), seen.join(' ')).toBe(true)
    }
  })

  it('refuses a certificate of another CA: the stand-in cluster really checks', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube') } })
    const yaml = Buffer.from(res.json().data, 'base64').toString('utf8')
    // The same kubeconfig with the cluster's server certificate as the client one: not of the tenant CA.
    const foreign = yaml
      .replace(/client-certificate-data: .*/, `client-certificate-data: ${Buffer.from(fs.readFileSync(path.join(dir, 'apiserver.pem'))).toString('base64')}`)
      .replace(/client-key-data: .*/, `client-key-data: ${Buffer.from(fs.readFileSync(path.join(dir, 'apiserver-key.pem'))).toString('base64')}`)
    const file = path.join(dir, 'kubeconfig-foreign.yaml')
    fs.writeFileSync(file, foreign)
    await expect(kubectlVersion(file)).rejects.toThrow(/kubectl failed/)
  })
})

describe('Python: cryptography reads the P12, the CA and the kubeconfig certificate', () => {
  it('has Debian\'s python3 with cryptography', async () => {
    expect(fs.existsSync('/usr/bin/python3'), 'no /usr/bin/python3: install Debian\'s python3-cryptography').toBe(true)
    await expect(exec('/usr/bin/python3', ['-c', 'import cryptography'])).resolves.toBeDefined()
  })

  it('opens an API certificate\'s P12 with its password: the subject is the owner and the tenant, the issuer the tenant CA', async () => {
    const password = 'correct horse battery'
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('cert'), spec: { type: 'API_CERTIFICATE', password } } })
    expect(res.statusCode, res.body).toBe(200)
    const p12 = path.join(dir, 'me.p12')
    fs.writeFileSync(p12, Buffer.from(res.json().data, 'base64'))
    const caFile = path.join(dir, 'tenant-ca.pem')
    fs.writeFileSync(caFile, tenantCaPem)
    const tenant = t.services.config.tenant
    for (const bin of pythons()) {
      const bundle = await python(bin, ['p12', p12, password])
      expect(bundle.key, bin).toBe(true)
      const [leaf, ca] = bundle.certs
      // RFC 4514 writes the last RDN first.
      expect(leaf!.subject, bin).toBe(`O=${tenant},CN=${devEmail}`)
      const caRead = (await python(bin, ['pem', caFile])).certs[0]!
      expect(caRead.subject, bin).toBe(`O=${tenant},CN=Token Console CA (${tenant})`)
      expect(ca!.subject, bin).toBe(caRead.subject)
      // The issuer Name is the CA's subject byte for byte: Go builds chains by that comparison.
      expect(leaf!.issuer_der, bin).toBe(caRead.subject_der)
    }
  })

  it('reads a kubeconfig\'s client certificate: CN = the owner, O = the role', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube') } })
    const yaml = Buffer.from(res.json().data, 'base64').toString('utf8')
    const pem = Buffer.from(yaml.match(/client-certificate-data: (\S+)/)![1]!, 'base64')
    const file = path.join(dir, 'kube-client.pem')
    fs.writeFileSync(file, pem)
    for (const bin of pythons()) {
      const read = await python(bin, ['pem', file])
      expect(read.certs[0]!.subject, bin).toBe(`O=developer,CN=${devEmail}`)
    }
  })
})

describe('openssl asn1parse: no PrintableString in what the tenant CA signs', () => {
  it('the CA and every issued certificate name everything in UTF8String', async () => {
    const files: string[] = []
    const caFile = path.join(dir, 'ca-asn1.pem')
    fs.writeFileSync(caFile, tenantCaPem)
    files.push(caFile)
    const kube = await call(t.app, dev, { method: 'POST', url: `${API}/kube_configs`, payload: { name: tokenName('kube') } })
    const kubePem = path.join(dir, 'kube-asn1.pem')
    fs.writeFileSync(kubePem, Buffer.from(Buffer.from(kube.json().data, 'base64').toString('utf8').match(/client-certificate-data: (\S+)/)![1]!, 'base64'))
    files.push(kubePem)
    const cert = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('cert'), spec: { type: 'API_CERTIFICATE', password: 'pw' } } })
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(cert.json().data, 'base64').toString('binary')), 'pw')
    const leaf = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]![0]!.cert!
    const leafPem = path.join(dir, 'p12-asn1.pem')
    fs.writeFileSync(leafPem, forge.pki.certificateToPem(leaf))
    files.push(leafPem)
    for (const f of files) {
      const types = await nameStringTypes(f)
      expect(types.length, f).toBeGreaterThan(0)
      expect(types.filter((x) => x.type !== 'UTF8STRING'), f).toEqual([])
    }
    expect((await nameStringTypes(kubePem)).map((x) => x.value)).toContain(devEmail)
  })

  it('the CRL names its issuer exactly as the CA certificate names itself', async () => {
    const crlFile = path.join(dir, 'crl.pem')
    fs.writeFileSync(crlFile, (await t.app.inject({ method: 'GET', url: '/api/pki/crl.pem' })).body)
    const caFile = path.join(dir, 'ca-crl.pem')
    fs.writeFileSync(caFile, tenantCaPem)
    const out = await exec('openssl', ['crl', '-in', crlFile, '-CAfile', caFile, '-noout'])
    expect(out.stderr + out.stdout).toMatch(/verify OK/)
    const crlDer = Buffer.from((await exec('openssl', ['crl', '-in', crlFile, '-outform', 'DER'], { encoding: 'buffer' })).stdout)
    const issuer = (forge.asn1.fromDer(crlDer.toString('binary')).value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[]
    const caTbs = (forge.asn1.fromDer(new crypto.X509Certificate(tenantCaPem).raw.toString('binary')).value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[]
    expect(forge.asn1.toDer(issuer[2]!).toHex()).toBe(forge.asn1.toDer(caTbs[5]!).toHex())
  })
})
