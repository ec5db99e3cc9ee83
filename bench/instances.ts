// Three instances on one PostgreSQL database, as a deployment beyond one machine runs them: token
// checks arrive at all three under wrk while an administrator creates and revokes tokens through them
// in turn. Measures how long a revoke on one instance takes to be refused on the other two (its
// NOTIFY reaching their check caches) and shows that usage is neither lost nor counted twice: the uses
// the three instances record add up to the checks they answered. Loopback only, bounded in time.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { startCluster, type Cluster } from '../tests/support/pg-cluster.js'
import * as api from './lib/api.js'
import { BENCH_ADMIN, benchServerEnv, freePort, pinningNote, serverNodeFlags, start, runBenchmark, waitReady, type Child } from './lib/proc.js'
import { fixed, int, line, median, printSummary, setScope } from './lib/report.js'
import { runWrk, tempDir, writeScript, type WrkResult } from './lib/wrk.js'

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`)
  return v
}
const INSTANCES = 3
const SECONDS = num('INSTANCES_SECONDS', 20)
const TOKENS = Math.max(10, Math.round(num('INSTANCES_TOKENS', 300)))
const ROUNDS = Math.round(num('INSTANCES_ROUNDS', 30))
const CONNECTIONS = Math.max(1, Math.round(num('INSTANCES_CONNECTIONS', 16)))
const REVOKE_TIMEOUT_MS = 5000
const SECRET = 'bench-hmac-secret-instances-0123456789abcdef'
const ROOT = path.resolve(import.meta.dirname, '..')
const ENTRY = path.join(ROOT, 'build/server/main.js')
const tmp = tempDir('tc-instances-')
let cluster: Cluster | undefined

interface Instance { child: Child; base: string; host: string }

async function startInstance(i: number, databaseUrl: string): Promise<Instance> {
  const port = await freePort()
  const env = benchServerEnv(path.join(tmp, `data-${i}`), port, databaseUrl, { TOKEN_HMAC_SECRET: SECRET, USAGE_FLUSH_MS: '1000' })
  const t0 = performance.now()
  // The instances and PostgreSQL share core 0; wrk and this process run on core 1.
  const child = start(`instance ${'ABC'[i]}`, process.execPath, [...serverNodeFlags, ENTRY], env, 0)
  const base = `http://127.0.0.1:${port}`
  await waitReady(child, `${base}/api/health`, t0)
  return { child, base, host: `127.0.0.1:${port}` }
}

/** Checks as fast as one client can until the status is `want`; ms from t0, or Infinity on timeout. */
async function pollUntil(base: string, token: string, want: number, t0: number): Promise<number> {
  while (performance.now() - t0 < REVOKE_TIMEOUT_MS) {
    if ((await api.verify(base, token)) === want) return performance.now() - t0
  }
  return Infinity
}

/** Rounds of create on one instance, warm on all, revoke there, poll the other two until 401. */
async function revocations(instances: Instance[], sessions: api.Session[], until: number) {
  const crossMs: number[] = []
  let sameViolations = 0
  let rounds = 0
  const stamp = Date.now().toString(36)
  for (let i = 0; i < ROUNDS && performance.now() < until; i++) {
    rounds++
    const at = i % INSTANCES
    const name = `rv-${stamp}-${String(i).padStart(3, '0')}`
    const token = await api.createApiToken(sessions[at]!, name)
    const others = instances.filter((_, k) => k !== at)
    // Each instance has the token in its cache before the revoke, so only the notification can end it there.
    for (const o of others) {
      if ((await pollUntil(o.base, token, 204, performance.now())) === Infinity) throw new Error(`${name} never became valid on ${o.base}`)
      await api.verify(o.base, token)
    }
    await api.revokeApiToken(sessions[at]!, name)
    const t0 = performance.now()
    const [same, ...cross] = await Promise.all([api.verify(instances[at]!.base, token), ...others.map((o) => pollUntil(o.base, token, 401, t0))])
    if (same !== 401) sameViolations++
    crossMs.push(...cross)
  }
  return { crossMs, sameViolations, rounds }
}

async function main() {
  const started = performance.now()
  console.log(`Three instances on one PostgreSQL database (bench/instances.ts), Node ${process.version}`)
  console.log(`  ${pinningNote}`)
  console.log(`  knobs: INSTANCES_SECONDS=${SECONDS} INSTANCES_TOKENS=${TOKENS} INSTANCES_ROUNDS=${ROUNDS} INSTANCES_CONNECTIONS=${CONNECTIONS} (wrk -t1 -c${CONNECTIONS} per instance)`)
  const built = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: ROOT, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`npm run build:server failed:\n${built.stdout}${built.stderr}`)
  setScope('3 instances')
  cluster = await startCluster()
  const instances: Instance[] = []
  // One after the other: the first runs the migrations the others then find done.
  for (let i = 0; i < INSTANCES; i++) instances.push(await startInstance(i, cluster.url))
  const sessions = await Promise.all(instances.map((s) => api.login(s.base, BENCH_ADMIN.email, BENCH_ADMIN.password)))
  const tokens = await api.createMany(sessions[0]!, 'inst', TOKENS)
  console.log(`  seeded ${int(TOKENS)} API tokens through instance A`)

  const scripts = instances.map((s, i) => writeScript(tmp, `verify-${i}`, {
    path: '/api/verify', host: s.host, entries: tokens.map((t) => ({ authorization: `APIToken ${t}` })),
  }))
  const loads = instances.map((s, i) => runWrk(`${s.base}/api/verify`, scripts[i]!, SECONDS, CONNECTIONS))
  const revoked = await revocations(instances, sessions, performance.now() + (SECONDS - 2) * 1000)
  const results: WrkResult[] = await Promise.all(loads)

  const answered = results.reduce((n, r) => n + r.requests - r.non2xx, 0)
  const refused = results.reduce((n, r) => n + r.non2xx + r.socketErrors, 0)
  const rps = results.reduce((n, r) => n + r.rps, 0)
  console.log(`  checks under load: ${int(rps)}/s over the three (${results.map((r) => int(r.rps)).join(' + ')}), p99 ${results.map((r) => fixed(r.p99ms, 1)).join(' / ')} ms, ${int(refused)} refused or failed`)

  const worst = Math.max(...revoked.crossMs)
  const fmt = (ms: number) => (ms === Infinity ? `> ${REVOKE_TIMEOUT_MS / 1000} s` : `${fixed(ms / 1000, 3)} s`)
  line('same instance: accepted after revoke', `${revoked.sameViolations} of ${revoked.rounds} rounds`, revoked.sameViolations, { op: '=', value: 0, unit: '' })
  line('other two: revoke → first 401, under load', `worst ${fmt(worst)}, median ${fmt(median(revoked.crossMs))}`, worst / 1000, { op: '<', value: 1, unit: ' s' },
    `${revoked.crossMs.length} refusals awaited over ${revoked.rounds} rounds`)

  // SIGTERM flushes each instance's pending uses; then the database holds every use it will ever hold.
  const audit = await fetch(`${instances[1]!.base}/api/audit/verify`, { headers: { cookie: sessions[1]!.cookie } })
  const chain = (await audit.json()) as { intact?: boolean }
  await Promise.all(instances.map((s) => s.child.stop()))
  // What went wrong inside the instances (LOG_LEVEL=warn keeps only warnings and errors).
  for (const s of instances) {
    const errors = s.child.output().split('\n').filter((l) => /"level":50/.test(l))
    if (errors.length) console.log(`  ${s.child.name} logged ${errors.length} error(s) in its last output, e.g. ${errors[0]!.slice(0, 300)}`)
  }
  const client = new pg.Client({ connectionString: cluster.url })
  await client.connect()
  let recorded = 0
  try {
    const r = await client.query<{ n: string | null }>(`SELECT SUM(u.count) AS n FROM usage_daily u JOIN credentials c ON c.id = u.credential_id WHERE c.name LIKE 'inst-%'`)
    recorded = Number(r.rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
  // wrk stops counting at its deadline with up to one request per connection still in flight: the
  // instances may have answered (and recorded) those too, and no more.
  const inFlight = INSTANCES * CONNECTIONS
  const extra = recorded - answered
  line('uses recorded − checks answered', `${int(recorded)} − ${int(answered)} = ${int(extra)}`, extra >= 0 && extra <= inFlight ? 0 : 1,
    { op: '=', value: 0, unit: '' }, `0 when within 0…${inFlight} (requests in flight at wrk's deadline); below 0: uses lost, above: counted twice`)
  line('audit chain after the run', chain.intact ? 'intact' : `NOT intact: ${JSON.stringify(chain)}`, chain.intact ? 0 : 1, { op: '=', value: 0, unit: '' })
  printSummary()
  console.log(`\ninstances benchmark took ${fixed((performance.now() - started) / 1000, 0)} s`)
}

await runBenchmark(main, () => {
  try {
    cluster?.stop()
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})
