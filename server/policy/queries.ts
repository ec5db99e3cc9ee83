// Policy storage and the dry run's candidate rows.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { PolicySettings } from '../../contract/policy.js'
import { DAY_MS } from '../lib/time.js'
import { strongETag } from '../lib/etag.js'

export const POLICY_ID = 'tenant'

/** The policy's version as an entity tag: when it was written and the exact document stored. */
export const policyETag = (updatedAt: number, doc: string) => strongETag('policy', updatedAt, doc)

export async function readPolicy(db: Kysely<Database>) {
  const row = await db.selectFrom('policy').selectAll().where('id', '=', POLICY_ID).executeTakeFirst()
  return row ? {
    settings: JSON.parse(row.doc) as PolicySettings, updatedAt: row.updated_at, updatedBy: row.updated_by, etag: policyETag(row.updated_at, row.doc),
  } : undefined
}

export async function insertPolicyIfMissing(db: Kysely<Database>, settings: PolicySettings, now: number) {
  await db.insertInto('policy').values({ id: POLICY_ID, doc: JSON.stringify(settings), updated_at: now, updated_by: null })
    .onConflict((oc) => oc.column('id').doNothing()).execute()
}

/** Stores the settings; answers the new version's entity tag. */
export async function writePolicy(db: Kysely<Database>, settings: PolicySettings, now: number, by: string): Promise<string> {
  const doc = JSON.stringify(settings)
  await db.updateTable('policy').set({ doc, updated_at: now, updated_by: by }).where('id', '=', POLICY_ID).execute()
  return policyETag(now, doc)
}

/**
 * Rows that may violate the settings as of `from`: unexpired, unrevoked tokens that never expire,
 * whose current lifetime may exceed the maximum (renew records its own lifetime_days), or that are
 * idle. The caller computes the exact change of each; this only narrows the scan.
 */
export function candidateRows(db: Kysely<Database>, s: PolicySettings, now: number, from: number) {
  const idleCutoff = s.idle_timeout_days === null ? null : from - s.idle_timeout_days * DAY_MS
  return db.selectFrom('credentials as c')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .select(['c.id', 'c.name', 'c.type', 'c.owner_id', 'u.email as owner_email', 'u.kind as owner_kind', 'c.created_at',
      'c.expires_at', 'c.lifetime_days', 'c.last_used_at', 'c.token_hash'])
    .where('c.state', 'in', ['live', 'disabled'])
    .where((eb) => eb.or([eb('c.expires_at', 'is', null), eb('c.expires_at', '>', now)]))
    .where((eb) => eb.or([
      eb('c.expires_at', 'is', null),
      eb('c.lifetime_days', 'is', null),
      eb('c.lifetime_days', '>', s.max_expiration_days),
      ...(idleCutoff === null ? [] : [eb(sql`COALESCE(c.last_used_at, c.created_at)`, '<=', idleCutoff)]),
    ]))
    .orderBy('c.name')
}
export type CandidateRow = Awaited<ReturnType<ReturnType<typeof candidateRows>['execute']>>[number]
