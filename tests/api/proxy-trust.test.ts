// Forwarded headers are believed only from the proxies TRUST_PROXY names. A forwarded client
// certificate authenticates its owner, and the certificate is public (only its key is secret, and
// the key was proven to the proxy, not to us), so a caller that is not one of those proxies must not
// be able to send one; neither may anyone under a hop count, which says how many proxies stand in
// front but not which. TRUST_PROXY=true (every hop trusted) is refused at start.
import crypto from 'node:crypto'
import type net from 'node:net'
import forge from 'node-forge'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig, namedProxyPeer, type Config } from '../../server/config.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, signedIn, tokenName, WHOAMI } from '../support/factories.js'

const apps: TestApp[] = []
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
})

/** An app with the given TRUST_PROXY and the PEM of an admin's API certificate, URL-escaped as nginx forwards it. */
async function appWithAdminCertificate(trustProxy: Config['trustProxy']) {
  const t = await buildTestApp({ trustProxy })
  apps.push(t)
  const admin = await signedIn(t, 'admin')
  const res = await call(t.app, admin.auth, {
    method: 'POST', url: `${API}/api_credentials`,
    payload: { name: tokenName('cert'), expiration_days: 10, spec: { type: 'API_CERTIFICATE', password: 'p12-secret' } },
  })
  expect(res.statusCode, res.body).toBe(200)
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(res.json().data, 'base64').toString('binary')), 'p12-secret')
  const pems = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]!.map((b) => forge.pki.certificateToPem(b.cert!))
  const leaf = pems.map((p) => new crypto.X509Certificate(p)).find((c) => !c.ca)!
  return { t, email: admin.user.email, headers: { 'x-client-verify': 'SUCCESS', 'x-client-cert': encodeURIComponent(leaf.toString()) } }
}

describe('forwarded client certificates', () => {
  it('are ignored from a peer that is not a named proxy (401), and honoured from one', async () => {
    const { t, email, headers } = await appWithAdminCertificate('10.9.9.9')
    // The probe's reproduction: the proxy is 10.9.9.9, the request comes from 127.0.0.1.
    const direct = await t.app.inject({ method: 'GET', url: WHOAMI, headers, remoteAddress: '127.0.0.1' })
    expect(direct.statusCode).toBe(401)
    expect(direct.body).not.toContain(email)
    // A forwarded address naming the proxy changes nothing: only the socket's peer counts.
    const spoofed = await t.app.inject({ method: 'GET', url: WHOAMI, headers: { ...headers, 'x-forwarded-for': '10.9.9.9' }, remoteAddress: '127.0.0.1' })
    expect(spoofed.statusCode).toBe(401)
    // Positive control: the same headers from the named proxy authenticate the certificate's owner.
    const viaProxy = await t.app.inject({ method: 'GET', url: WHOAMI, headers, remoteAddress: '10.9.9.9' })
    expect(viaProxy.statusCode, viaProxy.body).toBe(200)
    expect(viaProxy.json().email).toBe(email)
  })

  it('are ignored over a real socket from loopback when only another proxy is named', async () => {
    const { t, headers } = await appWithAdminCertificate('10.9.9.9, 192.168.0.0/16')
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(t.app.server.address() as net.AddressInfo).port}`
    const res = await fetch(`${base}${WHOAMI}`, { headers })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate') ?? '').not.toContain('error="insufficient_scope"')
  })

  it('are honoured over a real socket when its peer is a named proxy (CIDR)', async () => {
    const { t, email, headers } = await appWithAdminCertificate('127.0.0.0/8')
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(t.app.server.address() as net.AddressInfo).port}`
    const res = await fetch(`${base}${WHOAMI}`, { headers })
    expect(res.status).toBe(200)
    expect((await res.json()).email).toBe(email)
  })

  it('are ignored under a hop count, even from the first hop', async () => {
    const { t, headers } = await appWithAdminCertificate(loadConfig({ TRUST_PROXY: '1' }).trustProxy)
    for (const remoteAddress of ['127.0.0.1', '10.9.9.9']) {
      const res = await t.app.inject({ method: 'GET', url: WHOAMI, headers, remoteAddress })
      expect(res.statusCode).toBe(401)
    }
    // The hop count still gives the client's address for logs and limits.
    const ip = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-for': '203.0.113.7' } })
    expect(ip.statusCode).toBe(200)
  })
})

describe('TRUST_PROXY', () => {
  it('refuses true at start, naming the alternatives', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY=true is refused.*addresses or CIDRs.*TRUST_PROXY=1/)
  })

  it('takes a hop count, a list of addresses and CIDRs, or the named ranges; refuses anything else', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    const hops = loadConfig({ TRUST_PROXY: '2' }).trustProxy
    expect(typeof hops).toBe('function')
    expect((hops as (a: string, i: number) => boolean)('10.0.0.1', 1)).toBe(true)
    expect((hops as (a: string, i: number) => boolean)('10.0.0.1', 2)).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5,10.1.0.0/16' }).trustProxy).toBe('10.0.0.5,10.1.0.0/16')
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback')
    for (const bad of ['yes', '10.0.0.256', '10.0.0.0/33']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY must be a hop count or a comma list/)
    }
  })

  it('names proxies only by address: hop counts and unset name none', () => {
    expect(namedProxyPeer(false)('127.0.0.1')).toBe(false)
    expect(namedProxyPeer(loadConfig({ TRUST_PROXY: '3' }).trustProxy)('127.0.0.1')).toBe(false)
    const named = namedProxyPeer('10.9.9.9, 192.168.0.0/16')
    expect(named('10.9.9.9')).toBe(true)
    expect(named('192.168.4.2')).toBe(true)
    expect(named('::ffff:10.9.9.9')).toBe(true)
    expect(named('127.0.0.1')).toBe(false)
    expect(named(undefined)).toBe(false)
  })
})
