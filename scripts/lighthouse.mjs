// Lighthouse (performance, accessibility, best practices) on the sign-in page, the token list and a
// token detail, with 10k tokens in the tenant, in Debian's Chromium. Prints figures beside the target;
// never fails a build (a measurement, not a test). Usage: node scripts/lighthouse.mjs [--tokens N]
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import lighthouse from 'lighthouse'
import * as chromeLauncher from 'chrome-launcher'

const root = path.resolve(import.meta.dirname, '..')
const PORT = Number(process.env.LH_PORT ?? 8490)
const BASE = `http://127.0.0.1:${PORT}`
const tokensAt = process.argv.indexOf('--tokens')
const TOKENS = tokensAt >= 0 ? Number(process.argv[tokensAt + 1]) : 10_000
if (!Number.isInteger(TOKENS) || TOKENS < 1) throw new Error('--tokens takes a whole number of tokens')
const ADMIN = { email: 'admin@example.com', password: 'lighthouse-admin-password-1' }
const TARGET = { performance: 95, accessibility: 100, 'best-practices': 100 }
const dataDir = path.join(root, '.tmp', 'lighthouse-data')

if (!fs.existsSync(path.join(root, 'dist/index.html')) || process.argv.includes('--build')) {
  const b = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' })
  if (b.status !== 0) process.exit(b.status ?? 1)
}
fs.rmSync(dataDir, { recursive: true, force: true })
const server = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/main.ts')], {
  cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, DATA_DIR: dataDir, PORT: String(PORT), HOST: '127.0.0.1', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, MAX_ACTIVE_TOKENS_PER_USER: String(TOKENS + 10), LOG_LEVEL: 'warn', ACCESS_LOG: 'off' },
})
const stop = () => server.kill('SIGTERM')
process.on('exit', stop)

async function waitUp() {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${BASE}/api/health`)).ok) return } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error('server did not start')
}

async function signIn() {
  const res = await fetch(`${BASE}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: BASE }, body: JSON.stringify(ADMIN) })
  if (!res.ok) throw new Error(`sign-in ${res.status}`)
  const cookie = res.headers.get('set-cookie').split(';')[0]
  const { csrf_token } = await res.json()
  return { cookie, csrf: csrf_token }
}

async function seed({ cookie, csrf }) {
  const started = Date.now()
  let next = 0
  const one = async () => {
    for (;;) {
      const i = next++
      if (i >= TOKENS) return
      const res = await fetch(`${BASE}/api/web/namespaces/system/api_credentials`, {
        method: 'POST', headers: { 'content-type': 'application/json', origin: BASE, cookie, 'x-csrf-token': csrf },
        body: JSON.stringify({ name: `lh-token-${String(i).padStart(5, '0')}`, description: `Seeded token ${i} for the Lighthouse run`, expiration_days: 1 + (i % 365) }),
      })
      if (!res.ok) throw new Error(`seed ${i}: ${res.status} ${await res.text()}`)
    }
  }
  await Promise.all(Array.from({ length: 8 }, one))
  console.log(`seeded ${TOKENS} tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

await waitUp()
const session = await signIn()
await seed(session)

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
})
const pages = [
  ['sign-in', '/sign-in', false],
  ['token list', '/tokens?view=all', true],
  ['token detail', '/tokens/lh-token-04242', true],
]
const rows = []
try {
  for (const [label, p, signedIn] of pages) {
    const flags = { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: Object.keys(TARGET), ...(signedIn ? { extraHeaders: { cookie: session.cookie } } : {}) }
    // Lighthouse sometimes loses the trace on a busy machine (NO_NAVSTART, NO_FCP): try again, up to 3 times.
    let lhr
    for (let attempt = 0; attempt < 3; attempt++) {
      lhr = (await lighthouse(`${BASE}${p}`, flags)).lhr
      if (!lhr.runtimeError) break
    }
    const score = (k) => Math.round((lhr.categories[k]?.score ?? 0) * 100)
    const failing = Object.values(lhr.audits).filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary').map((a) => a.id)
    if (process.env.LH_DEBUG) for (const id of failing) console.error(label, id, JSON.stringify(lhr.audits[id].details?.items ?? []).slice(0, 600))
    const shown = (id) => lhr.audits[id]?.displayValue ?? '-'
    if (lhr.runtimeError) console.error(`${label}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`)
    rows.push({ label, perf: score('performance'), a11y: score('accessibility'), bp: score('best-practices'), fcp: shown('first-contentful-paint'), lcp: shown('largest-contentful-paint'), tbt: shown('total-blocking-time'), failing })
  }
} finally {
  await chrome.kill()
  stop()
}
console.log(`\nLighthouse 12 in Debian's Chromium, simulated mobile, ${TOKENS.toLocaleString('en-US')} tokens in the tenant`)
console.log('page           perf  a11y  best   FCP      LCP      TBT      (target 95 / 100 / 100)')
for (const r of rows) {
  console.log(`${r.label.padEnd(14)} ${String(r.perf).padStart(4)}  ${String(r.a11y).padStart(4)}  ${String(r.bp).padStart(4)}   ${r.fcp.padEnd(8)} ${r.lcp.padEnd(8)} ${r.tbt.padEnd(8)}${r.failing.length ? `  failing: ${r.failing.join(', ')}` : ''}`)
}
const met = rows.every((r) => r.perf >= TARGET.performance && r.a11y >= TARGET.accessibility && r.bp >= TARGET['best-practices'])
console.log(met ? 'all pages meet the target' : 'below target on at least one page')
