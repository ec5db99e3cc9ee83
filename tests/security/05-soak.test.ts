// Part 6: soak. Mixed load (token checks, creates, revokes, lists, sign-ins) against the real server
// from a bounded pool of clients: zero errors, p99 and RSS each interval, retained RSS flat after warm-up.
import crypto from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { API, request, Session, type Res } from './support/http.js'
import { BodyLog, dialect, figure, intEnv, percentile, recordTokens, sleep } from './support/run.js'
import { ChildServer, GC_ON_SIGNAL } from './support/server.js'

const SECONDS = dialect() === 'sqlite' ? intEnv('SOAK_SECONDS', 300) : intEnv('SOAK_PG_SECONDS', intEnv('SOAK_SECONDS', 300))
// Minutes when the soak is long enough to have five of them; otherwise five equal intervals.
const INTERVAL_S = SECONDS >= 300 ? 60 : SECONDS / 5
const CONCURRENCY = 16
const POOL = 200

const server = new ChildServer('soak', { MAX_ACTIVE_TOKENS_PER_USER: '1000000' }, GC_ON_SIGNAL)
afterAll(() => server.stop())

describe('soak', () => {
  it(`${SECONDS} s of mixed load: no errors, RSS after a full collection in the last interval within 10% of the second`, async () => {
    await server.start()
    const admin = await Session.login(server.origin)
    const bodies = new BodyLog('soak')
    const live: Array<{ name: string; token: string }> = []
    const revoked: string[] = []
    const issued: string[] = []
    const create = async () => {
      const name = `soak-${crypto.randomBytes(6).toString('hex')}`
      const res = await admin.call('POST', `${API}/api_credentials`, { name, expiration_days: 30 })
      if (res.status === 200) {
        const token = res.json<{ data: string }>().data
        live.push({ name, token })
        issued.push(token)
      }
      return res
    }
    for (let i = 0; i < 50; i++) await create()

    const errors: string[] = []
    const unexpected: string[] = []
    let latencies: number[] = []
    let count = 0
    let total = 0
    let lastSignIn = 0
    const rss: number[] = []
    const retained: number[] = []
    const lines: string[] = []
    const deadline = Date.now() + SECONDS * 1000

    const byOp = new Map<string, number[]>()
    const expectStatus = (what: string, res: Res, want: number | number[]) => {
      latencies.push(res.ms)
      const op = what.split('?')[0]
      if (!byOp.has(op)) byOp.set(op, [])
      byOp.get(op)!.push(res.ms)
      count++
      bodies.add(res.status, res.text)
      if (res.status >= 500) errors.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`)
      else if (!(Array.isArray(want) ? want : [want]).includes(res.status)) unexpected.push(`${what}: ${res.status} (expected ${want}) ${res.text.slice(0, 200)}`)
    }

    const worker = async () => {
      while (Date.now() < deadline) {
        const roll = Math.random()
        const pick = () => live[Math.floor(Math.random() * live.length)]
        try {
          if (Date.now() - lastSignIn > 1000) {
            lastSignIn = Date.now()
            const started = performance.now()
            await Session.login(server.origin)
            expectStatus('sign-in', { status: 200, text: '', ms: performance.now() - started } as Res, 200)
          } else if (roll < 0.55 && live.length) {
            const t = pick()
            const res = await request(server.origin, 'GET', '/api/verify', { headers: { authorization: `APIToken ${t.token}` } })
            // A worker may have revoked it while this check was in flight; then a refusal is right.
            expectStatus('verify', res, live.includes(t) ? 204 : [204, 401, 429])
          } else if (roll < 0.60 && revoked.length) {
            const token = revoked[Math.floor(Math.random() * revoked.length)]
            // Refused either way: past the per-address failure limit the answer is 429 instead of 401.
            expectStatus('verify revoked', await request(server.origin, 'GET', '/api/verify', { headers: { authorization: `APIToken ${token}` } }), [401, 429])
          } else if (roll < 0.65 && live.length) {
            const t = pick()
            const res = await request(server.origin, 'GET', '/api/web/custom/namespaces/system/whoami', { headers: { authorization: `APIToken ${t.token}` } })
            expectStatus('whoami', res, live.includes(t) ? 200 : [200, 401, 429])
          } else if (roll < 0.80) {
            const paths = [`${API}/api_credentials?limit=50`, `${API}/api_credentials?q=soak&sort=created&order=desc&limit=20`, '/api/inventory?limit=50', '/api/audit?limit=50']
            const path = paths[Math.floor(Math.random() * paths.length)]
            expectStatus(`list ${path}`, await admin.call('GET', path), 200)
          } else if (live.length < POOL) {
            // Creates and revokes held in balance around the pool size: as a random walk the pool
            // (and with it the working set) would drift upward for the whole soak.
            expectStatus('create', await create(), 200)
          } else {
            const i = Math.floor(Math.random() * live.length)
            const [t] = live.splice(i, 1)
            const res = await admin.call('POST', `${API}/revoke/api_credentials`, { name: t.name })
            expectStatus('revoke', res, 200)
            if (res.status === 200) revoked.push(t.token)
            if (revoked.length > 500) revoked.shift()
          }
        } catch (err) {
          count++
          errors.push(`connection: ${(err as Error).message}`)
          await sleep(50)
        }
      }
    }

    const started = Date.now()
    const sampler = (async () => {
      for (let i = 1; Date.now() < deadline; i++) {
        // An interval's RSS is the mean of a sample every 2 s: one reading lands anywhere on the
        // garbage collector's saw-tooth and can differ from the next by more than the 10% allowed.
        const samples: number[] = []
        const afterGc: number[] = []
        const end = started + i * INTERVAL_S * 1000
        while (Date.now() < end) {
          await sleep(Math.min(2000, Math.max(0, end - Date.now())))
          samples.push(server.rssMiB())
          // The mean rides the collector's saw-tooth (old space grows to about twice the live heap
          // before a full collection, for tens of seconds); after a forced one, RSS is what is
          // retained. Read three times an interval: the lowest is the floor a leak would raise,
          // apart from the worker threads' heaps and the allocator, which swing on their own.
          if (samples.length % Math.max(1, Math.round(INTERVAL_S / 6)) === 0 && end - Date.now() > 1500) afterGc.push(await server.retainedMiB())
        }
        const mib = samples.reduce((a, b) => a + b, 0) / samples.length
        rss.push(mib)
        afterGc.push(await server.retainedMiB())
        const kept = Math.min(...afterGc)
        retained.push(kept)
        const p99 = percentile(latencies, 99)
        const line = `soak[${dialect()}] ${INTERVAL_S === 60 ? 'minute' : 'interval'} ${i}: ${count} requests (${(count / INTERVAL_S).toFixed(0)}/s), p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, RSS ${mib.toFixed(1)} MiB (mean), ${kept.toFixed(1)} MiB after a full collection (lowest of ${afterGc.map((x) => x.toFixed(0)).join(', ')}), ${errors.length} errors so far`
        lines.push(`${i}: p99 ${p99.toFixed(1)} ms, RSS ${mib.toFixed(0)} MiB mean, ${kept.toFixed(0)} MiB retained`)
        console.log(line)
        total += count
        latencies = []
        count = 0
      }
    })()
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()))
    await sampler
    bodies.close()
    recordTokens(issued)

    console.log(`soak[${dialect()}] p99 by operation: ${[...byOp].map(([op, v]) => `${op} ${percentile(v, 99).toFixed(1)} ms (${v.length})`).join(', ')}`)
    const second = retained[1]
    const last = retained[retained.length - 1]
    const drift = ((last - second) / second) * 100
    const meanDrift = ((rss[rss.length - 1] - rss[1]) / rss[1]) * 100
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`
    for (const e of [...errors, ...unexpected].slice(0, 10)) console.log(`soak[${dialect()}] ${e}`)
    figure(`soak[${dialect()}]: ${SECONDS} s, ${total} requests, ${errors.length} errors (5xx or connection), ${unexpected.length} unexpected answers; per ${INTERVAL_S === 60 ? 'minute' : `${INTERVAL_S} s`}: ${lines.join('; ')}; RSS last vs second: retained ${signed(drift)} (the check), mean ${signed(meanDrift)}`)
    expect(errors.slice(0, 10)).toEqual([])
    expect(unexpected.slice(0, 10)).toEqual([])
    expect(retained.length).toBeGreaterThanOrEqual(3)
    expect(Math.abs(drift), `retained RSS ${second.toFixed(1)} → ${last.toFixed(1)} MiB`).toBeLessThanOrEqual(10)
  })
})
