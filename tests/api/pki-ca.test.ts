// Issue 12 deliverable 1: the CA survives restarts (same DATA_DIR, same CA) and can be given by the
// environment (CA_KEY_FILE/CA_CERT_FILE), in which case nothing is written to DATA_DIR.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadCa } from '../../server/pki/ca.js'
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
    process.env.CA_KEY_FILE = key
    process.env.CA_CERT_FILE = cert
    const t = await buildTestApp()
    delete process.env.CA_KEY_FILE
    delete process.env.CA_CERT_FILE
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
