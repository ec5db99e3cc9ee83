// Part 6: forwarded headers against the real server. A forwarded client certificate is believed only
// from a proxy TRUST_PROXY names (the socket's peer), TRUST_PROXY=true does not start, and a client
// choosing its own X-Forwarded-For does not step around the sign-in brake.
import crypto from 'node:crypto'
import fs from 'node:fs'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, request, Session } from './support/http.js'
import { BodyLog, dialect, figure } from './support/run.js'
import { ADMIN_EMAIL, ChildServer } from './support/server.js'

const WHOAMI = '/api/web/custom/namespaces/system/whoami'
const server = new ChildServer('proxy', { TRUST_PROXY: '10.9.9.9' })
const bodies = new BodyLog('proxy')
const figures: string[] = []
let certHeaders: Record<string, string>

beforeAll(async () => {
  await server.start()
  const admin = await Session.login(server.origin)
  const res = await admin.call('POST', `${API}/api_credentials`, {
    name: `proxy-cert-${crypto.randomBytes(3).toString('hex')}`, expiration_days: 5, spec: { type: 'API_CERTIFICATE', password: 'p12-secret' },
  })
  expect(res.status, res.text).toBe(200)
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(res.json<{ data: string }>().data, 'base64').toString('binary')), 'p12-secret')
  const leaf = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]!
    .map((b) => new crypto.X509Certificate(forge.pki.certificateToPem(b.cert!))).find((c) => !c.ca)!
  certHeaders = { 'x-client-verify': 'SUCCESS', 'x-client-cert': encodeURIComponent(leaf.toString()) }
})

afterAll(async () => {
  await server.stop()
  bodies.close()
  figure(`proxy[${dialect()}]: ${figures.join('; ')}`)
})

describe('forwarded headers', () => {
  it('an admin\'s forwarded certificate from a caller that is not the named proxy authenticates nobody', async () => {
    const spoofs: Array<Record<string, string>> = [
      {},
      { 'x-forwarded-for': '10.9.9.9' },
      { 'x-forwarded-for': '10.9.9.9, 127.0.0.1' },
      { 'x-real-ip': '10.9.9.9' },
      { forwarded: 'for=10.9.9.9' },
    ]
    const paths = [WHOAMI, `${API}/api_credentials`, '/api/users', '/api/policy', '/api/audit']
    let tried = 0
    for (const extra of spoofs) {
      for (const path of paths) {
        const res = await request(server.origin, 'GET', path, { headers: { ...certHeaders, ...extra } })
        bodies.add(res.status, res.text)
        tried++
        expect(res.status, `${path} ${JSON.stringify(extra)}`).toBe(401)
        expect(res.text).not.toContain(ADMIN_EMAIL)
      }
    }
    figures.push(`${tried} forwarded-certificate requests from 127.0.0.1 with TRUST_PROXY=10.9.9.9: all 401`)
  })

  it('TRUST_PROXY=true does not start, and says what to set instead', async () => {
    const refused = new ChildServer('proxy-true', { TRUST_PROXY: 'true' })
    await expect(refused.start()).rejects.toThrow(/exited at start/)
    expect(fs.readFileSync(refused.logFile, 'utf8')).toMatch(/TRUST_PROXY=true is refused.*addresses or CIDRs/)
    figures.push('TRUST_PROXY=true: refused at start')
  })

  it('a client rotating X-Forwarded-For still meets the sign-in brake when it is not a named proxy', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 25; i++) {
      const res = await request(server.origin, 'POST', '/api/auth/login', {
        body: { email: ADMIN_EMAIL, password: `wrong-${i}` }, headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
      })
      bodies.add(res.status, res.text)
      statuses.push(res.status)
    }
    const braked = statuses.filter((s) => s === 429).length
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([])
    expect(braked).toBeGreaterThanOrEqual(10)
    figures.push(`25 wrong passwords under rotating X-Forwarded-For: ${braked}×429`)
  })
})
