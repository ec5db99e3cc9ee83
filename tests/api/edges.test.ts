// The edges of the HTTP surface: which paths get the console page and which a 404, and the
// WWW-Authenticate challenge RFC 9110 section 15.5.2 requires on every 401.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_ROUTES } from '../../server/plugins/static.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { createUser } from '../support/factories.js'

let t: TestApp
let consoleDir: string
beforeAll(async () => {
  // A built console: its page, a hashed asset and a file of the public folder.
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-console-'))
  fs.mkdirSync(path.join(consoleDir, 'assets'))
  fs.writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><html><head><title>Token Console</title></head><body></body></html>')
  fs.writeFileSync(path.join(consoleDir, 'assets', 'index-abc123.js'), 'console.log(1)')
  fs.writeFileSync(path.join(consoleDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  t = await buildTestApp({ staticDir: consoleDir })
})
afterAll(async () => {
  await t.close()
  fs.rmSync(consoleDir, { recursive: true, force: true })
})

const get = (url: string, accept = 'text/html,application/xhtml+xml,*/*;q=0.8') => t.app.inject({ method: 'GET', url, headers: { accept } })

describe('console page and 404s', () => {
  it('serves the console page for the console routes, with or without a query', async () => {
    for (const url of ['/', '/sign-in', '/tokens', '/tokens/new', '/tokens/ci-deploy-1', '/tokens/a.b', '/service-credentials/x', '/audit?q=x', '/dashboard', '/credentials/abc']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type'], url).toMatch(/^text\/html/)
      expect(res.body, url).toContain('<title>Token Console</title>')
    }
  })

  it('answers 404 with the error body for /.well-known names it does not serve, the API and anything else', async () => {
    for (const url of ['/.well-known/openid-configuration', '/.well-known/security.txt', '/.well-known/', '/api/nope', '/api/web/nope', '/foo.js', '/x.php', '/wp-admin/', '/admin', '/scim/v1/Users', '/tokensx', '/index.html.bak']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(404)
      expect(res.headers['content-type'], url).toMatch(/^application\/json/)
      expect(res.json(), url).toMatchObject({ code: 5, details: [] })
      expect(res.body, url).not.toContain('<title>')
    }
    // SCIM's own paths answer SCIM's refusal (only the SCIM token is accepted there), never the console.
    const scim = await get('/scim/v2/Users')
    expect(scim.statusCode).toBe(401)
    expect(scim.body).not.toContain('<title>')
    // Whatever the client accepts, and for methods other than GET.
    expect((await get('/.well-known/openid-configuration', 'application/json')).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'POST', url: '/tokens' })).statusCode).toBe(404)
  })

  it('keeps the RFC 8414 metadata, the public files and the hashed assets', async () => {
    const meta = await get('/.well-known/oauth-authorization-server', 'application/json')
    expect(meta.statusCode).toBe(200)
    expect(meta.json().introspection_endpoint).toMatch(/\/api\/oauth2\/introspect$/)
    expect((await get('/favicon.svg')).statusCode).toBe(200)
    expect((await get('/assets/index-abc123.js')).statusCode).toBe(200)
    expect((await get('/assets/missing-000.js')).statusCode).toBe(404)
  })

  it('knows every route of the console router', () => {
    // The server's list of console routes must follow src/app/router.tsx: a page missing from it
    // would answer 404 when reloaded.
    const router = fs.readFileSync(path.resolve('src/app/router.tsx'), 'utf8')
    const firstSegments = new Set([...router.matchAll(/path: '\/([^/':]*)/g)].map((m) => m[1]).filter(Boolean))
    expect(firstSegments.size).toBeGreaterThan(5)
    for (const s of firstSegments) expect(CONSOLE_ROUTES, s).toContain(s)
  })
})

describe('WWW-Authenticate on every 401', () => {
  it('sends a challenge on each 401 an anonymous client gets, walking every operation of the API document', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
    const refused: string[] = []
    const missing: string[] = []
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
        const url = template.replace(/\{namespace\}/g, 'system').replace(/\{[^}]+\}/g, 'abcdef')
        const body = ['post', 'put', 'patch'].includes(method) ? {} : undefined
        const res = await t.app.inject({ method: method.toUpperCase() as 'GET', url, ...(body ? { payload: body } : {}) })
        if (res.statusCode !== 401) continue
        refused.push(`${method} ${template}`)
        if (!res.headers['www-authenticate']) missing.push(`${method.toUpperCase()} ${template}`)
      }
    }
    // Bodies are validated before authentication, so the writes mostly answer 400 here; the reads
    // and the rest are the 401s.
    expect(refused.length).toBeGreaterThan(30)
    expect(missing).toEqual([])
  })

  it('names no error when no credentials were presented (RFC 6750 section 3.1) and invalid_token for a refused one', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/api/web/namespaces/system/api_credentials' })
    expect(anon.statusCode).toBe(401)
    expect(anon.headers['www-authenticate']).toBe('Bearer realm="token-console"')
    const bad = await t.app.inject({ method: 'GET', url: '/api/web/namespaces/system/api_credentials', headers: { authorization: 'APIToken tc_nottherealthing' } })
    expect(bad.statusCode).toBe(401)
    expect(String(bad.headers['www-authenticate'])).toMatch(/^Bearer realm="token-console", error="invalid_(token|request)"$/)
    // A session cookie that is no longer valid is no credential at all.
    const stale = await t.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: 'tc_session=gone' } })
    expect(stale.statusCode).toBe(401)
    expect(stale.headers['www-authenticate']).toBe('Bearer realm="token-console"')
  })

  it('challenges on a refused sign-in too', async () => {
    const u = await createUser(t)
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: 'not-the-password-at-all' } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBeTruthy()
  })
})
