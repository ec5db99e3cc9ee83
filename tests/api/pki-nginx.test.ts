// Debian's nginx terminates TLS with ssl_verify_client against the tenant CA
// and ssl_crl, forwarding the verified certificate to Token Console (TRUST_PROXY). A live
// certificate passes; once revoked, the app refuses it at once and nginx itself after the CRL reload.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type net from 'node:net'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'
import { freePort } from '../support/net.js'
import { startNginx, type Nginx } from '../support/nginx.js'
import { curlP12, run, serverCertificate } from './pki-support.js'

let t: TestApp
let dev: Auth
let devEmail: string
let nginx: Nginx | undefined
let dir: string
let gateway = ''
let serverCa = ''

const writeCrl = async () => fs.writeFileSync(path.join(dir, 'crl.pem'), (await t.app.inject({ method: 'GET', url: '/api/pki/crl.pem' })).body)

beforeAll(async () => {
  t = await buildTestApp({ trustProxy: '127.0.0.1' })
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const appPort = (t.app.server.address() as net.AddressInfo).port
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-pki-nginx-'))
  const tls = await serverCertificate(dir)
  serverCa = tls.certFile
  fs.writeFileSync(path.join(dir, 'ca.pem'), (await t.app.inject({ method: 'GET', url: '/api/pki/ca.pem' })).body)
  await writeCrl()
  const port = await freePort()
  nginx = await startNginx(dir, port, `
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${tls.certFile};
    ssl_certificate_key ${tls.keyFile};
    ssl_verify_client on;
    ssl_client_certificate ${dir}/ca.pem;
    ssl_crl ${dir}/crl.pem;
    location / {
      proxy_pass http://127.0.0.1:${appPort};
      proxy_set_header X-Client-Cert $ssl_client_escaped_cert;
      proxy_set_header X-Client-Verify $ssl_client_verify;
    }
  }`)
  gateway = `https://127.0.0.1:${port}`
}, 60_000)

afterAll(async () => {
  await nginx?.stop()
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('nginx with ssl_verify_client and ssl_crl in front of Token Console', () => {
  it('passes a live certificate; refuses it once revoked (the app at once, nginx after the CRL reload)', async () => {
    const name = tokenName('cert')
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name, expiration_days: 2, spec: { type: 'API_CERTIFICATE', password: 'gw-pass' } } })
    expect(res.statusCode, res.body).toBe(200)
    const p12 = path.join(dir, 'c.p12')
    fs.writeFileSync(p12, Buffer.from(res.json().data, 'base64'))

    const live = await curlP12(`${gateway}${WHOAMI}`, p12, 'gw-pass', serverCa)
    expect(live.status, live.body).toBe(200)
    expect(JSON.parse(live.body)).toMatchObject({ email: devEmail })

    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })).statusCode).toBe(200)
    // nginx still holds the old CRL: the certificate reaches the app, which refuses it.
    expect((await curlP12(`${gateway}${WHOAMI}`, p12, 'gw-pass', serverCa)).status).toBe(401)

    await writeCrl()
    nginx!.reload()
    let status = 0
    for (let i = 0; i < 50 && status !== 400; i++) {
      await new Promise((r) => setTimeout(r, 100))
      status = (await curlP12(`${gateway}${WHOAMI}`, p12, 'gw-pass', serverCa)).status
    }
    // 400 "The SSL certificate error": nginx refuses the handshake's certificate itself now.
    expect(status).toBe(400)
    expect(fs.readFileSync(path.join(dir, 'error.log'), 'utf8')).toMatch(/certificate revoked/)
  })

  it('with TRUST_PROXY, a forwarded certificate the tenant CA did not sign, or one not marked verified, gets no principal', async () => {
    const other = path.join(dir, 'other')
    fs.mkdirSync(other, { recursive: true })
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(other, 'k.pem'), '-out', path.join(other, 'c.pem'), '-days', '1', '-subj', `/CN=${devEmail}`])
    const forged = encodeURIComponent(fs.readFileSync(path.join(other, 'c.pem'), 'utf8'))
    const direct = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: WHOAMI, headers })
    expect((await direct({ 'x-client-verify': 'SUCCESS', 'x-client-cert': forged })).statusCode).toBe(401)
    expect((await direct({ 'x-client-verify': 'SUCCESS', 'x-client-cert': 'not%20a%20certificate' })).statusCode).toBe(401)
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName('cert'), expiration_days: 2, spec: { type: 'API_CERTIFICATE', password: 'pw' } } })
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(res.json().data, 'base64').toString('binary')), 'pw')
    const certs = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]!.map((b) => forge.pki.certificateToPem(b.cert!))
    const leaf = certs.find((c) => !new crypto.X509Certificate(c).ca)!
    // The live certificate, forwarded as verified, signs in; marked not verified by the proxy, it is ignored.
    expect((await direct({ 'x-client-verify': 'SUCCESS', 'x-client-cert': encodeURIComponent(leaf) })).statusCode).toBe(200)
    expect((await direct({ 'x-client-verify': 'FAILED:certificate revoked', 'x-client-cert': encodeURIComponent(leaf) })).statusCode).toBe(401)
  })

  it('a request without a client certificate is refused by nginx', async () => {
    const { status } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', serverCa, `${gateway}${WHOAMI}`])
      .then((r) => ({ status: Number(r.stdout) }))
    expect(status).toBe(400)
  })
})
