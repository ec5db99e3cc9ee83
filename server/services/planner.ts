// The rotation planner: counts per expiry group from counters and index ranges, and keyset pages
// within one group on the (state, expires_at, id) index, so it costs the same at 10k and 1M tokens.
import { sql, type Kysely, type SqlBool } from 'kysely'
import type { Database } from '../db/schema.js'
import type { PlannerGroup, PlannerQuery, PlannerResponse } from '../../contract/planner.js'
import {
  credentialQuery, decodeCursor, encodeCursor, familyTypes, liveExpiringBetween, type Family,
} from '../db/credentials-repo.js'
import { consoleReader } from '../db/read-pool.js'
import { invalid } from '../lib/errors.js'
import { DAY_MS } from '../lib/time.js'
import { requirePermission, seesTenant, type Principal } from './principal.js'
import { toCredential } from './credentials.js'

const edges = (now: number): Record<PlannerGroup, [number | null, number]> => ({
  expired: [null, now],
  '3': [now, now + 3 * DAY_MS],
  '7': [now + 3 * DAY_MS, now + 7 * DAY_MS],
  '14': [now + 7 * DAY_MS, now + 14 * DAY_MS],
})

export async function rotationPlan(main: Kysely<Database>, p: Principal, q: PlannerQuery): Promise<PlannerResponse> {
  requirePermission(p, 'credentials:read')
  const db = consoleReader(main)
  const now = Date.now()
  const ownerId = q.mine === 'true' || !seesTenant(p) ? p.account.id : undefined
  const types = familyTypes[(q.account_type as Family | undefined) ?? 'all']
  const range = edges(now)
  const groups = { expired: 0, '3': 0, '7': 0, '14': 0 }
  // The four counts and the page are independent reads: side by side on the read pool.
  const counted = Promise.all((Object.keys(groups) as PlannerGroup[]).map(async (g) => {
    groups[g] = await liveExpiringBetween(db, ownerId, types, ...range[g])
  }))

  const group = (q.group ?? 'expired') as PlannerGroup
  const [lo, hi] = range[group]
  // Expired: the most recently expired first; the others: the soonest first.
  const order = group === 'expired' ? 'desc' : 'asc'
  const limit = (q.limit as number | undefined) ?? 50
  let rows = credentialQuery(db, now).where('c.state', '=', 'live').where('c.expires_at', '<=', hi).where('c.type', 'in', types)
  if (lo !== null) rows = rows.where('c.expires_at', '>', lo)
  if (ownerId) rows = rows.where('c.owner_id', '=', ownerId)
  if (q.cursor) {
    const c = decodeCursor(q.cursor, 'expires')
    if (!c) throw invalid('cursor is not valid for this group; start again without it', 'cursor')
    rows = rows.where(sql<SqlBool>`(c.expires_at, c.id) ${sql.raw(order === 'asc' ? '>' : '<')} (${c.v}, ${c.id})`)
  }
  const [page] = await Promise.all([rows.orderBy('c.expires_at', order).orderBy('c.id', order).limit(limit + 1).execute(), counted])
  const more = page.length > limit
  if (more) page.length = limit
  const last = page[page.length - 1]
  return {
    groups, group, items: page.map((r) => toCredential(r)),
    next_cursor: more && last ? encodeCursor(last.expires_at!, last.id) : null,
  }
}
