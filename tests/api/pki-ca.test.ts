// The CA survives restarts (same DATA_DIR, same CA) and can be given by the
// environment (CA_KEY_FILE/CA_CERT_FILE), in which case nothing is written to DATA_DIR.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import forge from 'node-forge'
import { afterAll, describe, expect, it } from 'vitest'
import { issueClientCertificate, loadCa, newKeyPair } from '../../server/pki/ca.js'
import { buildTestApp } from '../support/app.js'
import { API, call, signedIn, tokenName } from '../support/factories.js'
import { run } from './pki-support.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-pki-ca-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('the tenant CA', () => {
  it('is created once: a second start on the same DATA_DIR reads the same key and certificate', () => {
    const data = path.join(dir, 'data')
    const first = loadCa({ dataDir: data, tenant: 'acme' })
    const second = loadCa({ dataDir: data, tenant: 'acme' })
    expect(second.cert.fingerprint256).toBe(first.cert.fingerprint256)
    expect(second.keyPem).toBe(first.keyPem)
    expect(first.cert.subject).toContain('acme')
  })

  it('refuses a key that does not belong to the certificate, and half a configuration', () => {
    const a = loadCa({ dataDir: path.join(dir, 'a'), tenant: 'a' })
    const b = loadCa({ dataDir: path.join(dir, 'b'), tenant: 'b' })
    expect(() => loadCa({ dataDir: dir, tenant: 'x', keyPem: a.keyPem, certPem: b.certPem })).toThrow(/does not belong/)
    expect(() => loadCa({ dataDir: dir, tenant: 'x', keyPem: a.keyPem })).toThrow(/both/)
  })

  it('given by CA_KEY_FILE and CA_CERT_FILE, signs the certificates and the CRL, and writes no CA to DATA_DIR', async () => {
    const key = path.join(dir, 'ext-key.pem')
    const cert = path.join(dir, 'ext-ca.pem')
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=External CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    const t = await buildTestApp({ ca: { keyFile: key, certFile: cert } })
    try {
      const ext = new crypto.X509Certificate(fs.readFileSync(cert))
      expect(new crypto.X509Certificate((await t.app.inject({ method: 'GET', url: '/api/pki/ca.pem' })).body).fingerprint256).toBe(ext.fingerprint256)
      expect(fs.existsSync(path.join(t.dataDir, 'ca-key.pem'))).toBe(false)
      const { auth } = await signedIn(t, 'developer')
      const name = tokenName('cert')
      const res = await call(t.app, auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name, spec: { type: 'API_CERTIFICATE', password: 'pw' } } })
      expect(res.statusCode, res.body).toBe(200)
      await call(t.app, auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
      const crl = path.join(dir, 'ext-crl.pem')
      fs.writeFileSync(crl, (await t.app.inject({ method: 'GET', url: '/api/pki/crl.pem' })).body)
      const out = await run('openssl', ['crl', '-in', crl, '-CAfile', cert, '-noout', '-text'])
      expect(out.stderr + out.stdout).toMatch(/verify OK/)
      expect(out.stdout).toMatch(/Serial Number: [0-9A-F]{32}/)
    } finally {
      await t.close()
    }
  })
})

/** A CA as earlier versions wrote it to DATA_DIR: every subject value a PrintableString, whatever it holds. */
function earlierCa(dataDir: string, tenant: string) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())
  cert.serialNumber = '1a2b3c4d5e6f'
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 86_400_000)
  const subject = [{ name: 'commonName', value: `Token Console CA (${tenant})` }, { name: 'organizationName', value: tenant }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }, { name: 'subjectKeyIdentifier' }])
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), forge.md.sha256.create())
  fs.mkdirSync(dataDir, { recursive: true })
  const certPem = forge.pki.certificateToPem(cert)
  fs.writeFileSync(path.join(dataDir, 'ca-cert.pem'), certPem)
  fs.writeFileSync(path.join(dataDir, 'ca-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 })
  return certPem
}

/**
 * Python's cryptography reads a PEM certificate: its subject and issuer, and their DER. Both Debian's
 * python3 and the python3 on PATH, if another: Debian's cryptography 38 lets a `_` or `@` through a
 * PrintableString, newer ones (as Go) refuse it.
 */
async function pythonReads(file: string) {
  let last: { subject: string; subject_der: string; issuer_der: string } | undefined
  for (const bin of ['/usr/bin/python3', 'python3']) last = await pythonReadsWith(bin, file)
  return last!
}

async function pythonReadsWith(bin: string, file: string) {
  const script = 'import sys, json\nfrom cryptography import x509\nc = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())\n'
    + 'print(json.dumps({"subject": c.subject.rfc4514_string(), "subject_der": c.subject.public_bytes().hex(), "issuer_der": c.issuer.public_bytes().hex()}))'
  try {
    return JSON.parse((await run(bin, ['-c', script, file])).stdout) as { subject: string; subject_der: string; issuer_der: string }
  } catch (err) {
    throw new Error(`${bin} refused ${file}: ${((err as { stderr?: string }).stderr ?? '').trim().split('\n').pop()}`)
  }
}

describe('a CA kept from earlier versions (PrintableString subject)', () => {
  it('with a name PrintableString can hold: kept as it is, and issued certificates name it byte for byte', async () => {
    const data = path.join(dir, 'earlier-ok')
    const pem = earlierCa(data, 'acme-prod')
    const ca = loadCa({ dataDir: data, tenant: 'acme-prod' })
    expect(ca.certPem.replace(/\r/g, '')).toBe(pem.replace(/\r/g, ''))
    const issued = issueClientCertificate(ca, await newKeyPair(), { commonName: 'dev@example.com', organizations: ['developer'] }, Date.now() + 86_400_000)
    fs.writeFileSync(path.join(data, 'leaf.pem'), issued.certPem)
    const leaf = await pythonReads(path.join(data, 'leaf.pem'))
    const caRead = await pythonReads(path.join(data, 'ca-cert.pem'))
    expect(leaf.subject).toBe('O=developer,CN=dev@example.com')
    expect(leaf.issuer_der).toBe(caRead.subject_der)
    const chained = await run('openssl', ['verify', '-CAfile', path.join(data, 'ca-cert.pem'), path.join(data, 'leaf.pem')])
    expect(chained.stdout).toMatch(/OK/)
  })

  it('with a name PrintableString cannot hold (Go and Python refuse it): re-signed with its own key as UTF8String, once, the same on every start', async () => {
    const data = path.join(dir, 'earlier-broken')
    earlierCa(data, 'acme_corp')
    await expect(pythonReads(path.join(data, 'ca-cert.pem'))).rejects.toThrow(/PrintableString|refused/)
    const oldLeafCa = { ...loadCaRaw(data) }
    const oldLeaf = issueClientCertificate(oldLeafCa, await newKeyPair(), { commonName: 'old@example.com', organizations: [] }, Date.now() + 86_400_000)

    const ca = loadCa({ dataDir: data, tenant: 'acme_corp' })
    expect((await pythonReads(path.join(data, 'ca-cert.pem'))).subject).toBe('O=acme_corp,CN=Token Console CA (acme_corp)')
    expect(ca.cert.serialNumber).toBe(oldLeafCa.cert.serialNumber)
    expect(ca.cert.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(data, 'ca-key.pem'))))).toBe(true)
    expect(loadCa({ dataDir: data, tenant: 'acme_corp' }).cert.fingerprint256).toBe(ca.cert.fingerprint256)
    // A certificate signed before still verifies against the re-encoded CA where names compare by content.
    fs.writeFileSync(path.join(data, 'old-leaf.pem'), oldLeaf.certPem)
    expect((await run('openssl', ['verify', '-CAfile', path.join(data, 'ca-cert.pem'), path.join(data, 'old-leaf.pem')])).stdout).toMatch(/OK/)
    const issued = issueClientCertificate(ca, await newKeyPair(), { commonName: 'dev@example.com', organizations: ['developer'] }, Date.now() + 86_400_000)
    fs.writeFileSync(path.join(data, 'leaf.pem'), issued.certPem)
    expect((await pythonReads(path.join(data, 'leaf.pem'))).issuer_der).toBe((await pythonReads(path.join(data, 'ca-cert.pem'))).subject_der)
  })
})

/** The CA files as they are on disk, without loadCa's repair: to sign a certificate the way the earlier CA did. */
function loadCaRaw(dataDir: string) {
  const certPem = fs.readFileSync(path.join(dataDir, 'ca-cert.pem'), 'utf8')
  const keyPem = fs.readFileSync(path.join(dataDir, 'ca-key.pem'), 'utf8')
  return { certPem, keyPem, cert: new crypto.X509Certificate(certPem), key: crypto.createPrivateKey(keyPem) }
}
