// The scale table: for each database (SCALE_DB, default sqlite,postgres) and size (SCALE_SIZES,
// default 10000,100000,1000000) seeds a fresh database, starts the compiled server on core 0, and
// measures p50/p95 of every console read and write, server RSS (also while the full audit export
// streams), and /api/verify throughput alone vs with 8 console readers; then prints one table per
// database with the target beside each figure. PostgreSQL: a throwaway cluster (or the server in
// DATABASE_URL), one new database per size. Never fails `npm test`.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import fs from 'node:fs'
import { seed } from '../scripts/seed.js'
import { startCluster, type Cluster } from '../tests/support/pg-cluster.js'
import { benchServerEnv, freePort, pinningNote, rssMb, serverNodeFlags, start, stopAll, waitReady } from './lib/proc.js'
import { runWrk, tempDir, writeScript, WRK } from './lib/wrk.js'
import { freshDatabase, pct, printTable, type Sample, type SizeFacts } from './scale-lib.js'

const sizes = (process.env.SCALE_SIZES ?? '10000,100000,1000000').split(',').map(Number)
const dbs = (process.env.SCALE_DB ?? 'sqlite,postgres').split(',').map((s) => s.trim())
const N = Number(process.env.SCALE_SAMPLES) || 30
const BUDGET = Number(process.env.SCALE_BUDGET_MS) || 15_000
const root = path.resolve(import.meta.dirname, '..')
const ENTRY = path.join(root, 'build/server/main.js')
const API = '/api/web/namespaces/system/api_credentials'

const built = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: root, encoding: 'utf8' })
if (built.status !== 0) throw new Error(`npm run build:server failed:\n${built.stdout}${built.stderr}`)
console.log(`Scale benchmark (bench/scale.ts), Node ${process.version}, compiled server (node ${serverNodeFlags.join(' ')} build/server/main.js, as npm start runs it); ${pinningNote}`)
console.log(`sizes ${sizes.join(', ')}; ${N} samples per request after 3 warm-ups (at least 5 once a request has taken ${BUDGET / 1000} s); figures from a shared machine move with its other work`)

async function measureDb(dbName: string) {
  const pg = dbName === 'postgres'
  const TARGET = pg ? 20 : 10
  let cluster: Cluster | undefined
  const adminUrl = pg ? (process.env.DATABASE_URL ?? (cluster = await startCluster()).url) : undefined
  const results = new Map<string, Map<number, Sample>>()
  const facts = new Map<number, SizeFacts>()
  let readLabels: string[] = []
  try {
    for (const size of sizes) {
      const dataDir = tempDir('tc-scale-')
      const fresh = adminUrl ? await freshDatabase(adminUrl, `tc_scale_${size}`) : undefined
      const port = await freePort()
      const base = `http://127.0.0.1:${port}`
      const env = benchServerEnv(dataDir, port, fresh?.url)
      const serve = async () => {
        const child = start('server', process.execPath, [...serverNodeFlags, ENTRY], env, 0)
        // A start over a large database on a busy machine took over a minute (PostgreSQL, 100k).
        await waitReady(child, `${base}/api/health`, performance.now(), 600_000)
        return child
      }
      // First start on the empty database creates the administrator; then the bulk load.
      await (await serve()).stop()
      const s = await seed(size, { dataDir, databaseUrl: fresh?.url, quiet: true })
      console.log(`\n## ${size.toLocaleString()} tokens on ${pg ? 'PostgreSQL' : 'SQLite'} (seeded in ${s.seconds.toFixed(1)} s)`)
      const server = await serve()
      const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }) })
      const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
      const csrf = ((await login.json()) as { csrf_token: string }).csrf_token
      const headers = { cookie, 'x-csrf-token': csrf, origin: base, 'content-type': 'application/json' }
      const get = async (url: string) => {
        const r = await fetch(base + url, { headers })
        const body = await r.text()
        if (r.status >= 300) throw new Error(`${url}: ${r.status} ${body.slice(0, 200)}`)
        return body
      }
      const post = async (url: string, body: unknown) => {
        const r = await fetch(base + url, { method: 'POST', headers, body: JSON.stringify(body) })
        const text = await r.text()
        if (r.status >= 300) throw new Error(`${url}: ${r.status} ${text.slice(0, 200)}`)
        return JSON.parse(text) as Record<string, unknown>
      }
      const created = await post(API, { name: 'bench-check-token', expiration_days: 30 })
      const token = created.data as string

      // A cursor 20 pages deep, for the deep-page line.
      let deep = ''
      for (let i = 0; i < 20; i++) deep = (JSON.parse(await get(`/api/inventory?sort=created&order=desc&limit=50${deep ? `&cursor=${deep}` : ''}`)) as { next_cursor: string }).next_cursor
      const rows: Array<[string, () => Promise<unknown>]> = [
        ['list, first page', () => get(`${API}?limit=50&sort=created&order=desc`)],
        ['list, page 21 by cursor', () => get(`/api/inventory?sort=created&order=desc&limit=50&cursor=${deep}`)],
        ...(['name', 'type', 'owner', 'scope', 'created', 'last_used', 'expires', 'status'] as const).map((s): [string, () => Promise<unknown>] => [`sort ${s}`, () => get(`/api/inventory?sort=${s}&limit=50`)]),
        ...['active', 'expired', 'revoked', 'disabled'].map((st): [string, () => Promise<unknown>] => [`filter status=${st}`, () => get(`/api/inventory?status=${st}&limit=50`)]),
        ['filter type=SERVICE_API_TOKEN', () => get('/api/inventory?type=SERVICE_API_TOKEN&limit=50')],
        ['filter expiring 14 days', () => get('/api/inventory?expiring_within_days=14&include_expired=false&sort=expires&limit=50')],
        ['filter usage never_used', () => get('/api/inventory?usage=never_used&limit=50')],
        ['filter usage idle_90', () => get('/api/inventory?usage=idle_90&limit=50')],
        ['search rare name', () => get(`/api/inventory?q=${encodeURIComponent('bench-check')}&limit=50`)],
        ['search common word, newest first', () => get('/api/inventory?q=payments&sort=created&order=desc&limit=50')],
        ['search common word, by name', () => get('/api/inventory?q=payments&sort=name&limit=50')],
        ['search owner email', () => get('/api/inventory?q=dev-&limit=50')],
        ['search 2 characters', () => get('/api/inventory?q=qa&limit=50')],
        ['audit first page', () => get('/api/audit?limit=50')],
        ['audit action=credential.revoke', () => get('/api/audit?action=credential.revoke&limit=50')],
        ['audit actor filter (no match)', () => get('/api/audit?actor=nobody%40example.com&limit=50')],
        ['audit free text (no match)', () => get('/api/audit?q=zzzz-nothing&limit=50')],
        ['planner (expired group)', () => get('/api/inventory/planner?limit=50')],
        ['planner (3-day group)', () => get('/api/inventory/planner?group=3&limit=50')],
        ['dashboard summary', () => get('/api/metrics/summary')],
        ['/metrics scrape', () => get('/metrics')],
      ]
      let seq = 0
      const writes: Array<[string, () => Promise<unknown>]> = [
        ['create', () => post(API, { name: `bench-w-${size}-${seq++}`, expiration_days: 30 })],
        ['renew', () => post('/api/web/namespaces/system/renew/api_credentials', { name: 'bench-check-token', expiration_days: 30 })],
        ['revoke', async () => {
          const name = `bench-r-${size}-${seq++}`
          await post(API, { name, expiration_days: 30 })
          const t0 = performance.now()
          await post('/api/web/namespaces/system/revoke/api_credentials', { name })
          return performance.now() - t0
        }],
        ['token check /api/verify', async () => {
          const r = await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}` } })
          await r.arrayBuffer()
        }],
      ]
      readLabels = rows.map(([l]) => l)
      // RSS sampled every 100 ms for the whole size, not only between requests.
      let peak = rssMb(server.pid)
      const sampler = setInterval(() => { peak = Math.max(peak, rssMb(server.pid)) }, 100)
      console.log(`${'request'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}  target p95`)
      for (const [label, fn] of [...rows, ...writes]) {
        const times: number[] = []
        const began = performance.now()
        let failures = 0
        for (let i = 0; i < N + 3; i++) {
          // A request far off its target would hold the run for minutes: after BUDGET ms it stops at 5 samples.
          if (times.length >= 5 && performance.now() - began > BUDGET) break
          const t0 = performance.now()
          // A refusal (a 503 past the console time limit) is counted, and its time kept as a sample.
          const own = await fn().catch(() => { failures++ })
          const ms = typeof own === 'number' ? own : performance.now() - t0
          if (i >= 3) times.push(ms)
        }
        if (server.proc.exitCode !== null || server.proc.signalCode !== null) {
          throw new Error(`the server ended (${server.proc.exitCode ?? server.proc.signalCode}) during "${label}"; its last output:\n${server.output()}`)
        }
        peak = Math.max(peak, rssMb(server.pid))
        const p95 = pct(times, 95)
        if (!results.has(label)) results.set(label, new Map())
        results.get(label)!.set(size, { p50: pct(times, 50), p95 })
        const isRead = rows.some(([l]) => l === label)
        console.log(`${label.padEnd(34)} ${pct(times, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)}  ${isRead ? `≤ ${TARGET} ${p95 <= TARGET ? 'met' : 'MISSED'}` : '-'}${failures ? ` (${failures} failed, e.g. 503 past the time limit)` : ''}`)
      }
      console.log(`server RSS ${rssMb(server.pid).toFixed(0)} MB, peak seen ${peak.toFixed(0)} MB (target ≤ 200)`)
      const fact: SizeFacts = { seeded: s.seconds, rssPeak: peak, exportRss: NaN, exportMb: NaN, exportS: NaN, mixed: NaN, verifyAlone: NaN, verifyMixed: NaN }
      facts.set(size, fact)

      // The largest answer the server gives: the whole audit log as CSV, read as it streams.
      {
        let exportPeak = rssMb(server.pid)
        const every = setInterval(() => { exportPeak = Math.max(exportPeak, rssMb(server.pid)) }, 50)
        const t0 = performance.now()
        const r = await fetch(`${base}/api/audit/export.csv`, { headers })
        let bytes = 0
        const reader = r.body!.getReader()
        for (let c = await reader.read(); !c.done; c = await reader.read()) bytes += c.value.byteLength
        clearInterval(every)
        Object.assign(fact, { exportRss: exportPeak, exportMb: bytes / 1e6, exportS: (performance.now() - t0) / 1000 })
        console.log(`audit export: ${(bytes / 1e6).toFixed(0)} MB in ${fact.exportS.toFixed(1)} s, server RSS peak while streaming ${exportPeak.toFixed(0)} MB (target ≤ 200)`)
      }

      if (fs.existsSync(WRK)) {
        const dir = tempDir('tc-scale-wrk-')
        const script = writeScript(dir, 'verify', { path: '/api/verify', host: `127.0.0.1:${port}`, entries: [{ authorization: `APIToken ${token}` }] })
        const alone = await runWrk(base, script, 4)
        let stop = false
        const consoleLoad = ['/api/inventory?sort=name&limit=50', '/api/inventory/planner?limit=50', '/api/audit/export.csv', '/api/inventory?q=payments&limit=50']
        const readers = Array.from({ length: 8 }, (_, i) => (async () => {
          let n = 0
          while (!stop) {
            try { await get(consoleLoad[(i + n++) % consoleLoad.length]) } catch { /* counted below as fewer reads */ }
            peak = Math.max(peak, rssMb(server.pid))
          }
          return n
        })())
        const mixed = await runWrk(base, script, 4)
        stop = true
        const reads = (await Promise.all(readers)).reduce((a, b) => a + b, 0)
        const ratio = mixed.rps / alone.rps
        Object.assign(fact, { mixed: ratio, verifyAlone: alone.rps, verifyMixed: mixed.rps })
        console.log(`mixed load: /api/verify ${alone.rps.toFixed(0)}/s alone, ${mixed.rps.toFixed(0)}/s with 8 console readers (${reads} reads incl. CSV exports): ${(ratio * 100).toFixed(0)}% (target ≥ 80% ${ratio >= 0.8 ? 'met' : 'MISSED'}); RSS peak ${peak.toFixed(0)} MB`)
        fs.rmSync(dir, { recursive: true, force: true })
      } else console.log(`mixed load: skipped (${WRK} not installed)`)
      clearInterval(sampler)
      fact.rssPeak = peak
      await server.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
      await fresh?.drop()
    }
    printTable(pg ? 'PostgreSQL' : 'SQLite', sizes, readLabels, results, facts, TARGET)
  } finally {
    cluster?.stop()
  }
}

for (const db of dbs) await measureDb(db)
await stopAll()
console.log('\nFigures from one run on a shared 2-core machine; compare ratios and medians, not single figures.')
