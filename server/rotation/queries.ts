// Rotation reads: the sources of a rotated-away token and whether each has used the successor.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { RotationSource } from '../../contract/rotation.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'

/** How far back a caller of the old token counts as one that must switch. */
export const SOURCE_WINDOW_MS = 30 * DAY_MS
/** Rows the cut-over job looks at per run; expiry already ends each at its deadline exactly. */
export const CUTOVER_BATCH = 200

export async function switchSources(db: Kysely<Database>, oldId: string, newId: string | null, now: number): Promise<RotationSource[]> {
  const olds = await db.selectFrom('usage_sources').select(['ip', 'user_agent', 'last_seen'])
    .where('credential_id', '=', oldId).where('last_seen', '>=', now - SOURCE_WINDOW_MS).orderBy('last_seen', 'desc').execute()
  const news = newId
    ? await db.selectFrom('usage_sources').select(['ip', 'user_agent', 'last_seen']).where('credential_id', '=', newId).execute()
    : []
  const seen = new Map(news.map((n) => [`${n.ip}\n${n.user_agent}`, n.last_seen]))
  return olds.map((o) => {
    const last = seen.get(`${o.ip}\n${o.user_agent}`) ?? null
    return { ip: o.ip, user_agent: o.user_agent, old_last_used_timestamp: iso(o.last_seen), switched: last !== null, new_last_used_timestamp: isoOrNull(last) }
  })
}

/** Rotated-away tokens still unrevoked: deadlines first. */
export function overlapRows(db: Kysely<Database>) {
  return db.selectFrom('credentials as c')
    .leftJoin('credentials as n', 'n.name', 'c.replaced_by')
    .select(['c.id', 'c.name', 'c.owner_id', 'c.token_hash', 'c.overlap_ends_at', 'c.cutover_on_switch', 'n.id as new_id'])
    .where('c.overlap_ends_at', 'is not', null).where('c.revoked_at', 'is', null)
    .orderBy('c.overlap_ends_at').limit(CUTOVER_BATCH)
}
