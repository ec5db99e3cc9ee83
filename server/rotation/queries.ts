// Rotation reads: the callers of a replaced secret (or rotated-away token) and whether each has used
// the new one, and the cut-over job's worklists.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { RotationSource } from '../../contract/rotation.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'

/** How far back a caller of the old token counts as one that must switch. */
export const SOURCE_WINDOW_MS = 30 * DAY_MS
/** Rows the cut-over job looks at per run; expiry already ends each at its deadline exactly. */
export const CUTOVER_BATCH = 200

/** Rotated to a successor (new_name): callers of the old credential against those of the new one. */
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

/**
 * A new secret for the same credential: every caller that used the previous secret in the last 30
 * days (before the rotation, when it was current, or since), and whether it has used the new one.
 */
export async function secretSources(db: Kysely<Database>, id: string, now: number): Promise<RotationSource[]> {
  const rows = await db.selectFrom('usage_sources').select(['ip', 'user_agent', 'previous_last_seen', 'current_last_seen'])
    .where('credential_id', '=', id).where('previous_last_seen', '>=', now - SOURCE_WINDOW_MS).orderBy('previous_last_seen', 'desc').execute()
  return rows.map((r) => ({
    ip: r.ip, user_agent: r.user_agent, old_last_used_timestamp: iso(r.previous_last_seen!),
    switched: r.current_last_seen !== null, new_last_used_timestamp: isoOrNull(r.current_last_seen),
  }))
}

/** Rotated-away tokens still unrevoked: deadlines first. */
export function overlapRows(db: Kysely<Database>) {
  return db.selectFrom('credentials as c')
    .leftJoin('credentials as n', 'n.name', 'c.replaced_by')
    .select(['c.id', 'c.name', 'c.owner_id', 'c.token_hash', 'c.overlap_ends_at', 'c.cutover_on_switch', 'n.id as new_id'])
    .where('c.overlap_ends_at', 'is not', null).where('c.revoked_at', 'is', null)
    .orderBy('c.overlap_ends_at').limit(CUTOVER_BATCH)
}

/** Credentials whose previous secret's overlap is not yet made final (unrevoked): deadlines first. */
export function secretOverlapRows(db: Kysely<Database>) {
  return db.selectFrom('credentials')
    .select(['id', 'name', 'owner_id', 'token_hash', 'previous_token_hash', 'previous_last4', 'previous_valid_until', 'cutover_on_switch'])
    .where('previous_token_hash', 'is not', null).where('previous_retired_at', 'is', null).where('revoked_at', 'is', null)
    .orderBy('previous_valid_until').limit(CUTOVER_BATCH)
}
