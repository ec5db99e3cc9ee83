// The write path, on SQLite and PostgreSQL: (a) creates a second with 20 concurrent API-token clients
// (20 developers, each creating its own tokens with its own API token: POST of the F5 create path),
// then the audit chain checked whole (GET /api/audit/verify); (b) /api/verify throughput alone and
// during a burst of creates from those 20 clients, as a ratio (target ≥ 0.8). The compiled server on
// core 0 (PostgreSQL's processes too), wrk on core 1; every load bounded, every process stopped at the end.
// WRITES_DB=sqlite,postgres picks databases; WRITES_SECONDS is each timed window (default 5);
// WRITES_NODE_ARGS adds node flags to the server (--cpu-prof, say).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { startCluster, type Cluster } from '../tests/support/pg-cluster.js'
import { freshDatabase } from './scale-lib.js'
import * as api from './lib/api.js'
import { benchServerEnv, cpuSince, cpuSnapshot, freePort, pinningNote, pinPid, serverNodeFlags, sleep, start, stopAll, waitReady, withChildren } from './lib/proc.js'
import { fixed, int, line, printSummary, setScope } from './lib/report.js'
import { runWrk, tempDir, writeScript, WRK, type WrkResult } from './lib/wrk.js'

const SECONDS = Number(process.env.WRITES_SECONDS) || 5
const CLIENTS = 20
const CHECK_TOKENS = 200
const DBS = (process.env.WRITES_DB ?? 'sqlite,postgres').split(',').map((s) => s.trim())
const ROOT = path.resolve(import.meta.dirname, '..')
const tmp = tempDir('tc-writes-')
let cluster: Cluster | undefined
let postmaster: number | undefined

const built = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: ROOT, encoding: 'utf8' })
if (built.status !== 0) throw new Error(`npm run build:server failed:\n${built.stdout}${built.stderr}`)
if (!fs.existsSync(WRK)) throw new Error(`${WRK} is needed`)
const head = spawnSync('git', ['log', '-1', '--format=%h %s'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim().slice(0, 90)
console.log(`write path: ${CLIENTS} API-token clients creating, ${SECONDS} s windows; node ${serverNodeFlags.join(' ')} build/server/main.js; ${pinningNote}\ncode: ${head}`)

/** A wrk script whose every request creates a token of a new name, cycling over the clients' tokens. */
function createScript(name: string, host: string, tokens: string[], tag: string): string {
  const file = path.join(tmp, `${name}.lua`)
  fs.writeFileSync(file, `
local tokens = { ${tokens.map((t) => JSON.stringify(`APIToken ${t}`)).join(', ')} }
local n = 0
function request()
  n = n + 1
  local h = { ["Host"] = ${JSON.stringify(host)}, ["Content-Type"] = "application/json", ["Authorization"] = tokens[n % #tokens + 1] }
  return wrk.format("POST", "/api/web/namespaces/system/api_credentials", h, '{"name":"${tag}-' .. n .. '","expiration_days":30}')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"statuses":{}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
`)
  return file
}

const errors = (r: WrkResult) => r.non2xx + r.socketErrors

for (const db of DBS) {
  const isPg = db === 'postgres'
  setScope(isPg ? 'PostgreSQL' : 'SQLite')
  if (isPg && !cluster) {
    cluster = await startCluster()
    const client = new pg.Client({ connectionString: cluster.url })
    await client.connect()
    const dir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory
    await client.end()
    postmaster = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0])
    // Backends fork from the postmaster and inherit its core: PostgreSQL shares core 0 with the server.
    console.log(pinPid(postmaster, 0) ? 'PostgreSQL pinned to core 0 with the server; its CPU counts as the server\'s' : 'PostgreSQL UNPINNED')
  }
  const fresh = isPg ? await freshDatabase(cluster!.url, 'tc_writes') : undefined
  const dataDir = tempDir('tc-writes-data-')
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const host = `127.0.0.1:${port}`
  const server = start('server', process.execPath, [...serverNodeFlags, ...(process.env.WRITES_NODE_ARGS?.split(' ').filter(Boolean) ?? []), path.join(ROOT, 'build/server/main.js')], benchServerEnv(dataDir, port, fresh?.url), 0)
  await waitReady(server, `${base}/api/health`, performance.now(), 120_000)
  const pids = () => [server.pid, ...(isPg && postmaster ? withChildren(postmaster) : [])]

  const s = await api.login(base, 'bench@example.com', 'bench-password-123456')
  const post = async (p: string, body: unknown) => {
    const r = await fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base, cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify(body) })
    const json = (await r.json()) as Record<string, unknown>
    if (r.status !== 200 && r.status !== 201) throw new Error(`${p}: ${r.status} ${JSON.stringify(json)}`)
    return json
  }
  const clients: string[] = []
  for (let i = 0; i < CLIENTS; i++) {
    const user = await post('/api/users', { email: `writer${i}@example.com`, name: `Writer ${i}`, role: 'developer', password: 'writer-password-123456' })
    const created = await post('/api/web/namespaces/system/api_credentials', { name: `writer-${i}-client`, expiration_days: 30, owner_id: user.id })
    clients.push(created.data as string)
  }
  const checks = await api.createMany(s, 'check', CHECK_TOKENS)
  const verifyScript = writeScript(tmp, `verify-${db}`, { path: '/api/verify', host, entries: checks.map((t) => ({ authorization: `APIToken ${t}` })) })
  console.log(`\n### ${isPg ? 'PostgreSQL (throwaway cluster, fsync=off)' : 'SQLite (synchronous=FULL)'}\n`)

  // (a) creates alone: a short warm-up, then the timed window.
  await runWrk(base, createScript(`warm-${db}`, host, clients, `warm-${db}`), 1, CLIENTS)
  const c0 = cpuSnapshot(pids())
  const creates = await runWrk(base, createScript(`create-${db}`, host, clients, `burst-${db}`), SECONDS, CLIENTS)
  const createCpu = cpuSince(c0, cpuSnapshot(pids()))
  line(`creates/s, ${CLIENTS} API-token clients`, `${int(creates.rps)}/s, p99 ${fixed(creates.p99ms, 1)} ms, ${errors(creates)} errors`, creates.rps, { op: '>=', value: 1000, unit: '/s' },
    `server CPU ${fixed((createCpu * 1000) / Math.max(1, creates.requests), 0)} µs a create`)
  const audit = await fetch(`${base}/api/audit/verify`, { headers: { cookie: s.cookie } })
  const chain = (await audit.json()) as { intact?: boolean; checked?: number }
  line('audit chain after the burst', `${chain.intact ? 'intact' : 'BROKEN'}, ${int(chain.checked ?? NaN)} rows`, chain.intact ? 1 : 0, { op: '=', value: 1, unit: '' })

  // (b) checks alone, then during a create burst (the burst starts first and outlasts the window), then alone again.
  await runWrk(base, verifyScript, 1)
  const alone1 = await runWrk(base, verifyScript, SECONDS)
  const burst = runWrk(base, createScript(`mixed-${db}`, host, clients, `mixed-${db}`), SECONDS + 2, CLIENTS)
  await sleep(1000)
  const during = await runWrk(base, verifyScript, SECONDS)
  const burstResult = await burst
  const alone2 = await runWrk(base, verifyScript, SECONDS)
  const alone = (alone1.rps + alone2.rps) / 2
  line('/api/verify alone', `${int(alone)}/s (${int(alone1.rps)} before, ${int(alone2.rps)} after)`, alone)
  line('/api/verify during the create burst', `${int(during.rps)}/s = ${fixed(during.rps / alone)}× alone, p99 ${fixed(during.p99ms, 1)} ms`, during.rps / alone, { op: '>=', value: 0.8, unit: '×' },
    `creates meanwhile ${int(burstResult.rps)}/s, ${errors(burstResult)} errors`)
  const after = (await (await fetch(`${base}/api/audit/verify`, { headers: { cookie: s.cookie } })).json()) as { intact?: boolean }
  line('audit chain after the mixed burst', after.intact ? 'intact' : 'BROKEN', after.intact ? 1 : 0, { op: '=', value: 1, unit: '' })

  await server.stop()
  await fresh?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
cluster?.stop()
await stopAll()
fs.rmSync(tmp, { recursive: true, force: true })
printSummary()
