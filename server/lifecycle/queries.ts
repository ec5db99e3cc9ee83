// Tombstones: turning removed credential rows into them (inside the caller's transaction), and the
// keyset-paged list the inventory's Removed view reads.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { RemovalReason, Tombstone } from '../../contract/lifecycle.js'
import { iso, isoOrNull } from '../lib/time.js'

/** The columns a removal reads back from the deleted row: the tombstone's fields and the hash to forget. */
export const removedColumns = [
  'id', 'name', 'type', 'owner_id', 'owner_email', 'scope', 'created_at', 'expires_at', 'revoked_at', 'last_used_at', 'token_hash',
] as const
export interface RemovedRow {
  id: string; name: string; type: string; owner_id: string; owner_email: string; scope: string
  created_at: number; expires_at: number | null; revoked_at: number | null; last_used_at: number | null; token_hash: string
}

/**
 * Runs after the credential rows were deleted (their certificates go with them by foreign key, their
 * counters by trigger): their usage rows go, a predecessor's link to the freed name is cut, and a
 * tombstone per row is written. Never the hash: a tombstone authenticates nothing.
 */
export async function bury(trx: Transaction<Database>, rows: RemovedRow[], reason: RemovalReason, now: number) {
  if (!rows.length) return
  const ids = rows.map((r) => r.id)
  await trx.deleteFrom('usage_daily').where('credential_id', 'in', ids).execute()
  await trx.deleteFrom('usage_sources').where('credential_id', 'in', ids).execute()
  await trx.deleteFrom('notice_marks').where('credential_id', 'in', ids).execute()
  await trx.updateTable('credentials').set({ replaced_by: null }).where('replaced_by', 'in', rows.map((r) => r.name)).execute()
  await trx.insertInto('credential_tombstones').values(rows.map((r) => ({
    id: r.id, name: r.name, type: r.type, owner_id: r.owner_id, owner_email: r.owner_email, scope: r.scope,
    created_at: r.created_at, expires_at: r.expires_at, revoked_at: r.revoked_at, last_used_at: r.last_used_at,
    removed_at: now, reason,
  }))).onConflict((oc) => oc.column('id').doNothing()).execute()
}

const encode = (removedAt: number, id: string) => Buffer.from(`${removedAt}:${id}`).toString('base64url')
function decode(cursor: string): [number, string] | undefined {
  const m = /^(\d{1,16}):(.{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString())
  return m ? [Number(m[1]), m[2]] : undefined
}

/** Newest removals first, keyset-paged on (removed_at, id). */
export async function listTombstones(read: Kysely<Database>, q: { limit: number; cursor?: string; q?: string }) {
  let query = read.selectFrom('credential_tombstones').selectAll().orderBy('removed_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1)
  if (q.cursor) {
    const c = decode(q.cursor)
    if (c) query = query.where((eb) => eb.or([eb('removed_at', '<', c[0]), eb.and([eb('removed_at', '=', c[0]), eb('id', '<', c[1])])]))
    else return undefined
  }
  const text = q.q?.trim()
  if (text) query = query.where(sql<boolean>`name LIKE ${`%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`} ESCAPE '\\'`)
  const rows = await query.execute()
  const more = rows.length > q.limit
  const page = rows.slice(0, q.limit)
  const items: Tombstone[] = page.map((r) => ({
    id: r.id, name: r.name, type: r.type, owner: { id: r.owner_id, email: r.owner_email }, scope: r.scope,
    created_timestamp: iso(r.created_at), expiry_timestamp: isoOrNull(r.expires_at), revoked_timestamp: isoOrNull(r.revoked_at),
    last_used_timestamp: isoOrNull(r.last_used_at), removed_timestamp: iso(r.removed_at), reason: r.reason as Tombstone['reason'],
  }))
  const last = page[page.length - 1]
  return { items, next_cursor: more && last ? encode(last.removed_at, last.id) : null }
}
