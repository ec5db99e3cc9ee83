// A real gateway: Debian's nginx on 127.0.0.1 in front of a small upstream, with auth_request pointed
// at /api/verify. Valid tokens pass; revoked, expired and missing ones are refused with 401.
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, expire, signedIn, type Auth } from '../support/factories.js'
import { freePort } from '../support/net.js'
import { startNginx, type Nginx } from '../support/nginx.js'

let t: TestApp
let admin: Auth
let nginx: Nginx | undefined
let upstream: http.Server
let dir: string
let gateway = ''

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const appPort = (t.app.server.address() as net.AddressInfo).port
  upstream = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ upstream: 'ok', token_name: req.headers['x-token-name'] ?? null, owner: req.headers['x-token-owner'] ?? null }))
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  const upstreamPort = (upstream.address() as net.AddressInfo).port
  const port = await freePort()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-nginx-'))
  nginx = await startNginx(dir, port, `
  server {
    listen 127.0.0.1:${port};
    location / {
      auth_request /_verify;
      auth_request_set $token_name $upstream_http_x_token_name;
      auth_request_set $token_owner $upstream_http_x_token_owner;
      proxy_set_header X-Token-Name $token_name;
      proxy_set_header X-Token-Owner $token_owner;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location = /_verify {
      internal;
      proxy_pass http://127.0.0.1:${appPort}/api/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Authorization $http_authorization;
    }
  }`)
  gateway = `http://127.0.0.1:${port}`
}, 60_000)

afterAll(async () => {
  await nginx?.stop()
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()))
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const through = (token?: string, scheme = 'APIToken') => fetch(`${gateway}/orders`, { headers: token ? { authorization: `${scheme} ${token}` } : {} })

describe('nginx auth_request in front of a real service', () => {
  it('passes a valid token to the upstream with its name', async () => {
    const { name, token } = await createToken(t.app, admin)
    for (const scheme of ['APIToken', 'Bearer']) {
      const res = await through(token, scheme)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ upstream: 'ok', token_name: name })
    }
  })

  it('refuses a revoked token with 401, from the moment the revoke returns', async () => {
    const { name, token } = await createToken(t.app, admin)
    expect((await through(token)).status).toBe(200)
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
    const res = await through(token)
    expect(res.status).toBe(401)
    expect(await res.text()).not.toContain('upstream')
  })

  it('refuses an expired token, a typo and no token with 401', async () => {
    const { name, token } = await createToken(t.app, admin)
    await expire(t, name)
    expect((await through(token)).status).toBe(401)
    expect((await through(token.slice(0, -1) + 'x')).status).toBe(401)
    expect((await through()).status).toBe(401)
  })

  it('counts the gateway checks as uses of the token', async () => {
    const { name, token } = await createToken(t.app, admin)
    for (let i = 0; i < 3; i++) await through(token)
    const usage = (await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials/${name}/usage` })).json()
    expect(usage.total_uses_90d).toBe(3)
  })
})
