// Bulk revoke of every expired credential at scale, on SQLite and PostgreSQL. For each
// database: BULK_SIZE tokens (default 100000) are seeded, then an administrator starts the job
// (Prefer: respond-async) while a gateway's trickle of checks is already arriving; while it runs, wrk
// measures /api/verify and a writer creates a token every half second. Printed: rows revoked, batches, rows/s and the mean batch time; /api/verify throughput
// during the job as a share of its throughput alone (target ≥ 80%, as for console reads); how long a
// create waited while the job ran (one batch at most, never the whole job); server RSS peak (≤ 200 MB).
// BULK_DBS=sqlite,postgres picks databases; BULK_SECONDS is wrk's window (default 5).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { seed } from '../scripts/seed.js'
import { startCluster } from '../tests/support/pg-cluster.js'
import { freshDatabase, pct } from './scale-lib.js'
import { benchServerEnv, freePort, pinningNote, rssMb, serverNodeFlags, sleep, start, stopAll, waitReady } from './lib/proc.js'
import { runWrk, tempDir, writeScript, WRK } from './lib/wrk.js'
import type { BulkRevokeJob } from '../contract/bulk-revokes.js'

const size = Number(process.env.BULK_SIZE) || 100_000
const seconds = Number(process.env.BULK_SECONDS) || 5
const dbs = (process.env.BULK_DBS ?? 'sqlite,postgres').split(',').map((s) => s.trim())
const root = path.resolve(import.meta.dirname, '..')
const built = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: root, encoding: 'utf8' })
if (built.status !== 0) throw new Error(`npm run build:server failed:\n${built.stdout}${built.stderr}`)
if (!fs.existsSync(WRK)) throw new Error(`${WRK} is needed`)
console.log(`bulk revoke of every expired credential, ${size.toLocaleString()} tokens seeded; node ${serverNodeFlags.join(' ')} build/server/main.js; ${pinningNote}`)

for (const db of dbs) {
  const pg = db === 'postgres'
  const cluster = pg ? await startCluster() : undefined
  const fresh = cluster ? await freshDatabase(cluster.url, 'tc_bulk') : undefined
  const dataDir = tempDir('tc-bulk-')
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const env = benchServerEnv(dataDir, port, fresh?.url)
  const serve = async () => {
    const child = start('server', process.execPath, [...serverNodeFlags, ...(process.env.BULK_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(root, 'build/server/main.js')], { ...env }, 0)
    await waitReady(child, `${base}/api/health`, performance.now(), 600_000)
    return child
  }
  await (await serve()).stop()
  const seeded = await seed(size, { dataDir, databaseUrl: fresh?.url, quiet: true })
  // The loader's writes reach the disk now, not inside the first commits measured (SQLite commits
  // with a sync on the event loop, and a sync behind a seed's worth of dirty pages takes seconds).
  spawnSync('sync')
  const server = await serve()
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }) })
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const csrf = ((await login.json()) as { csrf_token: string }).csrf_token
  const headers = { cookie, 'x-csrf-token': csrf, origin: base, 'content-type': 'application/json' }
  let n = 0
  const create = async () => {
    const t0 = performance.now()
    const r = await fetch(`${base}/api/web/namespaces/system/api_credentials`, { method: 'POST', headers, body: JSON.stringify({ name: `bulk-${db}-${Date.now()}-${n++}`, expiration_days: 30 }) })
    const body = (await r.json()) as { data: string }
    if (r.status !== 200) throw new Error(`create: ${r.status} ${JSON.stringify(body)}`)
    return { ms: performance.now() - t0, token: body.data }
  }
  const dir = tempDir('tc-bulk-wrk-')
  const script = writeScript(dir, 'verify', { path: '/api/verify', host: `127.0.0.1:${port}`, entries: [{ authorization: `APIToken ${(await create()).token}` }] })
  const createsAlone: number[] = []
  for (let i = 0; i < 20; i++) createsAlone.push((await create()).ms)
  const alone = await runWrk(base, script, seconds)

  // A gateway's steady trickle of checks (20 a second) from before the job starts, as in production,
  // where the job begins while checks are already arriving; wrk's load then comes on top.
  let trickling = true
  const verifyToken = (await create()).token
  const trickle = (async () => {
    while (trickling) {
      await (await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${verifyToken}` } })).arrayBuffer()
      await sleep(50)
    }
  })()
  await sleep(500)
  const started = await fetch(`${base}/api/web/namespaces/system/bulk_revoke/api_credentials`, {
    method: 'POST', headers: { ...headers, prefer: 'respond-async' }, body: JSON.stringify({ expired_selector: { all: {} } }),
  })
  const job0 = (await started.json()) as BulkRevokeJob
  if (started.status !== 202) throw new Error(`bulk revoke: ${started.status} ${JSON.stringify(job0)}`)
  const t0 = performance.now()
  let job = job0
  let peak = rssMb(server.pid)
  let done = false
  const during: number[] = []
  const readJob = async () => {
    job = (await (await fetch(`${base}/api/bulk_revokes/${job0.id}`, { headers })).json()) as BulkRevokeJob
    peak = Math.max(peak, rssMb(server.pid))
    return job.state !== 'running'
  }
  const watcher = (async () => {
    // Bounded: a job that has not ended in ten minutes is reported as it stands.
    while (!done && performance.now() - t0 < 600_000) {
      if (await readJob()) break
      await sleep(50)
    }
    done = true
  })()
  const writer = (async () => {
    while (!done) {
      during.push((await create()).ms)
      await sleep(500)
    }
  })()
  const mixed = await runWrk(base, script, seconds)
  const wrkEndedFirst = !done
  // Paced while checks arrive; once they stop (the trickle ends with wrk), the job runs at full speed.
  const pacedRevoked = job.revoked
  const pacedS = (performance.now() - t0) / 1000
  trickling = false
  await trickle
  await watcher
  const elapsed = (performance.now() - t0) / 1000
  await writer
  const label = pg ? 'PostgreSQL' : 'SQLite'
  console.log(`\n### ${label}: ${size.toLocaleString()} tokens (seeded in ${seeded.seconds.toFixed(1)} s)\n`)
  console.log(`- job ${job.state}: ${job.revoked.toLocaleString()} of ${job.total.toLocaleString()} expired revoked in ${job.batches} batches of ≤ ${job.batch_size}, ${elapsed.toFixed(1)} s; ` +
    `${(pacedRevoked / pacedS).toFixed(0)} rows/s while checks arrived (the job then takes at most a tenth of the event loop), ${((job.revoked - pacedRevoked) / Math.max(0.001, elapsed - pacedS)).toFixed(0)} rows/s after`)
  console.log(`- /api/verify while it runs: ${mixed.rps.toFixed(0)}/s vs ${alone.rps.toFixed(0)}/s alone = ${((mixed.rps / alone.rps) * 100).toFixed(0)}% (target ≥ 80%: ${mixed.rps / alone.rps >= 0.8 ? 'met' : 'MISSED'}), p99 ${mixed.p99ms.toFixed(1)} ms vs ${alone.p99ms.toFixed(1)} ms${wrkEndedFirst ? '' : ' (the job ended inside the window)'}`)
  console.log(`- a create while it runs: p50 ${pct(during, 50).toFixed(0)} ms, max ${Math.max(...during).toFixed(0)} ms over ${during.length} creates (alone p50 ${pct(createsAlone, 50).toFixed(0)} ms): a create waits for one batch at most, never for the job (${(elapsed * 1000).toFixed(0)} ms)`)
  console.log(`- server RSS peak ${peak.toFixed(0)} MB (≤ 200 ${peak <= 200 ? 'met' : 'MISSED'})`)
  await server.stop()
  await fresh?.drop()
  cluster?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(dataDir, { recursive: true, force: true })
}
await stopAll()
