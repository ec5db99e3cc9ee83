// Real nginx running examples/nginx-required-scope.conf: two locations require different catalog
// permissions through X-Required-Scope. A token holding one reaches that location's upstream and is
// refused 403 at the other, with the challenge naming the permission it lacks.
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createToken, signedIn, type Auth } from '../support/factories.js'
import { freePort } from '../support/net.js'
import { startNginx, type Nginx } from '../support/nginx.js'

let t: TestApp
let admin: Auth
let nginx: Nginx | undefined
let upstream: http.Server
let dir: string
let gateway = ''
const reached: string[] = []

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  for (const name of ['billing:invoices:read', 'billing:refunds:create']) {
    const res = await call(t.app, admin, { method: 'POST', url: '/api/permissions', payload: { name, description: name } })
    expect(res.statusCode, res.body).toBe(201)
  }
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const appPort = (t.app.server.address() as net.AddressInfo).port
  upstream = http.createServer((req, res) => {
    reached.push(req.url ?? '')
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ upstream: 'ok', token_name: req.headers['x-token-name'] ?? null }))
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  const upstreamPort = (upstream.address() as net.AddressInfo).port
  const port = await freePort()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-nginx-scope-'))
  // The example as published, with this run's ports.
  const example = fs.readFileSync(new URL('../../examples/nginx-required-scope.conf', import.meta.url), 'utf8')
    .replaceAll('127.0.0.1:8443', `127.0.0.1:${port}`).replaceAll('127.0.0.1:8080', `127.0.0.1:${appPort}`).replaceAll('127.0.0.1:9000', `127.0.0.1:${upstreamPort}`)
  nginx = await startNginx(dir, port, example)
  gateway = `http://127.0.0.1:${port}`
}, 60_000)

afterAll(async () => {
  await nginx?.stop()
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()))
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const through = (p: string, token?: string) => fetch(`${gateway}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

describe('nginx with X-Required-Scope per location', () => {
  it('a token with billing:invoices:read reaches /invoices/ and is refused 403 at /refunds/, naming billing:refunds:create', async () => {
    const { name, token } = await createToken(t.app, admin, { scope: 'custom', permissions: ['billing:invoices:read'] })
    reached.length = 0
    const ok = await through('/invoices/42', token)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ upstream: 'ok', token_name: name })
    const refused = await through('/refunds/42', token)
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="token-console", error="insufficient_scope", scope="billing:refunds:create"')
    expect(reached).toEqual(['/invoices/42'])
  })

  it('a token with both passes both; no token is 401 at either, and the upstream never sees them', async () => {
    const { token } = await createToken(t.app, admin, { scope: 'custom', permissions: ['billing:invoices:read', 'billing:refunds:create'] })
    reached.length = 0
    expect((await through('/invoices/1', token)).status).toBe(200)
    expect((await through('/refunds/1', token)).status).toBe(200)
    expect((await through('/invoices/1')).status).toBe(401)
    expect((await through('/refunds/1')).status).toBe(401)
    expect(reached).toEqual(['/invoices/1', '/refunds/1'])
  })
})
