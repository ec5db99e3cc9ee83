// The verification benchmark: the compiled server under wrk, as ratios to a bare Fastify
// hello-world measured in the same run with the same pinning, on SQLite and on PostgreSQL; plus an
// unknown-token flood, revocation across two instances, and cold start. Loopback only, bounded in time.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { generateToken, isWellFormedToken } from '../server/lib/tokens.js'
import { startCluster, type Cluster } from '../tests/support/pg-cluster.js'
import * as api from './lib/api.js'
import { canPin, cpuMs, cpuSince, cpuSnapshot, freePort, pinningNote, pinPid, rssMb, serverNodeFlags, sleep, start, runBenchmark, waitReady, withChildren, type Child } from './lib/proc.js'
import { fixed, int, line, median, printSummary, setScope } from './lib/report.js'
import { runWrk, tempDir, writeScript, type RequestEntry, type WrkResult } from './lib/wrk.js'

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`)
  return v
}
const SECONDS = num('BENCH_SECONDS', 5)
const RUNS = Math.max(1, Math.round(num('BENCH_RUNS', 3)))
const WARMUP = num('BENCH_WARMUP', 1)
const TOKENS = Math.max(1000, Math.round(num('BENCH_TOKENS', 1000)))
const ROUNDS = Math.round(num('BENCH_ROUNDS', 100))
const FLOOD_SHARE = num('BENCH_FLOOD_SHARE', 0.25)
const REVOKE_TIMEOUT_MS = num('BENCH_REVOKE_TIMEOUT_MS', 5000)
const DBS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',').map((s) => s.trim())
const PIN_PG = process.env.BENCH_PG_PIN !== '0'
const AUDIT_INTERVAL_MS = num('CHECK_FAILURE_AUDIT_INTERVAL_MS', 60_000)

const ROOT = path.resolve(import.meta.dirname, '..')
const ENTRY = path.join(ROOT, 'build/server/main.js')
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-password-0123456789' }
const SECRET = 'bench-hmac-secret-0123456789abcdefghijklmnop'
const CONNECTIONS = 50
const started = performance.now()
const tmp = tempDir('tc-verify-')
let cluster: Cluster | undefined

interface Server { child: Child; base: string; host: string; readyMs: number; postgres: boolean }
/** The PostgreSQL postmaster while a cluster runs: its CPU and its backends' count as the server's. */
let postmasterPid: number | undefined
/** Hello-world's CPU per request in the SQLite lines, the yardstick for what a flood response costs. */
let helloCpuUs = NaN
const serverPids = (s: Server) => [s.child.pid, ...(s.postgres && postmasterPid ? withChildren(postmasterPid) : [])]

/** The environment a server gets: ours only, so nothing leaks in from the caller's shell. */
function serverEnv(port: number, o: { dataDir: string; databaseUrl?: string; extra?: Record<string, string> }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' }
  Object.assign(env, {
    HOST: '127.0.0.1', PORT: String(port), DATA_DIR: o.dataDir, LOG_LEVEL: 'warn', TOKEN_HMAC_SECRET: SECRET,
    ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, MAX_ACTIVE_TOKENS_PER_USER: '100000',
  })
  if (process.env.CHECK_FAILURE_AUDIT_INTERVAL_MS) env.CHECK_FAILURE_AUDIT_INTERVAL_MS = process.env.CHECK_FAILURE_AUDIT_INTERVAL_MS
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl
  return { ...env, ...o.extra }
}

async function startServer(name: string, o: { dataDir: string; databaseUrl?: string; extra?: Record<string, string> }): Promise<Server> {
  const port = await freePort()
  const t0 = performance.now()
  const child = start(name, process.execPath, [...serverNodeFlags, ENTRY], serverEnv(port, o), 0)
  const base = `http://127.0.0.1:${port}`
  const readyMs = await waitReady(child, `${base}/api/health`, t0)
  return { child, base, host: `127.0.0.1:${port}`, readyMs, postgres: Boolean(o.databaseUrl) }
}

async function startHello(): Promise<Server> {
  const port = await freePort()
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: String(port) }
  const t0 = performance.now()
  const child = start('hello-world', process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/hello-world.ts')], env, 0)
  const base = `http://127.0.0.1:${port}`
  const readyMs = await waitReady(child, `${base}/`, t0)
  return { child, base, host: `127.0.0.1:${port}`, readyMs, postgres: false }
}

function build() {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`npm run build:server failed:\n${r.stdout}${r.stderr}`)
  return (performance.now() - t0) / 1000
}

function gitState(): string {
  const head = spawnSync('git', ['log', '-1', '--format=%h %s'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'server', 'contract'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
  const n = dirty ? dirty.split('\n').length : 0
  return `${head.slice(0, 100)}${n ? ` (+${n} uncommitted file(s) in server/ or contract/)` : ''}`
}

const section = (title: string) => console.log(`\n${title}`)
const rate = (xs: number[]) => `${int(median(xs))}/s`

/** A seeded database: its tokens, the introspection client's name and token. */
interface Seed { tokens: string[]; introspector: { name: string; token: string }; limited: string[] }

/** The limited tokens' limits: this machine's address allowed, and a quota the run never reaches. */
const LIMITS = { allowed_cidrs: ['10.0.0.0/8', '192.168.0.0/16', '127.0.0.1/32', '::1/128'], rate_limit: { limit: 1_000_000, window_seconds: 86_400 } }

async function seed(server: Server): Promise<Seed> {
  const t0 = performance.now()
  let tokens: string[], token: string, limited: string[]
  const name = 'bench-introspector'
  try {
    const s = await api.login(server.base, ADMIN.email, ADMIN.password)
    tokens = await api.createMany(s, 'bench', TOKENS)
    token = await api.createServiceCredential(s, name)
    limited = await api.createMany(s, 'bench-limited', TOKENS, 8, LIMITS)
  } catch (err) {
    throw new Error(`seeding ${server.child.name} failed: ${(err as Error).message}\nserver output:\n${server.child.output()}`)
  }
  console.log(`  seeded ${int(tokens.length)} API tokens, ${int(limited.length)} with an allowlist and a rate limit, and 1 service credential through the HTTP API in ${fixed((performance.now() - t0) / 1000, 1)} s`)
  return { tokens, introspector: { name, token }, limited }
}

/** Which client authentication the introspection endpoint accepts: RFC 6749 Basic first, else the token itself. */
async function introspectionAuth(server: Server, seedData: Seed): Promise<{ header: string; method: string }> {
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(seedData.introspector.name)}:${encodeURIComponent(seedData.introspector.token)}`).toString('base64')}`
  const candidates = [
    { header: basic, method: 'client_secret_basic' },
    { header: `APIToken ${seedData.introspector.token}`, method: 'APIToken bearer (client_secret_basic refused)' },
  ]
  for (const c of candidates) {
    const r = await fetch(`${server.base}/api/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: c.header, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${seedData.tokens[0]}`,
    })
    const body = (await r.json().catch(() => null)) as { active?: boolean } | null
    if (r.status === 200 && body?.active === true) return c
  }
  throw new Error('introspection accepts neither client_secret_basic nor the APIToken header')
}

/** Held by every seeded (full access, admin-owned) token, so each scoped check is a 204. */
const REQUIRED_SCOPE = 'credentials:read'

interface Load { key: string; label: string; server: Server; script: string; expect: number; target?: number }

function scripts(server: Server, seedData: Seed, introspectAuth: string) {
  const rotating: RequestEntry[] = seedData.tokens.map((t) => ({ authorization: `APIToken ${t}` }))
  const id = server.host.replace(/[^0-9]/g, '')
  return {
    verify: writeScript(tmp, `verify-${id}`, { path: '/api/verify', host: server.host, entries: rotating }),
    limited: writeScript(tmp, `limited-${id}`, { path: '/api/verify', host: server.host, entries: seedData.limited.map((t) => ({ authorization: `APIToken ${t}` })) }),
    // The gateway asks for a permission the tokens hold: the scope check on top of the plain one.
    scoped: writeScript(tmp, `scoped-${id}`, { path: '/api/verify', host: server.host, entries: rotating, headers: { 'X-Required-Scope': REQUIRED_SCOPE } }),
    whoami: writeScript(tmp, `whoami-${id}`, { path: '/api/web/custom/namespaces/system/whoami', host: server.host, entries: rotating }),
    introspect: writeScript(tmp, `introspect-${id}`, {
      method: 'POST', path: '/api/oauth2/introspect', host: server.host, contentType: 'application/x-www-form-urlencoded',
      entries: seedData.tokens.map((t) => ({ authorization: introspectAuth, body: `token=${t}` })),
    }),
  }
}

/** One request per load, checked for the status the load expects, so a broken line is not timed. */
async function sanity(l: Load, seedData: Seed, introspectAuth: string) {
  const t = l.key === 'limited' ? seedData.limited[1] : seedData.tokens[1]
  const init: RequestInit = l.key === 'introspect'
    ? { method: 'POST', headers: { authorization: introspectAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${t}` }
    : { headers: l.key === 'hello' ? {} : { authorization: `APIToken ${t}`, ...(l.key === 'scoped' ? { 'x-required-scope': REQUIRED_SCOPE } : {}) } }
  const p = { hello: '/', verify: '/api/verify', limited: '/api/verify', scoped: '/api/verify', nocache: '/api/verify', whoami: '/api/web/custom/namespaces/system/whoami', introspect: '/api/oauth2/introspect' }[l.key]
  const r = await fetch(`${l.server.base}${p}`, init)
  await r.arrayBuffer()
  if (r.status !== l.expect) throw new Error(`${l.label}: expected ${l.expect}, got ${r.status}`)
}

interface Measured { rps: number[]; ratios: number[]; cpuUs: number[]; cpuRatios: number[]; bad: number }

/**
 * Warm-up, then RUNS interleaved rounds over every load; per-run ratios to the hello-world of that
 * round. Beside throughput, the server's CPU time per request (PostgreSQL's included): other work on
 * the machine lowers throughput but barely changes what one request costs, so the CPU ratio is the
 * throughput ratio a quiet dedicated core would show, and the steadier figure on a busy machine.
 */
async function measure(loads: Load[]): Promise<Map<string, Measured>> {
  const out = new Map(loads.map((l) => [l.key, { rps: [], ratios: [], cpuUs: [], cpuRatios: [], bad: 0 } as Measured]))
  if (WARMUP > 0) for (const l of loads) await runWrk(`${l.server.base}/`, l.script, WARMUP, CONNECTIONS)
  for (let run = 0; run < RUNS; run++) {
    const results = new Map<string, { r: WrkResult; cpuUs: number }>()
    for (const l of loads) {
      const cpu0 = cpuSnapshot(serverPids(l.server))
      const r = await runWrk(`${l.server.base}/`, l.script, SECONDS, CONNECTIONS)
      results.set(l.key, { r, cpuUs: (cpuSince(cpu0, cpuSnapshot(serverPids(l.server))) * 1000) / r.requests })
    }
    const hello = results.get('hello')!
    for (const l of loads) {
      const { r, cpuUs } = results.get(l.key)!
      const o = out.get(l.key)!
      o.rps.push(r.rps)
      o.ratios.push(r.rps / hello.r.rps)
      o.cpuUs.push(cpuUs)
      o.cpuRatios.push(hello.cpuUs / cpuUs)
      o.bad += r.non2xx + r.socketErrors
    }
  }
  return out
}

function printLoads(loads: Load[], m: Map<string, Measured>) {
  console.log(`  ${''.padEnd(46)} ${'req/s  × hello (range)'.padEnd(34)} ${''.padEnd(22)}  server CPU/request → CPU ratio`)
  for (const l of loads) {
    const o = m.get(l.key)!
    const ratio = median(o.ratios)
    const range = o.ratios.length > 1 ? ` (${fixed(Math.min(...o.ratios))}–${fixed(Math.max(...o.ratios))})` : ''
    const figure = l.key === 'hello' ? `${rate(o.rps)}  1.00×` : `${rate(o.rps)}  ${fixed(ratio)}×${range}`
    const cpu = `${fixed(median(o.cpuUs), 0)} µs${l.key === 'hello' ? '' : ` → ${fixed(median(o.cpuRatios))}×`}`
    const note = `${cpu}${o.bad ? `  (!) ${int(o.bad)} non-2xx or socket errors` : ''}`
    line(l.label, figure, ratio, l.target === undefined ? undefined : { op: '>=', value: l.target, unit: '×' }, note)
  }
}

async function dbLines(db: 'SQLite' | 'PostgreSQL', hello: Server, cached: Server, uncached: Server, seedData: Seed) {
  const auth = await introspectionAuth(cached, seedData)
  const sc = scripts(cached, seedData, auth.header)
  const nc = scripts(uncached, seedData, auth.header)
  const helloScript = writeScript(tmp, 'hello', { path: '/', host: hello.host })
  const loads: Load[] = [
    { key: 'hello', label: 'hello-world (baseline)', server: hello, script: helloScript, expect: 200 },
    { key: 'verify', label: '/api/verify, cache warm', server: cached, script: sc.verify, expect: 204, target: db === 'SQLite' ? 0.6 : 0.5 },
    { key: 'limited', label: '/api/verify, allowlist + rate limit, cache warm', server: cached, script: sc.limited, expect: 204 },
    { key: 'scoped', label: '/api/verify + X-Required-Scope, cache warm', server: cached, script: sc.scoped, expect: 204 },
    { key: 'nocache', label: '/api/verify, cache off (CHECK_CACHE_TTL_MS=0)', server: uncached, script: nc.verify, expect: 204, target: 0.3 },
    { key: 'whoami', label: 'whoami', server: cached, script: sc.whoami, expect: 200 },
    { key: 'introspect', label: 'introspection', server: cached, script: sc.introspect, expect: 200, target: 0.4 },
  ]
  for (const l of loads) await sanity(l, seedData, auth.header)
  section(`${db}: wrk -t1 -c${CONNECTIONS}, ${int(seedData.tokens.length)} rotating valid tokens, ${SECONDS} s × ${RUNS} interleaved run(s), medians`)
  console.log(`  introspection client authentication: ${auth.method}`)
  const m = await measure(loads)
  if (db === 'SQLite') helloCpuUs = median(m.get('hello')!.cpuUs)
  printLoads(loads, m)
  // The limits' own cost: a limited token's check against a plain one's, from the same runs.
  const plain = m.get('verify')!
  const limited = m.get('limited')!
  const share = median(limited.rps.map((r, i) => (r / plain.rps[i]) * 100))
  line('allowlist + rate limit / plain check', `${fixed(share, 0)}% (CPU/request ${fixed(median(limited.cpuUs), 0)} vs ${fixed(median(plain.cpuUs), 0)} µs)`, share, { op: '>=', value: 90, unit: '%' })
  // Per run, the scoped check against the plain one of the same round: the scope check's own cost.
  const plainRps = plain.rps
  const scoped = m.get('scoped')!.rps.map((r, i) => (r / plainRps[i]) * 100)
  line('X-Required-Scope check / plain check', `${fixed(median(scoped), 0)}% (${scoped.map((x) => fixed(x, 0)).join(', ')})`, median(scoped), { op: '>=', value: 90, unit: '%' })
}

/** 100 rounds: create on A, warm `other` (and A), revoke on A, then poll `other` until 401. */
async function revocationRounds(label: string, a: Server, other: Server | undefined) {
  const s = await api.login(a.base, ADMIN.email, ADMIN.password)
  const crossMs: number[] = []
  let violations = 0
  let timeouts = 0
  let rounds = 0
  const stamp = Date.now().toString(36)
  for (let i = 0; i < ROUNDS && timeouts < 3; i++) {
    rounds++
    const name = `rv-${stamp}-${String(i).padStart(3, '0')}`
    const token = await api.createApiToken(s, name)
    if (other) await pollUntil(other.base, token, 204, REVOKE_TIMEOUT_MS)
    if ((await api.verify(a.base, token)) !== 204) throw new Error(`${label}: a new token was refused on A`)
    if ((await api.verify(a.base, token)) !== 204) throw new Error(`${label}: a new token was refused on A`)
    await api.revokeApiToken(s, name)
    const t0 = performance.now()
    const [same, cross] = await Promise.all([
      api.verify(a.base, token),
      other ? pollUntil(other.base, token, 401, REVOKE_TIMEOUT_MS, t0) : Promise.resolve(0),
    ])
    if (same !== 401) violations++
    if (other) {
      if (cross === Infinity) timeouts++
      crossMs.push(cross)
    }
  }
  const stopped = timeouts >= 3 && rounds < ROUNDS ? `; stopped after ${rounds} rounds (3 timeouts)` : ''
  line('same instance: accepted after revoke', `${violations} of ${rounds} rounds`, violations, { op: '=', value: 0, unit: '' })
  if (other) {
    const worst = Math.max(...crossMs)
    const fmt = (ms: number) => (ms === Infinity ? `> ${REVOKE_TIMEOUT_MS / 1000} s` : `${fixed(ms / 1000, 3)} s`)
    line('other instance: revoke → first 401', `worst ${fmt(worst)}, median ${fmt(median(crossMs))}`, worst / 1000, { op: '<', value: 1, unit: ' s' },
      `${timeouts ? `${timeouts} round(s) still accepted after ${REVOKE_TIMEOUT_MS / 1000} s` : ''}${stopped}`)
  }
}

/** Checks as fast as one client can until the status is `want`; ms from t0, or Infinity on timeout. */
async function pollUntil(base: string, token: string, want: number, timeoutMs: number, t0 = performance.now()): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    if ((await api.verify(base, token)) === want) return performance.now() - t0
  }
  return Infinity
}

function auditCount(file: string, sinceId: number): { total: number; maxId: number; byAction: Record<string, number> } {
  const db = new SQLite(file, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT action, count(*) AS n, max(id) AS m FROM audit_events WHERE id > ? GROUP BY action').all(sinceId) as { action: string; n: number; m: number }[]
    const maxId = (db.prepare('SELECT coalesce(max(id), 0) AS m FROM audit_events').get() as { m: number }).m
    return { total: rows.reduce((t, r) => t + r.n, 0), maxId, byAction: Object.fromEntries(rows.map((r) => [r.action, r.n])) }
  } finally {
    db.close()
  }
}

/**
 * Valid checks alone, then alongside a flood of well-formed unknown tokens from the same source: one
 * paced to offer BENCH_FLOOD_SHARE of the valid rate just measured, one unpaced (as fast as the
 * server answers, which takes CPU from valid checks whatever the server does with the requests).
 */
async function flood(server: Server, dataDir: string, seedData: Seed) {
  const unknown = Array.from({ length: 1000 }, () => generateToken('API_TOKEN'))
  if (!unknown.every(isWellFormedToken)) throw new Error('generated flood tokens are not well-formed')
  const validScript = scripts(server, seedData, '').verify
  const entries = unknown.map((t) => ({ authorization: `APIToken ${t}` }))
  const fullScript = writeScript(tmp, 'flood-full', { path: '/api/verify', host: server.host, entries, countStatuses: true })
  const file = path.join(dataDir, 'token-console.sqlite')
  const before = auditCount(file, 0).maxId

  section(`Flood on SQLite (a server of its own): /api/verify, ${CONNECTIONS} connections of valid tokens, alongside ${CONNECTIONS} connections of well-formed unknown tokens (valid checksum) from the same source; ${SECONDS} s × ${RUNS} run(s)`)
  console.log(`  paced flood: offers ${fixed(FLOOD_SHARE * 100, 0)}% of the valid rate measured alone in the same run (BENCH_FLOOD_SHARE; wrk delay() per connection); unpaced: as fast as the server answers`)
  const kinds = ['paced', 'unpaced'] as const
  const alone = { rps: [] as number[], p99: [] as number[] }
  const valid = { paced: { share: [] as number[], p99: [] as number[] }, unpaced: { share: [] as number[], p99: [] as number[] } }
  const floods = { paced: { rps: [] as number[], st: {} as Record<string, number> }, unpaced: { rps: [] as number[], st: {} as Record<string, number> } }
  let validBad = 0
  const floodStart = Date.now()
  const url = `${server.base}/`
  const pids = serverPids(server)
  const floodCpuUs: number[] = []
  if (WARMUP > 0) await runWrk(url, validScript, WARMUP, CONNECTIONS)
  for (let run = 0; run < RUNS; run++) {
    const a = await runWrk(url, validScript, SECONDS, CONNECTIONS)
    alone.rps.push(a.rps)
    alone.p99.push(a.p99ms)
    validBad += a.non2xx + a.socketErrors
    const delayMs = Math.max(1, Math.round((CONNECTIONS * 1000) / (FLOOD_SHARE * a.rps)))
    const pacedScript = writeScript(tmp, `flood-paced-${run}`, { path: '/api/verify', host: server.host, entries, countStatuses: true, delayMs })
    for (const kind of kinds) {
      const [v, f] = await Promise.all([runWrk(url, validScript, SECONDS, CONNECTIONS), runWrk(url, kind === 'paced' ? pacedScript : fullScript, SECONDS, CONNECTIONS)])
      valid[kind].share.push(v.rps / a.rps)
      valid[kind].p99.push(v.p99ms)
      validBad += v.non2xx + v.socketErrors
      floods[kind].rps.push(f.rps)
      for (const [k, n] of Object.entries(f.statuses)) floods[kind].st[k] = (floods[kind].st[k] ?? 0) + n
    }
    // The flood alone, for what one flood response costs the server.
    const cpu0 = cpuMs(pids)
    const f = await runWrk(url, fullScript, SECONDS, CONNECTIONS)
    floodCpuUs.push(((cpuMs(pids) - cpu0) * 1000) / f.requests)
    for (const [k, n] of Object.entries(f.statuses)) floods.unpaced.st[k] = (floods.unpaced.st[k] ?? 0) + n
  }
  const floodMs = Date.now() - floodStart
  const during = auditCount(file, before)
  const st = (x: Record<string, number>) => Object.entries(x).map(([k, n]) => `${int(n)}× ${k}`).join(', ') || 'none'
  const ms = (xs: number[]) => `${fixed(median(xs), 1)} ms`
  line('valid checks alone', `${rate(alone.rps)}, p99 ${ms(alone.p99)}`, NaN, undefined, validBad ? `(!) ${int(validBad)} valid checks not answered 204` : '')
  for (const kind of kinds) {
    const share = median(valid[kind].share) * 100
    line(`valid checks during ${kind} flood / alone`, `${fixed(share, 0)}%, p99 ${ms(valid[kind].p99)}`, share, { op: '>=', value: 80, unit: '%' },
      `flood answered ${rate(floods[kind].rps)} (${fixed((median(floods[kind].rps) / median(alone.rps)) * 100, 0)}% of valid alone): ${st(floods[kind].st)}`)
  }
  console.log(`  server CPU per flood response (flood alone): ${fixed(median(floodCpuUs), 0)} µs; per hello-world request (SQLite lines): ${fixed(helloCpuUs, 0)} µs`)
  // One source; the window count allows for a flood that straddles an interval boundary.
  const windows = Math.floor(floodMs / AUDIT_INTERVAL_MS) + 1
  return { before, during, windows, floodMs, file }
}

async function sqlitePhase(hello: Server) {
  setScope('SQLite')
  section('SQLite: seeding')
  const seedDir = path.join(tmp, 'sqlite-seed')
  const seeder = await startServer('seed (SQLite)', { dataDir: seedDir })
  const seedData = await seed(seeder)
  await seeder.child.stop()
  // Two copies of one seeded database: one server with the check cache, one without.
  const dirA = path.join(tmp, 'sqlite-a')
  const dirB = path.join(tmp, 'sqlite-b')
  fs.cpSync(seedDir, dirA, { recursive: true })
  fs.cpSync(seedDir, dirB, { recursive: true })
  const a = await startServer('SQLite, cache on', { dataDir: dirA })
  const b = await startServer('SQLite, cache off', { dataDir: dirB, extra: { CHECK_CACHE_TTL_MS: '0' } })
  await dbLines('SQLite', hello, a, b, seedData)
  await b.child.stop()

  section('Revocation on SQLite')
  await revocationRounds('SQLite', a, undefined)
  await a.child.stop()

  // The flood gets a server of its own, so every audit row written during it is the flood's.
  const dirF = path.join(tmp, 'sqlite-flood')
  fs.cpSync(seedDir, dirF, { recursive: true })
  const fs1 = await startServer('SQLite, flood', { dataDir: dirF })
  const f = await flood(fs1, dirF, seedData)
  await fs1.child.stop()
  const after = auditCount(f.file, f.before)
  const actions = (r: Record<string, number>) => Object.entries(r).map(([k, n]) => `${int(n)} ${k}`).join(', ') || 'none'
  line('audit rows written while flooding', `${int(f.during.total)} over ${fixed(f.floodMs / 1000, 0)} s (${actions(f.during.byAction)})`, f.during.total,
    { op: '<=', value: f.windows, unit: ' rows' }, `1 source × ${f.windows} interval(s) of ${AUDIT_INTERVAL_MS / 1000} s`)
  console.log(`  audit rows after the server stopped (shutdown flush included): ${int(after.total)} (${actions(after.byAction)})`)

  section('Cold start of node build/server/main.js on the seeded SQLite database (pinned to core 0)')
  const ready: number[] = []
  const cpu: number[] = []
  const rss: number[] = []
  for (let i = 0; i < 3; i++) {
    const s = await startServer(`cold start ${i + 1}`, { dataDir: dirB })
    ready.push(s.readyMs)
    cpu.push(cpuMs([s.child.pid]))
    await sleep(1000)
    rss.push(rssMb(s.child.pid))
    await s.child.stop()
  }
  line('spawn → first 200 of /api/health', `${fixed(median(ready) / 1000)} s (${ready.map((r) => fixed(r / 1000)).join(', ')})`, median(ready) / 1000, { op: '<=', value: 0.6, unit: ' s' },
    `CPU used by then ${fixed(median(cpu) / 1000)} s (wall time is longer when the core is shared)`)
  line('idle RSS 1 s after start', `${fixed(median(rss), 0)} MB (${rss.map((r) => fixed(r, 0)).join(', ')})`, median(rss), { op: '<=', value: 110, unit: ' MB' })
}

/** Finds the postmaster (for CPU accounting) and pins it, with its processes, to core 0. */
async function pinPostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const dir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory
    postmasterPid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0])
  } finally {
    await client.end()
  }
  if (!PIN_PG) return 'PostgreSQL UNPINNED (BENCH_PG_PIN=0)'
  if (!canPin) return 'PostgreSQL UNPINNED (no taskset or one core)'
  // Backends fork from the postmaster and inherit its affinity; its running helpers are moved too.
  return pinPid(postmasterPid, 0) ? 'PostgreSQL pinned to core 0 with the server; its CPU counts as the server\'s' : 'PostgreSQL UNPINNED (taskset -p failed)'
}

async function postgresPhase(hello: Server) {
  setScope('PostgreSQL')
  section('PostgreSQL: throwaway cluster (tests/support/pg-cluster.ts: fsync=off, synchronous_commit=off), seeding')
  const servers: Server[] = []
  try {
    cluster = await startCluster()
    console.log(`  ${await pinPostgres(cluster.url)}`)
    const dataDir = path.join(tmp, 'pg-data')
    const a = await startServer('PostgreSQL A, cache on', { dataDir, databaseUrl: cluster.url })
    servers.push(a)
    const seedData = await seed(a)
    const b = await startServer('PostgreSQL, cache off', { dataDir, databaseUrl: cluster.url, extra: { CHECK_CACHE_TTL_MS: '0' } })
    servers.push(b)
    await dbLines('PostgreSQL', hello, a, b, seedData)
    await b.child.stop()

    section(`Two instances on one PostgreSQL database (same TOKEN_HMAC_SECRET), ${ROUNDS} rounds: create on A, check on B until 204, revoke on A, poll B until 401`)
    const other = await startServer('PostgreSQL B, cache on', { dataDir, databaseUrl: cluster.url })
    servers.push(other)
    await revocationRounds('PostgreSQL', a, other)
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()))
    cluster?.stop()
    cluster = undefined
    postmasterPid = undefined
  }
}

async function main() {
  console.log(`Verification benchmark (bench/verify.ts), Node ${process.version}`)
  console.log(`  server code: ${gitState()}`)
  console.log(`  npm run build:server: ${fixed(build(), 1)} s`)
  console.log(`  ${pinningNote}`)
  console.log(`  knobs: BENCH_SECONDS=${SECONDS} BENCH_RUNS=${RUNS} BENCH_WARMUP=${WARMUP} BENCH_TOKENS=${TOKENS} BENCH_ROUNDS=${ROUNDS} BENCH_FLOOD_SHARE=${FLOOD_SHARE} BENCH_DB=${DBS.join(',')}`)
  console.log('  figures are ratios to the hello-world measured in the same run; other work on the machine moves both')
  const hello = await startHello()
  if (DBS.includes('sqlite')) await sqlitePhase(hello)
  if (DBS.includes('postgres')) await postgresPhase(hello)
  await hello.child.stop()
  printSummary()
  console.log(`\nverify benchmark took ${fixed((performance.now() - started) / 1000, 0)} s`)
}

await runBenchmark(main, () => {
  try {
    cluster?.stop()
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})
