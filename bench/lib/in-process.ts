// In-process token-check throughput (the first part of npm run bench): ratios measured in one run on
// this machine, so the figures compare like with like whatever the hardware. Each loop is bounded in
// time and stops by itself.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../../server/app.js'
import { loadConfig } from '../../server/config.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)

async function rate(label: string, fn: () => Promise<unknown>, concurrency = 1): Promise<number> {
  for (let i = 0; i < 200; i++) await fn() // warm-up
  let n = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await fn()
      n++
    }
  }))
  const perSecond = n / SECONDS
  console.log(`${label.padEnd(58)} ${Math.round(perSecond).toLocaleString('en').padStart(10)} /s`)
  return perSecond
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-bench-'))
const { app, services: s } = await buildApp({ ...loadConfig({}), dataDir, usageFlushMs: 1000, maxActiveTokensPerUser: 1_000_000 }, { logger: false })
try {
  const admin = await s.users.create(null, { email: 'bench@example.com', name: 'Bench', role: 'admin', password: 'bench-password-123' }, { ip: null, userAgent: 'bench' })
  const principal = (await s.identity.fromSession((await s.sessions.create(admin.id, null, null)).id))!.principal
  // A realistic table: 10k tokens, then the one we check.
  for (let i = 0; i < 100; i++) {
    await s.db.db.transaction().execute(async (trx) => {
      for (let j = 0; j < 100; j++) {
        const k = i * 100 + j
        await trx.insertInto('credentials').values({
          id: `bench-${k}`, name: `bench-token-${k}`, uid: `uid-${k}`, type: 'API_TOKEN', owner_id: admin.id, created_by: admin.id,
          description: '', scope: 'full_access', permissions: '[]', namespace_roles: '[]', token_hash: k.toString(16).padStart(64, '0'),
          token_last4: 'abcd', lifetime_days: 90, created_at: Date.now(), expires_at: Date.now() + 86_400_000, revoked_at: null,
          revoked_by: null, last_used_at: null, last_used_ip: null, last_used_user_agent: null, rotated_from: null, replaced_by: null,
        }).execute()
      }
    })
  }
  const { data: token } = await s.credentials.create(principal, { name: 'bench-checked', expiration_days: 30 }, { ip: null, userAgent: 'bench' })
  const typo = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a')
  const ctx = { ip: '127.0.0.1', userAgent: 'bench' }

  console.log(`Token checks, ${SECONDS} s each, SQLite file with 10,001 credentials (Node ${process.version}, ${os.cpus().length} cores)\n`)
  const lookup = await rate('bare indexed lookup (SELECT … WHERE token_hash = ?)', () =>
    s.db.db.selectFrom('credentials').select('id').where('token_hash', '=', (5000).toString(16).padStart(64, '0')).executeTakeFirst())
  const valid = await rate('valid token: Identity.checkToken (HMAC, join, status, usage)', () => s.identity.checkToken(token, ctx))
  const typoRate = await rate('typo (bad checksum): rejected before the database', () => s.identity.checkToken(typo, ctx))
  const noRecord = await rate('valid token without usage recording', () => s.identity.checkToken(token, ctx, { recordUse: false }))

  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const health = await rate('HTTP GET /api/health (10 concurrent)', () => fetch(`${base}/api/health`).then((r) => r.arrayBuffer()), 10)
  const whoami = await rate('HTTP GET whoami with the token (10 concurrent)', () =>
    fetch(`${base}/api/web/custom/namespaces/system/whoami`, { headers: { authorization: `APIToken ${token}` } }).then((r) => r.arrayBuffer()), 10)
  await s.usage.flush()
  const row = await s.db.db.selectFrom('credentials').select(['last_used_at']).where('name', '=', 'bench-checked').executeTakeFirstOrThrow()

  console.log('\nRatios (same run)')
  console.log(`  valid check / bare lookup            ${(valid / lookup).toFixed(2)}  (cost of HMAC, owner join and status over the raw index)`)
  console.log(`  typo rejection / valid check         ${(typoRate / valid).toFixed(1)}×  (checksum saves the database read)`)
  console.log(`  with usage recording / without       ${(valid / noRecord).toFixed(2)}  (≈1: recording does not slow checks)`)
  console.log(`  HTTP whoami / HTTP health            ${(whoami / health).toFixed(2)}  (token auth cost in a full request)`)
  console.log(`  usage writes for ${s.usage.stats.recorded.toLocaleString('en')} recorded uses: ${s.usage.stats.writes} (last_used ${row.last_used_at ? 'set' : 'missing'})`)
} finally {
  await app.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
