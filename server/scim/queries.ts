// SQL of the scim domain: SCIM tokens are credential rows of type SCIM_API_TOKEN (keyed hash only).
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { credentialQuery } from '../db/credentials-repo.js'

export const SCIM_TYPE = 'SCIM_API_TOKEN'

/** The tenant's newest SCIM token row (live or not), with owner and status, for the status call. */
export function latestScimToken(db: Kysely<Database>, now: number) {
  return credentialQuery(db, now).where('c.type', '=', SCIM_TYPE).orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(1).executeTakeFirst()
}

/** Every unrevoked SCIM token: what a replace or a revoke ends. */
export function liveScimTokens(trx: Kysely<Database>) {
  return trx.selectFrom('credentials').select(['id', 'name', 'owner_id', 'token_hash']).where('type', '=', SCIM_TYPE).where('revoked_at', 'is', null).execute()
}
