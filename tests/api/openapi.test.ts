// /api/openapi.json as standard tools read it: Spectral with the OWASP API Security ruleset finds no
// error, every operation has an id and a tag, and the bounds and errors it declares are the server's.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createUser, signedIn, WHOAMI } from '../support/factories.js'

type Op = {
  operationId?: string; tags?: string[]; responses: Record<string, { headers?: Record<string, unknown> }>
  parameters: Array<{ name: string; schema: { maxLength?: number } }>
}
let t: TestApp
let doc: { paths: Record<string, Record<string, Op>> }
const ops = () => Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op })))

beforeAll(async () => {
  t = await buildTestApp()
  const res = await t.app.inject({ url: '/api/openapi.json' })
  expect(res.statusCode).toBe(200)
  doc = res.json()
})
afterAll(async () => { await t.close() })

describe('openapi document: happy', () => {
  it('passes Spectral (spectral:oas + OWASP ruleset, .spectral.yaml) with 0 errors', { timeout: 180_000 }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-openapi-'))
    try {
      // Named *.json: .spectral.yaml's overrides match the file by that pattern.
      const file = path.join(dir, 'openapi.json')
      fs.writeFileSync(file, JSON.stringify(doc))
      const run = spawnSync(path.resolve('node_modules/.bin/spectral'), ['lint', file, '--ruleset', path.resolve('.spectral.yaml'), '-f', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      const start = run.stdout.indexOf('[')
      if (start < 0) throw new Error(`spectral gave no report (exit ${run.status}): ${run.stderr}${run.stdout}`)
      const results = JSON.parse(run.stdout.slice(start)) as Array<{ code: string; severity: number; path: string[]; message: string }>
      const errors = results.filter((r) => r.severity === 0)
      const warnings = results.filter((r) => r.severity === 1)
      console.log(`spectral: ${errors.length} errors, ${warnings.length} warnings on ${ops().length} operations`)
      expect(errors.map((e) => `${e.code} ${e.path.join('/')}: ${e.message}`)).toEqual([])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('gives every operation a unique camelCase operationId from method and path, and a declared tag', () => {
    const ids = ops().map(({ op }) => op.operationId)
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect(doc.paths['/api/web/namespaces/{namespace}/api_credentials/{name}'].get.operationId).toBe('getWebNamespacesByNamespaceApiCredentialsByName')
    expect(doc.paths['/api/web/namespaces/system/rotate/api_credentials'].post.operationId).toBe('postWebNamespacesSystemRotateApiCredentials')
    const declared = new Set((doc as unknown as { tags: Array<{ name: string }> }).tags.map((x) => x.name))
    for (const { key, op } of ops()) expect(op.tags?.length && op.tags.every((x) => declared.has(x)), key).toBeTruthy()
  })

  it('declares a success and 500 everywhere, 400/401/403/429 on authenticated operations, and Retry-After on every 429', () => {
    for (const { key, op } of ops()) {
      expect(op.responses['500'], key).toBeDefined()
      expect(Object.keys(op.responses).some((code) => code.startsWith('2')), key).toBe(true)
      if (op.responses['429']) expect(op.responses['429'].headers?.['Retry-After'], key).toBeDefined()
    }
    for (const code of ['400', '401', '403', '429']) expect(doc.paths['/api/users'].get.responses[code]).toBeDefined()
    for (const code of ['401', '429']) expect(doc.paths['/api/auth/login'].post.responses[code]).toBeDefined()
  })
})

describe('openapi document: the server does what it declares', () => {
  it('answers the sign-in brake with 429 and Retry-After, as declared', async () => {
    const u = await createUser(t)
    let last = 0
    let retryAfter: unknown
    for (let i = 0; i < 11; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: 'wrong-password-123' } })
      last = res.statusCode
      retryAfter = res.headers['retry-after']
      expect(res.json()).toMatchObject({ code: expect.any(Number), message: expect.any(String), details: [] })
    }
    expect(last).toBe(429)
    expect(Number(retryAfter)).toBeGreaterThan(0)
  })

  it('enforces the request bounds it declares (query, path and body strings and arrays)', async () => {
    const admin = (await signedIn(t, 'admin')).auth
    const long = 'a'.repeat(65)
    expect((await call(t.app, admin, { url: `${API}/api_credentials?limit=5&namespace=${long}` })).statusCode).toBe(400)
    expect((await call(t.app, admin, { url: `/api/audit?from=2026-01-01T00:00:00${'.0'.repeat(30)}Z` })).statusCode).toBe(400)
    // Path parameters: the router's own limit (100) is the one declared.
    expect(doc.paths['/api/web/custom/namespaces/{namespace}/whoami'].get.parameters.find((x) => x.name === 'namespace')?.schema.maxLength).toBe(100)
    expect((await call(t.app, admin, { url: WHOAMI.replace('/system/', `/${'n'.repeat(101)}/`) })).statusCode).toBe(414)
    expect((await call(t.app, admin, { url: WHOAMI })).statusCode).toBe(200)
    const policy = (await call(t.app, admin, { url: '/api/policy' })).json() as { settings: Record<string, unknown> }
    const res = await call(t.app, admin, {
      method: 'POST', url: '/api/policy/dry_run',
      payload: { settings: { ...policy.settings, never_expire_account_types: ['user', 'service', 'user'] } },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().details.some((d: { field?: string }) => d.field?.includes('never_expire_account_types'))).toBe(true)
  })
})
