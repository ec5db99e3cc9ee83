// CSV export of 100,000 audit rows streams in bounded memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let auditor: Auth
const ROWS = 100_000
beforeAll(async () => {
  t = await buildTestApp()
  auditor = (await signedIn(t, 'auditor')).auth
  const db = t.services.db.db
  const start = Number((await db.selectFrom('audit_events').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst())?.m ?? 0) + 1
  // Bulk rows for the export only; their hashes are not a chain (verify is tested elsewhere).
  for (let i = 0; i < ROWS; i += 2000) {
    const batch = Array.from({ length: Math.min(2000, ROWS - i) }, (_, j) => ({
      id: start + i + j, at: Date.now() - (ROWS - i - j) * 1000, actor_id: null, actor_email: `bulk-${(i + j) % 97}@example.com`, actor_type: 'user' as const,
      credential_name: null, action: 'credential.renew', target_type: 'credential', target_name: `bulk-token-${i + j}`, target_owner_id: null,
      outcome: 'success' as const, source_ip: '10.0.0.1', user_agent: 'bulk-loader/1.0 (a fairly long user agent string to make rows realistic)',
      details: JSON.stringify({ expiration_days: 90, note: 'x'.repeat(60) }), prev_hash: '0'.repeat(64), hash: '1'.repeat(64),
    }))
    await db.insertInto('audit_events').values(batch).execute()
  }
}, 120_000)
afterAll(async () => { await t.close() })

describe('audit export', () => {
  it('streams 100k rows with heap growth far below the export size', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (t.app.server.address() as { port: number }).port
    const gc = global.gc
    if (!gc) throw new Error('run with --expose-gc (vitest.api.config.ts sets it)')
    gc()
    const baseline = process.memoryUsage().heapUsed
    let peak = 0
    const res = await fetch(`http://127.0.0.1:${port}/api/audit/export.csv?action=credential.renew`, { headers: { cookie: (auditor as { cookie: string }).cookie } })
    expect(res.status).toBe(200)
    let bytes = 0
    let lines = 0
    let nextSample = 0
    const reader = res.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      bytes += value.length
      for (const b of value) if (b === 10) lines++
      if (bytes >= nextSample) {
        // Live heap while the export is under way: what streaming keeps, garbage aside.
        gc()
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline)
        nextSample += 2e6
      }
    }
    expect(lines).toBe(ROWS + 1)

    // The same rows loaded the naive way, in one query, for comparison in this run.
    gc()
    const before = process.memoryUsage().heapUsed
    const all = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'credential.renew').execute()
    gc()
    const loaded = process.memoryUsage().heapUsed - before
    expect(all.length).toBe(ROWS)
    console.log(`audit export: ${ROWS} rows, ${(bytes / 1e6).toFixed(1)} MB of CSV; live heap while streaming ≤ ${(peak / 1e6).toFixed(1)} MB, all rows loaded at once ${(loaded / 1e6).toFixed(1)} MB (ratio ${(peak / loaded).toFixed(3)})`)
    expect(bytes).toBeGreaterThan(25e6)
    expect(peak).toBeLessThan(loaded / 5)
  }, 120_000)
})
