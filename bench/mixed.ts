// The mixed load, one console request kind at a time: /api/verify throughput alone, then with 8
// closed-loop readers of each kind (list sorted by name, planner, common-word search, audit CSV
// export) and of all four together, as a share of the alone figure, with server RSS. The scale table
// (bench/scale.ts) prints only the all-kinds line; this shows which kind costs the checks what.
// MIXED_KINDS=1,4 runs only those kinds (1-based); MIXED_NODE_ARGS adds node flags (--cpu-prof, say).
// MIXED_SIZE tokens (default 100000) on SQLite, seeded once into MIXED_DATA_DIR when it holds no database;
// MIXED_DB=postgres: a throwaway PostgreSQL cluster (not pinned) seeded anew.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import fs from 'node:fs'
import { seed } from '../scripts/seed.js'
import { startCluster } from '../tests/support/pg-cluster.js'
import { freshDatabase } from './scale-lib.js'
import { benchServerEnv, cpuMs, freePort, pinningNote, rssMb, serverNodeFlags, start, stopAll, waitReady } from './lib/proc.js'
import { runWrk, tempDir, writeScript, WRK } from './lib/wrk.js'

const size = Number(process.env.MIXED_SIZE) || 100_000
const seconds = Number(process.env.MIXED_SECONDS) || 5
const root = path.resolve(import.meta.dirname, '..')
const built = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: root, encoding: 'utf8' })
if (built.status !== 0) throw new Error(`npm run build:server failed:\n${built.stdout}${built.stderr}`)
const pg = process.env.MIXED_DB === 'postgres'
const cluster = pg ? await startCluster() : undefined
const fresh = cluster ? await freshDatabase(cluster.url, 'tc_mixed') : undefined
const dataDir = pg ? tempDir('tc-mixed-') : process.env.MIXED_DATA_DIR ?? tempDir('tc-mixed-')
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const env = benchServerEnv(dataDir, port, fresh?.url)
// The read threads' priority: 0 is how they ran before console reads stepped back (as the event loop), 19 the default.
const nices = (process.env.MIXED_NICES ?? '0,19').split(',').map((s) => s.trim())
const serve = async () => {
  const child = start('server', process.execPath, [...serverNodeFlags, ...(process.env.MIXED_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'build/server/main.js')], { ...env }, 0)
  await waitReady(child, `${base}/api/health`, performance.now(), 600_000)
  return child
}
if (pg || !fs.existsSync(path.join(dataDir, 'token-console.sqlite'))) {
  await (await serve()).stop()
  const s = await seed(size, { dataDir, databaseUrl: fresh?.url, quiet: true })
  console.log(`seeded ${size.toLocaleString()} tokens in ${s.seconds.toFixed(1)} s`)
}
console.log(`mixed load by console request kind, ${size.toLocaleString()} tokens on ${pg ? 'PostgreSQL' : 'SQLite'}, ${seconds} s of wrk each; node ${serverNodeFlags.join(' ')} build/server/main.js; ${pinningNote}`)
for (const nice of nices) {
  env.CONSOLE_READ_NICE = nice
  console.log(`\nCONSOLE_READ_NICE=${nice}`)
  const server = await serve()
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }) })
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const csrf = ((await login.json()) as { csrf_token: string }).csrf_token
  const headers = { cookie, 'x-csrf-token': csrf, origin: base, 'content-type': 'application/json' }
  const created = await fetch(`${base}/api/web/namespaces/system/api_credentials`, { method: 'POST', headers, body: JSON.stringify({ name: `mixed-${Date.now()}`, expiration_days: 30 }) })
  const token = ((await created.json()) as { data: string }).data
  const dir = tempDir('tc-mixed-wrk-')
  const script = writeScript(dir, 'verify', { path: '/api/verify', host: `127.0.0.1:${port}`, entries: [{ authorization: `APIToken ${token}` }] })
  if (!fs.existsSync(WRK)) throw new Error(`${WRK} is needed`)

  const kinds: Array<[string, string[]]> = [
    ['list sorted by name', ['/api/inventory?sort=name&limit=50']],
    ['planner', ['/api/inventory/planner?limit=50']],
    ['common-word search', ['/api/inventory?q=payments&limit=50']],
    ['audit CSV export', ['/api/audit/export.csv']],
    ['all four (the scale table\'s line)', ['/api/inventory?sort=name&limit=50', '/api/inventory/planner?limit=50', '/api/audit/export.csv', '/api/inventory?q=payments&limit=50']],
  ]
  const only = process.env.MIXED_KINDS?.split(',').map(Number)
  if (only) for (let i = kinds.length - 1; i >= 0; i--) if (!only.includes(i + 1)) kinds.splice(i, 1)
  const aloneCpu0 = cpuMs([server.pid])
  const aloneT0 = performance.now()
  const alone = await runWrk(base, script, seconds)
  console.log(`alone: ${alone.rps.toFixed(0)}/s, p99 ${alone.p99ms.toFixed(1)} ms; server CPU ${(((cpuMs([server.pid]) - aloneCpu0) / (performance.now() - aloneT0)) * 100).toFixed(0)}% of a core`)
  for (const [label, urls] of kinds) {
    let stop = false
    let peak = rssMb(server.pid)
    let failed = 0
    let done = 0
    const why = new Set<string>()
    const readers = Array.from({ length: 8 }, (_, i) => (async () => {
      let n = 0
      while (!stop) {
        // A refusal or a broken-off stream counts as failed.
        const url = urls[(i + n++) % urls.length]
        const path = url.split('?')[0]
        const ok = await fetch(base + url, { headers })
          .then(async (r) => {
            const body = await r.text()
            if (r.status >= 300) why.add(`${path}: ${r.status} ${body.slice(0, 120)}`)
            return r.status < 300
          })
          .catch((e: Error) => { why.add(`${path}: ${e.message}`); return false })
        if (!ok) failed++
        else done++
        peak = Math.max(peak, rssMb(server.pid))
      }
    })())
    const cpu0 = cpuMs([server.pid])
    const t0 = performance.now()
    const mixed = await runWrk(base, script, seconds)
    // The server's CPU (all its threads) over the window: below a whole core, the checks were not short of CPU.
    const serverCpu = (cpuMs([server.pid]) - cpu0) / (performance.now() - t0)
    stop = true
    await Promise.all(readers)
    console.log(`${label.padEnd(36)} verify ${mixed.rps.toFixed(0).padStart(6)}/s = ${((mixed.rps / alone.rps) * 100).toFixed(0).padStart(3)}% of alone (target ≥ 80%), p99 ${mixed.p99ms.toFixed(1)} ms; server CPU ${(serverCpu * 100).toFixed(0)}% of a core; ${done} console answers (${failed} failed); RSS peak ${peak.toFixed(0)} MB${why.size ? `\n    failures: ${[...why].join('; ')}` : ''}`)
}
  await server.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}
await stopAll()
await fresh?.drop()
cluster?.stop()
if (pg || !process.env.MIXED_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true })
