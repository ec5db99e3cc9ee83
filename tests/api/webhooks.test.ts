// Webhooks. A local receiver (node:http on 127.0.0.1) checks every request's
// signature and timestamp as a real one should; expiry notices reach it, a 500 is retried, the log
// keeps every status code, and the secret never leaves the create answer.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.js'
import { DAY_MS } from '../../server/lib/time.js'
import { signLeakReport } from '../../server/leaks/service.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, type Auth } from '../support/factories.js'

interface Received {
  headers: http.IncomingHttpHeaders
  body: string
  json: { id: string; type: string; created: string; data: Record<string, unknown> }
  signatureValid: boolean
  timestampFresh: boolean
}

/** The documented check: HMAC-SHA-256 over "<timestamp>.<raw body>", compared in constant time. */
function verify(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`)
  const given = Buffer.from(signature)
  return expected.length === given.length && crypto.timingSafeEqual(expected, given)
}

async function startReceiver() {
  const received: Received[] = []
  /** Status codes to answer, in order; 200 once they run out. */
  const answers: number[] = []
  let secret = ''
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const ts = String(req.headers['x-token-console-timestamp'] ?? '')
      received.push({
        headers: req.headers, body, json: JSON.parse(body) as Received['json'],
        signatureValid: verify(secret, ts, body, String(req.headers['x-token-console-signature'] ?? '')),
        timestampFresh: Math.abs(Date.now() / 1000 - Number(ts)) < 300,
      })
      res.statusCode = answers.shift() ?? 200
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answers,
    setSecret(s: string) { secret = s },
    reset() { received.length = 0; answers.length = 0 },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const LEAK_SECRET = 'scanner-secret-for-webhook-tests-0123456789'
let t: TestApp
let admin: Auth
let dev: Auth
let auditor: Auth
let rx: Awaited<ReturnType<typeof startReceiver>>

beforeAll(async () => {
  // The delivery worker runs only when a test calls run(). The receiver is on 127.0.0.1, which only
  // a deployment that allows private targets may deliver to.
  t = await buildTestApp({ webhookIntervalMs: 0, noticeJobIntervalMs: 0, leakReportSecret: LEAK_SECRET, webhookAllowPrivateTargets: true })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  auditor = (await signedIn(t, 'auditor')).auth
  rx = await startReceiver()
})
afterAll(async () => { await rx?.close(); await t?.close() })
beforeEach(() => rx.reset())

const secrets: string[] = []
async function addHook(events: string[], extra: Record<string, unknown> = {}) {
  const res = await call(t.app, admin, { method: 'POST', url: '/api/webhooks', payload: { url: rx.url, events, description: 'test receiver', ...extra } })
  expect(res.statusCode, res.body).toBe(201)
  const body = res.json<{ id: string; secret: string }>()
  secrets.push(body.secret)
  rx.setSecret(body.secret)
  return body
}
const del = (id: string) => call(t.app, admin, { method: 'DELETE', url: `/api/webhooks/${id}` })
const log = async (id: string) => (await call(t.app, admin, { method: 'GET', url: `/api/webhooks/${id}/deliveries` })).json<{
  items: Array<{ status: string; attempts: number; last_status_code: number | null; attempt_log: Array<{ status_code: number | null }> }>
}>().items
const enqueue = (type: string, data: Record<string, unknown> = {}) =>
  t.services.db.db.transaction().execute((trx) => t.services.webhooks.enqueue(trx, { type, data }))

describe('webhooks happy', () => {
  it('delivers expiry notices at 14, 7 and 1 days, signed, with a fresh timestamp', async () => {
    const hook = await addHook(['credential.expiry_notice'])
    const token = await createToken(t.app, dev, { expiration_days: 30 })
    const row = await t.services.db.db.selectFrom('credentials').select('expires_at').where('name', '=', token.name).executeTakeFirstOrThrow()
    const expiresAt = Number(row.expires_at)
    const job = (t.services as unknown as { noticeJob?: { run(now: number): Promise<unknown> } }).noticeJob
    for (const days of [14, 7, 1]) {
      // Through the notice job when it is there (server/notifications), else as it would enqueue.
      if (job) await job.run(expiresAt - days * DAY_MS + 60_000)
      else await enqueue('credential.expiry_notice', { name: token.name, threshold_days: days })
      await t.services.webhooks.run()
    }
    const mine = rx.received.filter((r) => r.json.data.name === token.name)
    expect(mine.map((r) => r.json.data.threshold_days)).toEqual([14, 7, 1])
    for (const r of mine) {
      expect(r.signatureValid).toBe(true)
      expect(r.timestampFresh).toBe(true)
      expect(r.headers['content-type']).toBe('application/json')
      expect(r.headers['x-token-console-event']).toBe('credential.expiry_notice')
      expect(r.json.type).toBe('credential.expiry_notice')
    }
    expect(new Set(mine.map((r) => r.headers['x-token-console-delivery'])).size).toBe(3)
    expect((await log(hook.id)).every((d) => d.status === 'delivered')).toBe(true)
    await del(hook.id)
  })

  it('tells of a leak report and of a revoke by someone else, not of the owner\'s own revoke', async () => {
    const hook = await addHook(['credential.leaked', 'credential.revoked_by_admin'])
    const byAdmin = await createToken(t.app, dev)
    const own = await createToken(t.app, dev)
    const leaked = await createToken(t.app, dev)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: byAdmin.name } })).statusCode).toBe(200)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: own.name } })).statusCode).toBe(200)
    const body = JSON.stringify([{ token: leaked.token, url: 'https://example.com/paste/9', source: 'paste' }])
    const ts = String(Math.floor(Date.now() / 1000))
    const leak = await t.app.inject({ method: 'POST', url: `${API}/report_leak`, payload: body, headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': signLeakReport(LEAK_SECRET, ts, body) } })
    expect(leak.statusCode, leak.body).toBe(200)
    await t.services.webhooks.run()
    const got = rx.received.map((r) => [r.json.type, r.json.data.name])
    expect(got).toHaveLength(2)
    expect(got).toEqual(expect.arrayContaining([['credential.revoked_by_admin', byAdmin.name], ['credential.leaked', leaked.name]]))
    const leakEvent = rx.received.find((r) => r.json.type === 'credential.leaked')!
    expect(leakEvent.json.data).toMatchObject({ revoked: true, found_at: 'https://example.com/paste/9', source: 'paste' })
    expect(JSON.stringify(rx.received.map((r) => r.body))).not.toContain(leaked.token)
    expect(rx.received.every((r) => r.signatureValid)).toBe(true)
    await del(hook.id)
  })

  it('retries after a 500 and the log shows both status codes', async () => {
    const hook = await addHook(['credential.leaked'])
    rx.answers.push(500)
    await enqueue('credential.leaked', { name: 'leaky' })
    const now = Date.now()
    expect((await t.services.webhooks.run(now)).map((r) => r.statusCode)).toEqual([500])
    expect(await log(hook.id)).toMatchObject([{ status: 'pending', attempts: 1, last_status_code: 500 }])
    // Not due again before its backoff (30 s ± 20%) ...
    expect(await t.services.webhooks.run(now + 20_000)).toEqual([])
    // ... and delivered after it.
    expect((await t.services.webhooks.run(now + 40_000)).map((r) => r.statusCode)).toEqual([200])
    const [d] = await log(hook.id)
    expect(d).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200 })
    expect(d!.attempt_log.map((a) => a.status_code)).toEqual([500, 200])
    expect(rx.received).toHaveLength(2)
    // The retry is the same delivery, freshly signed.
    expect(rx.received[0]!.headers['x-token-console-delivery']).toBe(rx.received[1]!.headers['x-token-console-delivery'])
    expect(rx.received.every((r) => r.signatureValid)).toBe(true)
    await del(hook.id)
  })

  it('gives up after 8 attempts and marks the delivery failed', async () => {
    const hook = await addHook(['credential.leaked'])
    rx.answers.push(...Array(8).fill(503))
    await enqueue('credential.leaked', { name: 'x' })
    let now = Date.now()
    for (let i = 0; i < 10; i++, now += 10 * 3_600_000) await t.services.webhooks.run(now)
    expect(rx.received).toHaveLength(8)
    expect(await log(hook.id)).toMatchObject([{ status: 'failed', attempts: 8, last_status_code: 503 }])
    await del(hook.id)
  })

  it('the test button sends webhook.test to that webhook at once and answers the outcome', async () => {
    const hook = await addHook(['credential.leaked'])
    const res = await call(t.app, admin, { method: 'POST', url: `/api/webhooks/${hook.id}/test` })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().delivery).toMatchObject({ status: 'delivered', last_status_code: 200, attempts: 1, event_type: 'webhook.test' })
    expect(rx.received).toHaveLength(1)
    expect(rx.received[0]!.json.type).toBe('webhook.test')
    expect(rx.received[0]!.signatureValid).toBe(true)
    await del(hook.id)
  })
})

describe('webhooks error', () => {
  it('a receiver detects a tampered body, a wrong secret and a replayed timestamp', async () => {
    const hook = await addHook(['credential.leaked'])
    await enqueue('credential.leaked', { name: 'tamper' })
    await t.services.webhooks.run()
    const r = rx.received[0]!
    const ts = String(r.headers['x-token-console-timestamp'])
    const sig = String(r.headers['x-token-console-signature'])
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(verify(hook.secret, ts, r.body, sig)).toBe(true)
    expect(verify(hook.secret, ts, r.body.replace('tamper', 'tampeR'), sig)).toBe(false)
    expect(verify(hook.secret, String(Number(ts) + 1), r.body, sig)).toBe(false)
    expect(verify(`${hook.secret}x`, ts, r.body, sig)).toBe(false)
    await del(hook.id)
  })

  it('a disabled webhook gets nothing, and a test of it fails without a request', async () => {
    const hook = await addHook(['credential.leaked'])
    const off = await call(t.app, admin, { method: 'PATCH', url: `/api/webhooks/${hook.id}`, payload: { enabled: false } })
    expect(off.json().enabled).toBe(false)
    await enqueue('credential.leaked', { name: 'quiet' })
    await t.services.webhooks.run()
    const test = await call(t.app, admin, { method: 'POST', url: `/api/webhooks/${hook.id}/test` })
    expect(test.json().delivery).toMatchObject({ status: 'failed', last_error: 'webhook disabled' })
    expect(rx.received).toHaveLength(0)
    await del(hook.id)
  })

  it('sends each webhook only the events it subscribes to', async () => {
    const leaks = await addHook(['credential.leaked'])
    const revokes = await addHook(['credential.revoked_by_admin'])
    await enqueue('credential.revoked_by_admin', { name: 'r' })
    await enqueue('some.other_event', { name: 'o' })
    await t.services.webhooks.run()
    expect(rx.received.map((r) => r.json.type)).toEqual(['credential.revoked_by_admin'])
    expect(await log(leaks.id)).toEqual([])
    expect(await log(revokes.id)).toHaveLength(1)
    await del(leaks.id)
    await del(revokes.id)
  })

  it('an event enqueued in a transaction that rolls back is never sent', async () => {
    const hook = await addHook(['credential.leaked'])
    await expect(t.services.db.db.transaction().execute(async (trx) => {
      await t.services.webhooks.enqueue(trx, { type: 'credential.leaked', data: { name: 'ghost' } })
      throw new Error('roll back')
    })).rejects.toThrow('roll back')
    await t.services.webhooks.run()
    expect(rx.received).toHaveLength(0)
    expect(await log(hook.id)).toEqual([])
    await del(hook.id)
  })

  it('refuses URLs that are not http(s) or carry credentials, and unknown events', async () => {
    for (const url of ['ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/x', 'javascript:alert(1)', 'not a url']) {
      const res = await call(t.app, admin, { method: 'POST', url: '/api/webhooks', payload: { url, events: ['credential.leaked'] } })
      expect(res.statusCode, url).toBe(400)
    }
    const bad = await call(t.app, admin, { method: 'POST', url: '/api/webhooks', payload: { url: rx.url, events: ['everything'] } })
    expect(bad.statusCode).toBe(400)
    const none = await call(t.app, admin, { method: 'POST', url: '/api/webhooks', payload: { url: rx.url, events: [] } })
    expect(none.statusCode).toBe(400)
  })

  it('does not follow a redirect', async () => {
    const hook = await addHook(['credential.leaked'])
    rx.answers.push(302)
    await enqueue('credential.leaked', { name: 'redirected' })
    expect((await t.services.webhooks.run()).map((r) => r.error)).toEqual(['redirect (302) not followed'])
    expect(rx.received).toHaveLength(1)
    await del(hook.id)
  })
})

describe('webhooks security', () => {
  it('refuses developers and auditors on every route', async () => {
    const hook = await addHook(['credential.leaked'])
    for (const who of [dev, auditor]) {
      for (const [method, url, payload] of [
        ['GET', '/api/webhooks'], ['POST', '/api/webhooks', { url: rx.url, events: ['credential.leaked'] }],
        ['PATCH', `/api/webhooks/${hook.id}`, { enabled: false }], ['DELETE', `/api/webhooks/${hook.id}`],
        ['POST', `/api/webhooks/${hook.id}/test`], ['GET', `/api/webhooks/${hook.id}/deliveries`],
      ] as const) {
        const res = await call(t.app, who, { method, url, ...(payload ? { payload } : {}) })
        expect(res.statusCode, `${method} ${url}`).toBe(403)
      }
    }
    expect(rx.received).toHaveLength(0)
    await del(hook.id)
  })

  it('the secret is in no GET answer, no audit row and not in clear in the database', async () => {
    const hook = await addHook(['credential.leaked'])
    await enqueue('credential.leaked', { name: 'x' })
    await t.services.webhooks.run()
    await call(t.app, admin, { method: 'PATCH', url: `/api/webhooks/${hook.id}`, payload: { description: 'renamed' } })
    expect(hook.secret).toMatch(/^whsec_/)
    const answers = await Promise.all([
      call(t.app, admin, { method: 'GET', url: '/api/webhooks' }), call(t.app, admin, { method: 'GET', url: `/api/webhooks/${hook.id}` }),
      call(t.app, admin, { method: 'GET', url: `/api/webhooks/${hook.id}/deliveries` }), call(t.app, admin, { method: 'GET', url: '/api/audit?limit=500' }),
    ])
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200)
      for (const s of secrets) expect(res.body).not.toContain(s)
    }
    const db = t.services.db.db
    const dump = JSON.stringify([
      await db.selectFrom('webhooks').selectAll().execute(), await db.selectFrom('webhook_deliveries').selectAll().execute(),
      await db.selectFrom('audit_events').selectAll().execute(),
    ])
    for (const s of secrets) expect(dump).not.toContain(s)
    const audit = await db.selectFrom('audit_events').select(['action', 'details']).where('action', 'like', 'webhook.%').execute()
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['webhook.create', 'webhook.update', 'webhook.delete']))
    if (t.dialect !== 'postgres') {
      // The SQLite file and its write-ahead log, byte for byte.
      for (const f of fs.readdirSync(t.dataDir).filter((n) => n.startsWith('token-console.sqlite'))) {
        const bytes = fs.readFileSync(path.join(t.dataDir, f))
        for (const s of secrets) expect(bytes.includes(Buffer.from(s))).toBe(false)
      }
    }
    await del(hook.id)
  })
})

// Registered on PostgreSQL only (SQLite has no second instance), so no run reports it as skipped.
if (process.env.TEST_DB === 'postgres') describe('webhooks on two instances', () => {
  it('two instances on one PostgreSQL database send each delivery once', async () => {
    const second = await buildApp({ ...t.services.config, webhookIntervalMs: 0 }, { logger: false })
    try {
      const hook = await addHook(['credential.leaked'])
      for (let i = 0; i < 30; i++) await enqueue('credential.leaked', { name: `t${i}` })
      const [a, b] = await Promise.all([t.services.webhooks.run(), second.services.webhooks.run()])
      expect(a.length + b.length).toBe(30)
      const ids = rx.received.map((r) => r.headers['x-token-console-delivery'])
      expect(ids).toHaveLength(30)
      expect(new Set(ids).size).toBe(30)
      await del(hook.id)
    } finally {
      await second.app.close()
    }
  })
})
