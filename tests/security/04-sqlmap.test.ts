// Part 4: Debian's sqlmap against every list, search, filter and sort parameter, the saved searches
// and the sign-in form of the real server, bounded in time. No parameter may be reported injectable.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, Session } from './support/http.js'
import { dialect, figure, intEnv, runDir } from './support/run.js'
import { ChildServer } from './support/server.js'

const BUDGET_S = intEnv('SQLMAP_SECONDS', dialect() === 'sqlite' ? 150 : 130)
const SQLMAP = process.env.SQLMAP_BIN ?? '/usr/bin/sqlmap'

// The login target sends a random X-Forwarded-For per probe (sqlmap's xforwardedfor tamper), so the
// sign-in brake, which counts per address, does not turn every probe into a 429.
const server = new ChildServer('sqlmap', { TRUST_PROXY: 'loopback', MAX_ACTIVE_TOKENS_PER_USER: '1000' })
let admin: Session
let savedId = ''

interface Target { label: string; args: string[] }

function targets(): Target[] {
  const o = server.origin
  const auth = ['--cookie', admin.cookie]
  const mutate = ['--cookie', admin.cookie, '--headers', `X-CSRF-Token: ${admin.csrf}\nOrigin: ${o}`]
  return [
    { label: 'token list', args: ['-u', `${o}${API}/api_credentials?q=seed&status=active&sort=name&order=asc&cursor=&type=API_TOKEN&owner=x&limit=10`, '-p', 'q,status,sort,order,cursor,type,owner,limit', ...auth] },
    { label: 'inventory', args: ['-u', `${o}/api/inventory?q=seed&status=active&sort=name&order=asc&owner=x&account_type=user&usage=never_used&type=API_TOKEN`, '-p', 'q,status,sort,order,owner,account_type,usage,type', ...auth] },
    { label: 'audit filters', args: ['-u', `${o}/api/audit?actor=admin%40example.com&credential=seed-token&action=login&q=seed&outcome=success&cursor=1000`, '-p', 'actor,credential,action,q,outcome,cursor', ...auth] },
    { label: 'token by name', args: ['-u', `${o}${API}/api_credentials/seed-token-1*`, ...auth] },
    { label: 'saved search create', args: ['-u', `${o}/api/saved_searches`, '--data', '{"name":"seed","page":"tokens","query":"q=seed"}', '-p', 'name,query', ...mutate] },
    { label: 'saved search delete', args: ['-u', `${o}/api/saved_searches/${savedId}*`, '--method', 'DELETE', ...mutate] },
    // Each sign-in costs a scrypt hash (~10 probes/s), so here only the payloads of the database in use
    // (which /api/health names anyway); the cheap targets above get every database's payloads.
    {
      label: 'sign-in form',
      args: ['-u', `${o}/api/auth/login`, '--data', '{"email":"someone@example.com","password":"not-the-password"}', '-p', 'email,password',
        '--tamper', 'xforwardedfor', `--dbms=${dialect() === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`],
    },
  ]
}

interface Outcome { label: string; verdict: 'clean' | 'INJECTABLE' | 'timed out' | 'error'; lines: string[]; seconds: number }

function runSqlmap(t: Target, seconds: number): Promise<Outcome> {
  const outDir = path.join(runDir(), 'sqlmap')
  const args = [
    ...t.args, '--batch', '--level=2', '--risk=1', '--skip-waf', '--ignore-code=401,404',
    '--time-sec=1', '--timeout=5', '--retries=0', '--threads=4', '--flush-session', '--disable-coloring', `--output-dir=${outDir}`,
  ]
  const started = Date.now()
  return new Promise((resolve) => {
    // timeout(1) bounds sqlmap and anything it starts; --kill-after in case it ignores SIGTERM.
    const child = spawn('timeout', ['--kill-after=5', String(seconds), SQLMAP, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    child.on('close', (code) => {
      fs.appendFileSync(path.join(runDir(), 'sqlmap.log'), `\n##### ${t.label}: sqlmap ${args.join(' ')}\n${out}`)
      const found = out.split('\n').filter((l) => /identified the following injection point|is vulnerable|appears to be .*injectable|injectable\. Do you want/i.test(l) && !/might be injectable|not injectable|do not appear/i.test(l))
      const verdict = found.length ? 'INJECTABLE' : code === 124 || code === 137 ? 'timed out' : code === 0 ? 'clean' : 'error'
      const lines = found.length ? found : out.split('\n').filter((l) => /\[(CRITICAL|ERROR)\]/.test(l) && !/do not appear to be injectable/.test(l)).slice(0, 3)
      resolve({ label: t.label, verdict, lines, seconds: (Date.now() - started) / 1000 })
    })
  })
}

/** Requests the server logged (one request id each, whatever the log line looks like). */
function countRequests(): number {
  const ids = new Set<string>()
  if (fs.existsSync(server.logFile)) for (const m of fs.readFileSync(server.logFile, 'utf8').matchAll(/"reqId":"([^"]+)"/g)) ids.add(m[1])
  return ids.size
}

beforeAll(async () => {
  await server.start()
  admin = await Session.login(server.origin)
  for (const name of ['seed-token-1', 'seed-token-2']) await admin.call('POST', `${API}/api_credentials`, { name, expiration_days: 30 })
  const saved = await admin.call('POST', '/api/saved_searches', { name: 'seed', page: 'tokens', query: 'q=seed' })
  savedId = saved.json<{ id: string }>().id
})
afterAll(() => server.stop())

describe('sqlmap', () => {
  it('finds no injectable parameter in lists, search, filters, sort, saved searches or the sign-in form', async () => {
    expect(fs.existsSync(SQLMAP), `${SQLMAP} missing: apt-get install -y sqlmap`).toBe(true)
    const before = countRequests()
    const started = Date.now()
    const list = targets()
    const outcomes: Outcome[] = []
    for (const [i, t] of list.entries()) {
      // An even share of what is left of the budget, so one slow target cannot starve the rest.
      const left = BUDGET_S - (Date.now() - started) / 1000
      outcomes.push(await runSqlmap(t, Math.max(10, Math.floor(left / (list.length - i)))))
    }
    const probes = countRequests() - before
    for (const o of outcomes) console.log(`sqlmap[${dialect()}] ${o.label}: ${o.verdict} in ${o.seconds.toFixed(0)} s${o.lines.length ? ` — ${o.lines.join(' | ')}` : ''}`)
    const by = (v: Outcome['verdict']) => outcomes.filter((o) => o.verdict === v).length
    figure(`sqlmap[${dialect()}]: ${probes} requests probed ${list.length} targets in ${((Date.now() - started) / 1000).toFixed(0)} s (level 2, risk 1): ${by('INJECTABLE')} injectable, ${by('clean')} finished clean, ${by('timed out')} stopped by the time bound, ${by('error')} errors`)
    expect(outcomes.filter((o) => o.verdict === 'INJECTABLE').map((o) => `${o.label}: ${o.lines.join(' | ')}`)).toEqual([])
    expect(outcomes.filter((o) => o.verdict === 'error').map((o) => `${o.label}: ${o.lines.join(' | ')}`)).toEqual([])
    expect(probes).toBeGreaterThan(1000)
  })
})
