// Per-token rate limits: a fixed window aligned on the epoch, counted at /api/verify (fast path too),
// introspection and every API call the token authenticates. Every answer to a limited token carries
// RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers-10); past the quota, 429 with
// Retry-After. Instances sharing PostgreSQL count together and never allow more than the limit.
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let dev: Auth
let base: string

beforeAll(async () => {
  t = await buildTestApp()
  dev = (await signedIn(t, 'developer')).auth
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => { await t?.close() })
afterEach(() => { vi.useRealTimers() })

/** A time `into` ms after the start of a fixed window of `windowSeconds`, well in the future of now. */
function windowTime(windowSeconds: number, into: number) {
  const w = windowSeconds * 1000
  return (Math.floor(Date.now() / w) + 2) * w + into
}

const verify = (token: string) => t.app.inject({ url: '/api/verify', headers: { authorization: `APIToken ${token}` } })
const limitsUrl = (name: string) => `/api/console/credentials/api_credentials/${name}/limits`

describe('rate_limit: validation', () => {
  it.each([
    [{ limit: 0, window_seconds: 60 }, 'rate_limit.limit', 'at least 1'],
    [{ limit: 1.5, window_seconds: 60 }, 'rate_limit.limit', 'whole number'],
    [{ limit: 1_000_001, window_seconds: 60 }, 'rate_limit.limit', 'at most 1000000'],
    [{ limit: 10, window_seconds: 0 }, 'rate_limit.window_seconds', 'at least 1'],
    [{ limit: 10, window_seconds: 86_401 }, 'rate_limit.window_seconds', 'at most 86400'],
    [{ limit: 10 }, 'rate_limit.window_seconds', 'whole number'],
    [{ limit: 10, window_seconds: 60, burst: 5 }, 'rate_limit.burst', 'Unknown field'],
  ])('refuses %j with a 400 naming the field, on create and on edit', async (rate, field, words) => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'rate-bad-one', expiration_days: 5, rate_limit: rate } })
    expect(res.statusCode).toBe(400)
    expect(res.json().details[0]).toMatchObject({ field, reason: expect.stringContaining(words) })
    const { name } = await createToken(t.app, dev)
    const edit = await call(t.app, dev, { method: 'PATCH', url: limitsUrl(name), payload: { rate_limit: rate } })
    expect(edit.statusCode).toBe(400)
    expect(edit.json().details[0].field).toBe(field)
  })
})

describe('rate_limit: enforcement', () => {
  it('reports the quota on every answer, 429 with Retry-After past it, and a fresh quota in the next window', async () => {
    const { name, token } = await createToken(t.app, dev, { rate_limit: { limit: 3, window_seconds: 60 } })
    expect((await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })).json().rate_limit).toEqual({ limit: 3, window_seconds: 60 })
    const start = windowTime(60, 10_000)
    vi.useFakeTimers({ toFake: ['Date'], now: start })
    const seen = []
    for (let i = 0; i < 3; i++) {
      const res = await verify(token)
      seen.push([res.statusCode, res.headers['ratelimit-policy'], res.headers.ratelimit])
    }
    expect(seen).toEqual([
      [204, '"default";q=3;w=60', '"default";r=2;t=50'],
      [204, '"default";q=3;w=60', '"default";r=1;t=50'],
      [204, '"default";q=3;w=60', '"default";r=0;t=50'],
    ])
    vi.setSystemTime(start + 5_500)
    const over = await verify(token)
    expect(over.statusCode).toBe(429)
    expect(over.headers['retry-after']).toBe('45')
    expect(over.headers.ratelimit).toBe('"default";r=0;t=45')
    expect(over.headers['ratelimit-policy']).toBe('"default";q=3;w=60')
    expect(over.json()).toEqual({ code: 8, message: expect.stringContaining('3 requests per 60 s'), details: [{ reason: 'rate_limited' }] })
    // The next window: a full quota again.
    vi.setSystemTime(start + 50_000)
    const next = await verify(token)
    expect(next.statusCode).toBe(204)
    expect(next.headers.ratelimit).toBe('"default";r=2;t=60')
  })

  it('leaves a token without a quota alone: no RateLimit fields', async () => {
    const { token } = await createToken(t.app, dev)
    for (let i = 0; i < 5; i++) {
      const res = await verify(token)
      expect(res.statusCode).toBe(204)
      expect(res.headers.ratelimit).toBeUndefined()
      expect(res.headers['ratelimit-policy']).toBeUndefined()
    }
  })

  it('counts the API calls the token authenticates, with the fields on each answer', async () => {
    const { token } = await createToken(t.app, dev, { rate_limit: { limit: 2, window_seconds: 3600 } })
    vi.useFakeTimers({ toFake: ['Date'], now: windowTime(3600, 600_000) })
    const first = await call(t.app, { token }, { method: 'GET', url: WHOAMI })
    expect(first.statusCode).toBe(200)
    expect(first.headers.ratelimit).toBe('"default";r=1;t=3000')
    // An error answer of an authenticated call carries them too.
    const missing = await call(t.app, { token }, { method: 'GET', url: `${API}/api_credentials/no-such-token` })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers.ratelimit).toBe('"default";r=0;t=3000')
    const over = await call(t.app, { token }, { method: 'GET', url: WHOAMI })
    expect(over.statusCode).toBe(429)
    expect(over.headers['retry-after']).toBe('3000')
    expect(over.headers.ratelimit).toBe('"default";r=0;t=3000')
    // /api/verify shares the same quota.
    expect((await verify(token)).statusCode).toBe(429)
  })

  it('on the fast path (a listening server) as through Fastify', async () => {
    const { token } = await createToken(t.app, dev, { rate_limit: { limit: 2, window_seconds: 86_400 } })
    vi.useFakeTimers({ toFake: ['Date'], now: windowTime(86_400, 0) })
    const get = () => fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}` } })
    const a = await get()
    expect([a.status, a.headers.get('ratelimit-policy'), a.headers.get('ratelimit')]).toEqual([204, '"default";q=2;w=86400', '"default";r=1;t=86400'])
    expect((await get()).status).toBe(204)
    const over = await get()
    expect(over.status).toBe(429)
    expect(over.headers.get('retry-after')).toBe('86400')
    expect((await over.json()).details).toEqual([{ reason: 'rate_limited' }])
  })

  it('an edit applies at once with a fresh count; null lifts the quota', async () => {
    const { name, token } = await createToken(t.app, dev, { rate_limit: { limit: 1, window_seconds: 3600 } })
    // The owner edits with a token of their own: hours ahead on the fake clock a console session has idled out.
    const owner = { token: (await createToken(t.app, dev)).token }
    vi.useFakeTimers({ toFake: ['Date'], now: windowTime(3600, 0) })
    expect((await verify(token)).statusCode).toBe(204)
    expect((await verify(token)).statusCode).toBe(429)
    const edit = await call(t.app, owner, { method: 'PATCH', url: limitsUrl(name), payload: { rate_limit: { limit: 5, window_seconds: 3600 } } })
    expect(edit.statusCode, edit.body).toBe(200)
    const res = await verify(token)
    expect(res.statusCode).toBe(204)
    expect(res.headers.ratelimit).toBe('"default";r=4;t=3600')
    expect((await call(t.app, owner, { method: 'PATCH', url: limitsUrl(name), payload: { rate_limit: null } })).statusCode).toBe(200)
    const free = await verify(token)
    expect(free.statusCode).toBe(204)
    expect(free.headers.ratelimit).toBeUndefined()
  })
})

describe('rate_limit in the API document', () => {
  it('declares RateLimit and RateLimit-Policy on the answers a token gets, and Retry-After on 429', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json()
    const verifyOp = doc.paths['/api/verify'].get.responses
    for (const code of ['204', '401', '429']) expect(Object.keys(verifyOp[code].headers ?? {}), code).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']))
    expect(Object.keys(verifyOp['429'].headers)).toContain('Retry-After')
    expect(Object.keys(doc.paths['/api/web/custom/namespaces/{namespace}/whoami'].get.responses['200'].headers)).toEqual(['RateLimit-Policy', 'RateLimit'])
    // Nothing a token reaches has no quota to report: sign-in declares none.
    expect(doc.paths['/api/auth/login'].post.responses['200'].headers).toBeUndefined()
  })
})

describe('rate_limit across instances', () => {
  it.skipIf(inject('testDb') !== 'postgres')('two instances sharing PostgreSQL allow no more than the limit together', async () => {
    // A second server on the same database and data directory (the same token secret).
    const second = await buildTestApp({ dataDir: t.dataDir, databaseUrl: t.services.config.databaseUrl })
    try {
      const { token } = await createToken(t.app, dev, { rate_limit: { limit: 50, window_seconds: 3600 } })
      vi.useFakeTimers({ toFake: ['Date'], now: windowTime(3600, 1000) })
      const statuses: number[] = []
      // 200 checks, alternating instances, 20 in flight at a time.
      for (let batch = 0; batch < 10; batch++) {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? second.app : t.app).inject({ url: '/api/verify', headers: { authorization: `APIToken ${token}` } })))
        statuses.push(...answers.map((a) => a.statusCode))
      }
      const allowed = statuses.filter((s) => s === 204).length
      console.log(`two instances: ${allowed} allowed, ${statuses.filter((s) => s === 429).length} refused of ${statuses.length} (limit 50, bound 0)`)
      expect(allowed).toBe(50)
      expect(statuses.filter((s) => s === 429)).toHaveLength(150)
    } finally {
      vi.useRealTimers()
      await second.app.close()
    }
  })
})
