// Where webhooks may be delivered. With WEBHOOK_ALLOW_PRIVATE_TARGETS off (the default) every spelling
// of loopback, private, link-local (cloud metadata), unique-local, CGNAT, multicast and unspecified
// addresses is refused at create and edit, a name that resolves to one is refused at send without a
// connection, the sender connects to the address it checked, and "Send test" says nothing about why
// a connection failed. A local receiver counts every TCP connection it is offered.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { freePort } from '../support/net.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, signedIn, type Auth } from '../support/factories.js'
import { forbiddenCategory, pinnedLookup, TargetPolicy, TargetRefused } from '../../server/webhooks/targets.js'

interface Receiver {
  port: number
  connections: number
  hits: Array<{ host: string | undefined; event: string | undefined }>
  reset(): void
  close(): Promise<void>
}

/** An HTTP receiver on 127.0.0.1; `mode` decides how it treats a request. */
async function receiver(mode: 'answer' | 'reset' | 'silent' = 'answer'): Promise<Receiver> {
  const hits: Receiver['hits'] = []
  const server = http.createServer((req, res) => {
    hits.push({ host: req.headers.host, event: req.headers['x-token-console-event'] as string | undefined })
    if (mode === 'reset') return req.socket.destroy()
    if (mode === 'silent') return
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  const r: Receiver = {
    port: 0, connections: 0, hits,
    reset() { r.connections = 0; hits.length = 0 },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
  server.on('connection', () => { r.connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  r.port = (server.address() as AddressInfo).port
  return r
}

/** Every spelling of a forbidden address the URL parser, the resolver or the kernel would accept. */
function forbiddenUrls(port: number): string[] {
  return [
    `http://127.0.0.1:${port}/h`, `http://localhost:${port}/h`, `http://LOCALHOST.:${port}/h`, `http://hooks.localhost:${port}/h`, `http://2130706433:${port}/h`,
    `http://0x7f000001:${port}/h`, `http://127.1:${port}/h`, `http://0177.0.0.1:${port}/h`, `http://0x7f.0.0.1:${port}/h`,
    `http://127.0.0.2:${port}/h`, `http://[::1]:${port}/h`, `http://[0:0:0:0:0:0:0:1]:${port}/h`,
    `http://[::ffff:127.0.0.1]:${port}/h`, `http://[::ffff:7f00:1]:${port}/h`, `http://[0:0:0:0:0:ffff:7f00:1]:${port}/h`,
    `http://[::127.0.0.1]:${port}/h`, `http://[64:ff9b::127.0.0.1]:${port}/h`, `http://[2002:7f00:1::]:${port}/h`,
    `http://0.0.0.0:${port}/h`, `http://0:${port}/h`, `http://[::]:${port}/h`,
    'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/latest/meta-data/', 'http://[fe80::1]/h',
    'http://10.0.0.1/h', 'http://172.16.5.4/h', 'http://172.31.255.255/h', 'http://192.168.1.1/h', 'https://[fd00::1]/h', 'http://[fc00::1]/h',
    'http://100.64.0.1/h', 'http://224.0.0.1/h', 'http://[ff02::1]/h', 'http://255.255.255.255/h',
  ]
}

/** What a delivery says about an attempt, without its ids and times. */
const outcome = (d: { status: string; attempts: number; last_status_code: number | null; last_error: string | null; attempt_log: Array<{ status_code: number | null; error: string | null }> }) => ({
  status: d.status, attempts: d.attempts, last_status_code: d.last_status_code, last_error: d.last_error,
  log: d.attempt_log.map((a) => [a.status_code, a.error]),
})

type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>
/** The app's resolver, replaced: tests decide what a name resolves to, without asking any DNS server. */
function resolveWith(t: TestApp, fn: Resolver) {
  ;(t.services.webhooks as unknown as { targets: { resolve: Resolver } }).targets.resolve = fn
}
const addr = (...list: string[]) => list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

let off: TestApp
let on: TestApp
let offAdmin: Auth
let onAdmin: Auth
let rx: Receiver
const logLines: string[] = []

beforeAll(async () => {
  off = await buildTestApp({ webhookIntervalMs: 0, noticeJobIntervalMs: 0 })
  on = await buildTestApp({ webhookIntervalMs: 0, noticeJobIntervalMs: 0, webhookAllowPrivateTargets: true } as Parameters<typeof buildTestApp>[0], {
    logStream: new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done() } }),
  })
  offAdmin = (await signedIn(off, 'admin')).auth
  onAdmin = (await signedIn(on, 'admin')).auth
  rx = await receiver()
})
afterAll(async () => { await rx?.close(); await off?.close(); await on?.close() })
beforeEach(() => rx.reset())

const create = (t: TestApp, auth: Auth, url: string) =>
  call(t.app, auth, { method: 'POST', url: '/api/webhooks', payload: { url, events: ['credential.leaked'] } })
const sendTest = async (t: TestApp, auth: Auth, id: string) => {
  const res = await call(t.app, auth, { method: 'POST', url: `/api/webhooks/${id}/test` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<{ delivery: Parameters<typeof outcome>[0] }>().delivery
}
const remove = (t: TestApp, auth: Auth, id: string) => call(t.app, auth, { method: 'DELETE', url: `/api/webhooks/${id}` })

describe('webhook targets with private targets off (the default)', () => {
  it('refuses every spelling of loopback, private, link-local, unique-local, CGNAT, multicast and unspecified at create, naming the field', async () => {
    const accepted: string[] = []
    for (const url of forbiddenUrls(rx.port)) {
      const res = await create(off, offAdmin, url)
      if (res.statusCode !== 400) { accepted.push(`${url} → ${res.statusCode}`); continue }
      const body = res.json<{ message: string; details: Array<{ field?: string; reason: string }> }>()
      expect(body.details[0]?.field, url).toBe('url')
      expect(body.message, url).toMatch(/^URL (is|resolves to) (a|an|the) [A-Za-z -]+ address/)
      expect(body.message, url).toMatch(/WEBHOOK_ALLOW_PRIVATE_TARGETS|never/)
    }
    expect(accepted).toEqual([])
    const rows = await off.services.db.db.selectFrom('webhooks').select('url').execute()
    expect(rows).toEqual([])
    expect(rx.connections).toBe(0)
  })

  it('names what the address is: loopback, link-local (cloud metadata), private, unique-local', async () => {
    const message = async (url: string) => (await create(off, offAdmin, url)).json<{ message: string }>().message
    expect(await message(`http://localhost:${rx.port}/h`)).toBe('URL resolves to a loopback address; deliveries go only to public addresses unless WEBHOOK_ALLOW_PRIVATE_TARGETS is on')
    expect(await message('http://2130706433/h')).toMatch(/^URL is a loopback address;/)
    expect(await message('http://169.254.169.254/')).toMatch(/^URL is a link-local address/)
    expect(await message('http://192.168.0.10/')).toMatch(/^URL is a private address;/)
    expect(await message('http://[fd12::1]/')).toMatch(/^URL is a unique-local address;/)
  })

  it('refuses a name when any one of its addresses is forbidden, and accepts public addresses', async () => {
    resolveWith(off, async (host) => host === 'mixed.example.test' ? addr('93.184.215.14', '10.1.2.3') : addr('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'))
    const mixed = await create(off, offAdmin, 'https://mixed.example.test/hook')
    expect(mixed.statusCode, mixed.body).toBe(400)
    expect(mixed.json().message).toMatch(/^URL resolves to a private address/)
    for (const url of ['https://hooks.example.test/token-console', 'https://93.184.215.14/hook', 'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook']) {
      const res = await create(off, offAdmin, url)
      expect(res.statusCode, `${url}: ${res.body}`).toBe(201)
      await remove(off, offAdmin, res.json().id)
    }
  })

  it('refuses an edit to a forbidden URL and keeps the stored one', async () => {
    const res = await create(off, offAdmin, 'https://93.184.215.14/hook')
    expect(res.statusCode, res.body).toBe(201)
    const id = res.json<{ id: string }>().id
    for (const url of [`http://127.1:${rx.port}/h`, `http://[::ffff:127.0.0.1]:${rx.port}/h`, 'http://169.254.169.254/']) {
      const patch = await call(off.app, offAdmin, { method: 'PATCH', url: `/api/webhooks/${id}`, payload: { url } })
      expect(patch.statusCode, url).toBe(400)
      expect(patch.json().details[0].field).toBe('url')
    }
    const got = await call(off.app, offAdmin, { method: 'GET', url: `/api/webhooks/${id}` })
    expect(got.json().url).toBe('https://93.184.215.14/hook')
    await remove(off, offAdmin, id)
  })

  it('at send, a name that now resolves to loopback is refused without a connection, by the worker and by "Send test"', async () => {
    let now = addr('93.184.215.14')
    resolveWith(off, async () => now)
    const res = await create(off, offAdmin, `http://turncoat.example.test:${rx.port}/h`)
    expect(res.statusCode, res.body).toBe(201)
    const id = res.json<{ id: string }>().id
    // The name's owner points it at the server's own loopback after the check at create.
    now = addr('127.0.0.1')
    await off.services.db.db.transaction().execute((trx) => off.services.webhooks.enqueue(trx, { type: 'credential.leaked', data: { name: 'x' } }))
    const [result] = await off.services.webhooks.run()
    expect(result).toMatchObject({ ok: false, statusCode: null })
    const test = await sendTest(off, offAdmin, id)
    expect(test).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null })
    expect(test.last_error).toBe(result!.error)
    expect(test.last_error).not.toMatch(/127|loopback|ECONN|ENOTFOUND|EAI_|timeout|refused/i)
    expect(rx.connections).toBe(0)
    await remove(off, offAdmin, id)
  })
})

describe('webhook targets with private targets on', () => {
  it('the local receiver gets the delivery', async () => {
    const res = await create(on, onAdmin, `http://127.0.0.1:${rx.port}/h`)
    expect(res.statusCode, res.body).toBe(201)
    const test = await sendTest(on, onAdmin, res.json().id)
    expect(test).toMatchObject({ status: 'delivered', last_status_code: 200 })
    expect(rx.hits).toEqual([{ host: `127.0.0.1:${rx.port}`, event: 'webhook.test' }])
    await remove(on, onAdmin, res.json().id)
  })

  it('still refuses link-local (cloud metadata), unspecified, multicast and broadcast addresses', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', `http://0.0.0.0:${rx.port}/h`, `http://[::]:${rx.port}/h`, 'http://224.0.0.1/', 'http://255.255.255.255/']) {
      const res = await create(on, onAdmin, url)
      expect(res.statusCode, url).toBe(400)
      expect(res.json().message, url).toMatch(/never/)
    }
    expect(rx.connections).toBe(0)
  })

  it('connects to the address it checked: one lookup per send, the URL\'s host in the Host header', async () => {
    let lookups = 0
    // The first answer is the receiver; any later lookup would get an address nobody listens on.
    resolveWith(on, async () => (++lookups === 1 ? addr('127.0.0.1') : addr('192.0.2.1')))
    const res = await create(on, onAdmin, `http://rebind.example.test:${rx.port}/h`)
    expect(res.statusCode, res.body).toBe(201)
    lookups = 0
    const test = await sendTest(on, onAdmin, res.json().id)
    expect(test).toMatchObject({ status: 'delivered', last_status_code: 200 })
    expect(lookups).toBe(1)
    expect(rx.hits).toEqual([{ host: `rebind.example.test:${rx.port}`, event: 'webhook.test' }])
    await remove(on, onAdmin, res.json().id)
  })

  it('"Send test" answers a closed port, an unknown name, a reset and a silent receiver alike; the detail is in the server log only', async () => {
    const closed = await freePort()
    const reset = await receiver('reset')
    const silent = await receiver('silent')
    resolveWith(on, async (host) => {
      if (host === 'nowhere.example.test') throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
      return addr('127.0.0.1')
    })
    try {
      const outcomes: Array<ReturnType<typeof outcome>> = []
      for (const url of [`http://127.0.0.1:${closed}/h`, `http://nowhere.example.test:${rx.port}/h`, `http://127.0.0.1:${reset.port}/h`, `http://127.0.0.1:${silent.port}/h`]) {
        const res = await create(on, onAdmin, url)
        expect(res.statusCode, `${url}: ${res.body}`).toBe(201)
        const test = await sendTest(on, onAdmin, res.json().id)
        outcomes.push(outcome(test))
        await remove(on, onAdmin, res.json().id)
      }
      expect(outcomes[0]).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null })
      expect(outcomes[0]!.last_error).not.toMatch(/ECONN|ENOTFOUND|EAI_|refused|reset|timeout|within/i)
      for (const o of outcomes.slice(1)) expect(o).toEqual(outcomes[0])
      expect(reset.hits).toHaveLength(1)
      expect(silent.hits).toHaveLength(1)
      expect(rx.connections).toBe(0)
      const log = logLines.join('')
      expect(log).toContain('ECONNREFUSED')
      expect(log).toContain('ENOTFOUND')
    } finally {
      await reset.close()
      await silent.close()
    }
  })
})

describe('the address policy', () => {
  it('names every non-public address, in every IPv6 form that carries an IPv4 one, and passes public ones', () => {
    const table: Array<[string, ReturnType<typeof forbiddenCategory>]> = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
      ['10.9.8.7', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.0.1', 'private'], ['fec0::1', 'private'],
      ['169.254.169.254', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf::1', 'link-local'], ['fc00::1', 'unique-local'], ['fdff::1', 'unique-local'],
      ['fd00:ec2::254', 'cloud metadata'], ['100.100.100.200', 'cloud metadata'], ['100.64.0.1', 'carrier-grade NAT'], ['100.127.255.255', 'carrier-grade NAT'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'],
      ['192.0.2.1', 'documentation'], ['2001:db8::1', 'documentation'], ['2001:0:4136:e378::1', 'reserved'], ['4000::1', 'reserved'],
      ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['0:0:0:0:0:ffff:a00:1', 'private'], ['::ffff:169.254.169.254', 'link-local'],
      ['::127.0.0.1', 'loopback'], ['::ffff:0:127.0.0.1', 'loopback'], ['64:ff9b::10.0.0.1', 'private'], ['64:ff9b::7f00:1', 'loopback'],
      ['2002:7f00:1::', 'loopback'], ['2002:c0a8:101::1', 'private'], ['::ffff:0.0.0.0', 'unspecified'],
      ['93.184.215.14', null], ['8.8.8.8', null], ['172.32.0.1', null], ['100.128.0.1', null], ['2606:4700::1111', null], ['::ffff:8.8.8.8', null],
      ['64:ff9b::8.8.8.8', null], ['2002:808:808::1', null], ['not-an-address', null],
    ]
    expect(table.map(([a]) => [a, forbiddenCategory(a)])).toEqual(table)
  })

  it('refuses a literal or a name by its addresses, lets the setting through for private ones only', async () => {
    const resolve = async () => [{ address: '10.0.0.5', family: 4 }]
    await expect(new TargetPolicy(false, resolve).addresses(new URL('http://intranet.example.test/'))).rejects.toBeInstanceOf(TargetRefused)
    await expect(new TargetPolicy(true, resolve).addresses(new URL('http://intranet.example.test/'))).resolves.toEqual([{ address: '10.0.0.5', family: 4 }])
    await expect(new TargetPolicy(true, resolve).addresses(new URL('http://169.254.169.254/'))).rejects.toBeInstanceOf(TargetRefused)
    // The URL parser's own IPv4 forms reach the policy as dotted quads; no lookup is made for a literal.
    let asked = 0
    const counting = new TargetPolicy(false, async () => { asked++; return [] })
    for (const host of ['2130706433', '0x7f000001', '127.1', '0177.0.0.1', '[::ffff:127.0.0.1]']) {
      await expect(counting.addresses(new URL(`http://${host}/`)), host).rejects.toMatchObject({ category: 'loopback', literal: true })
    }
    expect(asked).toBe(0)
  })

  it('the request\'s lookup answers with the checked addresses whatever it is asked, one or all', async () => {
    const lookup = pinnedLookup([{ address: '93.184.215.14', family: 4 }, { address: '2606:4700::1111', family: 6 }]) as unknown as (
      host: string, opts: object, cb: (err: Error | null, a?: unknown, f?: number) => void) => void
    const ask = (opts: object) => new Promise<unknown[]>((resolve) => lookup('rebind.example.test', opts, (err, a, f) => resolve([err, a, f])))
    expect(await ask({})).toEqual([null, '93.184.215.14', 4])
    expect(await ask({ all: true })).toEqual([null, [{ address: '93.184.215.14', family: 4 }, { address: '2606:4700::1111', family: 6 }], undefined])
    expect(await ask({ family: 6 })).toEqual([null, '2606:4700::1111', 6])
    expect(await ask({ all: true, family: 4 })).toEqual([null, [{ address: '93.184.215.14', family: 4 }], undefined])
  })
})
