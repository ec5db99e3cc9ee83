// The scale benchmark's table: p50/p95 per request and size, growth from the smallest to the largest
// size, and the issue-8 target beside each figure (never a failure: benchmarks only report).
import pg from 'pg'

export interface Sample { p50: number; p95: number }
export interface SizeFacts { seeded: number; rssPeak: number; exportRss: number; exportMb: number; exportS: number; mixed: number; verifyAlone: number; verifyMixed: number }

export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]
const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(1))
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')

/** A fresh database on the PostgreSQL server behind `adminUrl`, for one size; returns its URL and a drop. */
export async function freshDatabase(adminUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

/**
 * Prints one database's table. Reads carry the p95 target at the largest size and the growth target
 * (p95 at the largest size over p95 at the smallest); growth on p50 is printed beside it because
 * single-digit-millisecond p95s on a shared machine move with the neighbours.
 */
export function printTable(db: string, sizes: number[], reads: string[], results: Map<string, Map<number, Sample>>, facts: Map<number, SizeFacts>, targetMs: number) {
  const first = sizes[0]
  const last = sizes[sizes.length - 1]
  const head = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n))
  console.log(`\n### ${db}: p50 / p95 ms (targets at ${head(last)}: p95 ≤ ${targetMs} ms, growth ${head(first)}→${head(last)} ≤ 1.5×)\n`)
  console.log(`| request | ${sizes.map((s) => `${head(s)} p50 / p95`).join(' | ')} | growth p95 (p50) | p95 ≤ ${targetMs} ms | growth ≤ 1.5× |`)
  console.log(`| --- | ${sizes.map(() => '---').join(' | ')} | --- | --- | --- |`)
  let met = 0
  let total = 0
  for (const [label, bySize] of results) {
    const cells = sizes.map((s) => { const r = bySize.get(s); return r ? `${f1(r.p50)} / ${f1(r.p95)}` : 'n/a' })
    const a = bySize.get(first)
    const b = bySize.get(last)
    const growth = a && b ? b.p95 / a.p95 : NaN
    const growth50 = a && b ? b.p50 / a.p50 : NaN
    const isRead = reads.includes(label)
    const p95ok = isRead && b ? b.p95 <= targetMs : false
    const gOk = growth <= 1.5
    if (isRead) { total += 2; met += Number(p95ok) + Number(gOk) }
    console.log(`| ${label} | ${cells.join(' | ')} | ${f1(growth)}× (${f1(growth50)}×) | ${isRead ? verdict(p95ok) : '-'} | ${isRead && sizes.length > 1 ? verdict(gOk) : '-'} |`)
  }
  console.log('')
  for (const s of sizes) {
    const x = facts.get(s)
    if (!x) continue
    console.log(`- ${head(s)}: seeded in ${f1(x.seeded)} s; server RSS peak ${x.rssPeak.toFixed(0)} MB (≤ 200 ${verdict(x.rssPeak <= 200)}); ` +
      `audit export ${x.exportMb.toFixed(0)} MB in ${f1(x.exportS)} s, RSS peak while it streams ${x.exportRss.toFixed(0)} MB (≤ 200 ${verdict(x.exportRss <= 200)}); ` +
      `mixed load: /api/verify ${x.verifyAlone.toFixed(0)}/s alone, ${x.verifyMixed.toFixed(0)}/s with 8 console readers = ${(x.mixed * 100).toFixed(0)}% (≥ 80% ${verdict(x.mixed >= 0.8)})`)
  }
  console.log(`\n${db}: ${met} of ${total} read targets met (p95 and growth per read request)`)
}
