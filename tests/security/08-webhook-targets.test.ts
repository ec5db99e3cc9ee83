// Part 8: webhooks never reach the server's own loopback or the private network. A listener on
// 127.0.0.1 counts every TCP connection it is offered. With WEBHOOK_ALLOW_PRIVATE_TARGETS off (the
// default) every spelling of a loopback, private, link-local (metadata), unique-local, CGNAT, multicast
// or unspecified address is refused at create and at edit; webhooks saved while a deployment allowed
// private targets (the server is first started with it on, then restarted without it) get nothing,
// from "Send test" or the worker, and every answer carries the same generic reason.
import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, Session, type Res } from './support/http.js'
import { BodyLog, dialect, figure, sleep } from './support/run.js'
import { ChildServer } from './support/server.js'

// Kept by reference: the server reads it again at each start, so a restart can turn the setting off.
const env: Record<string, string> = { WEBHOOK_ALLOW_PRIVATE_TARGETS: '1', WEBHOOK_INTERVAL_MS: '200' }
const server = new ChildServer('webhook-targets', env)
const bodies = new BodyLog('webhook-targets')
const figures: string[] = []
const started = Date.now()
const EVENTS = ['credential.expiry_notice', 'credential.leaked', 'credential.revoked_by_admin']

let connections = 0
let port = 0
const listener = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')) })
listener.on('connection', () => { connections++ })

/** Spellings of the listener's own address (loopback), each one a way a check could be stepped around. */
const loopback = (p: number) => [
  `http://127.0.0.1:${p}/h`, `http://localhost:${p}/h`, `http://LOCALHOST.:${p}/h`, `http://hooks.localhost:${p}/h`,
  `http://2130706433:${p}/h`, `http://0x7f000001:${p}/h`, `http://127.1:${p}/h`, `http://0177.0.0.1:${p}/h`, `http://0x7f.0.0.1:${p}/h`,
  `http://127.0.0.2:${p}/h`, `http://[::1]:${p}/h`, `http://[::ffff:127.0.0.1]:${p}/h`, `http://[::ffff:7f00:1]:${p}/h`,
  `http://[0:0:0:0:0:ffff:7f00:1]:${p}/h`, `http://[::127.0.0.1]:${p}/h`, `http://[64:ff9b::127.0.0.1]:${p}/h`, `http://[2002:7f00:1::]:${p}/h`,
]
/** Every spelling refused at create and edit with the setting off. */
const forbidden = (p: number) => [
  ...loopback(p), `http://0.0.0.0:${p}/h`, `http://0:${p}/h`, `http://[::]:${p}/h`,
  'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/latest/meta-data/', 'http://[fe80::1]/h',
  'http://10.0.0.1/h', 'http://172.16.5.4/h', 'http://192.168.1.1/h', 'https://[fd00::1]/h', 'http://[fc00::1]/h',
  'http://100.64.0.1/h', 'http://224.0.0.1/h', 'http://[ff02::1]/h', 'http://255.255.255.255/h',
]

let admin: Session
/** Webhooks saved while private targets were allowed: the listener's loopback spellings. */
const planted: Array<{ id: string; url: string }> = []
let controlConnections = 0

const keep = (r: Res) => { bodies.add(r.status, r.text); return r }

interface DeliveryView { status: string; attempts: number; last_status_code: number | null; last_error: string | null }
const NO_DETAIL = /ECONN|ENOTFOUND|EAI_|EHOST|ENETUNREACH|refused|reset|timeout|within|loopback|127\.|::1|socket/i

beforeAll(async () => {
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  port = (listener.address() as AddressInfo).port
  await server.start()
  admin = await Session.login(server.origin)
  for (const url of loopback(port)) {
    const res = keep(await admin.call('POST', '/api/webhooks', { url, events: EVENTS, description: 'planted while private targets were allowed' }))
    // localhost. and names under localhost do not resolve here; with the setting on they are saved anyway.
    expect(res.status, `${url}: ${res.text}`).toBe(201)
    planted.push({ id: res.json<{ id: string }>().id, url })
  }
  // The control: with the setting on, the listener is reachable, so a zero later means refused.
  const control = keep(await admin.call('POST', `/api/webhooks/${planted[0]!.id}/test`))
  expect(control.json<{ delivery: DeliveryView }>().delivery.status, control.text).toBe('delivered')
  controlConnections = connections
  expect(controlConnections).toBeGreaterThan(0)
  await server.stop()
  env.WEBHOOK_ALLOW_PRIVATE_TARGETS = '0'
  connections = 0
  await server.start()
  admin = await Session.login(server.origin)
})
afterAll(async () => {
  await server.stop()
  bodies.close()
  await new Promise<void>((resolve) => { listener.closeAllConnections(); listener.close(() => resolve()) })
  figure(`webhook-targets[${dialect()}]: ${figures.join('; ')}; control before the restart ${controlConnections} connection(s) (${((Date.now() - started) / 1000).toFixed(0)} s)`)
})

describe('webhook targets', () => {
  it('refuses every spelling at create with a 400 on url', async () => {
    const urls = forbidden(port)
    const wrong: string[] = []
    for (const url of urls) {
      const res = keep(await admin.call('POST', '/api/webhooks', { url, events: EVENTS }))
      const field = res.status === 400 ? res.json<{ details: Array<{ field?: string }> }>().details[0]?.field : undefined
      if (res.status !== 400 || field !== 'url') wrong.push(`${url} → ${res.status}`)
    }
    figures.push(`${urls.length - wrong.length}/${urls.length} spellings refused at create`)
    expect(wrong).toEqual([])
    expect(connections).toBe(0)
  })

  it('refuses every spelling as an edit of a saved webhook, which keeps its URL', async () => {
    const created = keep(await admin.call('POST', '/api/webhooks', { url: 'https://93.184.215.14/hook', events: EVENTS }))
    expect(created.status, created.text).toBe(201)
    const id = created.json<{ id: string }>().id
    const urls = forbidden(port)
    const wrong: string[] = []
    for (const url of urls) {
      const res = keep(await admin.call('PATCH', `/api/webhooks/${id}`, { url }))
      if (res.status !== 400) wrong.push(`${url} → ${res.status}`)
    }
    figures.push(`${urls.length - wrong.length}/${urls.length} refused as edits`)
    expect(wrong).toEqual([])
    expect((await admin.call('GET', `/api/webhooks/${id}`)).json<{ url: string }>().url).toBe('https://93.184.215.14/hook')
    keep(await admin.call('DELETE', `/api/webhooks/${id}`))
    expect(connections).toBe(0)
  })

  it('"Send test" to webhooks saved while private targets were allowed sends nothing and answers one generic reason', async () => {
    const answers: DeliveryView[] = []
    for (const hook of planted) {
      const res = keep(await admin.call('POST', `/api/webhooks/${hook.id}/test`))
      expect(res.status, `${hook.url}: ${res.text}`).toBe(200)
      answers.push(res.json<{ delivery: DeliveryView }>().delivery)
    }
    const reasons = new Set(answers.map((a) => a.last_error))
    figures.push(`${answers.length} send tests to saved loopback spellings: ${[...reasons].map((r) => `"${r}"`).join(', ')}, ${connections} connections`)
    expect(connections).toBe(0)
    expect(reasons.size).toBe(1)
    for (const a of answers) expect(a).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null })
    expect([...reasons][0]).not.toMatch(NO_DETAIL)
  })

  it('the worker sends them nothing either', async () => {
    const email = `dev-${crypto.randomBytes(4).toString('hex')}@example.com`
    const password = 'webhook-targets-password-1'
    keep(await admin.call('POST', '/api/users', { email, name: email.split('@')[0], role: 'developer', password }))
    const dev = await Session.login(server.origin, email, password)
    const name = `wt-${crypto.randomBytes(4).toString('hex')}`
    expect(keep(await dev.call('POST', `${API}/api_credentials`, { name, expiration_days: 30 })).status).toBe(200)
    expect(keep(await admin.call('POST', `${API}/revoke/api_credentials`, { name })).status).toBe(200)
    // Every planted webhook subscribes to revokes: wait until the worker has tried each one.
    const deadline = Date.now() + 20_000
    let logs: DeliveryView[][] = []
    for (;;) {
      logs = await Promise.all(planted.map(async (h) => (await admin.call('GET', `/api/webhooks/${h.id}/deliveries`))
        .json<{ items: Array<DeliveryView & { event_type: string }> }>().items.filter((d) => d.event_type === 'credential.revoked_by_admin')))
      if (logs.every((l) => l.length && l.every((d) => d.status !== 'pending')) || Date.now() > deadline) break
      await sleep(200)
    }
    const flat = logs.flat()
    figures.push(`worker: ${flat.length} revoke deliveries, ${flat.filter((d) => d.status === 'failed').length} failed unsent`)
    expect(flat).toHaveLength(planted.length)
    for (const d of flat) expect(d).toMatchObject({ status: 'failed', last_status_code: null })
    expect(new Set(flat.map((d) => d.last_error)).size).toBe(1)
    expect(connections).toBe(0)
  })
})
