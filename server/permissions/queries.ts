// The permission catalog's SQL.
import type { Kysely } from 'kysely'
import type { Database, PermissionCatalogTable } from '../db/schema.js'
import type { CatalogPermission } from '../../contract/permissions.js'
import { iso, isoOrNull } from '../lib/time.js'

export const catalogRows = (db: Kysely<Database>) => db.selectFrom('permission_catalog').selectAll()

export function toCatalogPermission(r: PermissionCatalogTable): CatalogPermission {
  return {
    name: r.name, description: r.description, sensitive: Number(r.sensitive) === 1, retired: r.retired_at !== null,
    created_timestamp: iso(Number(r.created_at)), created_by: r.created_by, retired_timestamp: isoOrNull(r.retired_at === null ? null : Number(r.retired_at)),
  }
}

/** Credentials neither revoked nor expired that list the permission: how many, and the first 50 names. */
export async function holders(db: Kysely<Database>, name: string, now: number) {
  const live = () => db.selectFrom('credential_catalog_permissions as l').innerJoin('credentials as c', 'c.id', 'l.credential_id')
    .where('l.permission', '=', name).where('c.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('c.expires_at', 'is', null), eb('c.expires_at', '>', now)]))
  const [count, names] = await Promise.all([
    live().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    live().select('c.name').orderBy('c.name').limit(50).execute(),
  ])
  return { tokens_holding: Number(count.n), token_names: names.map((r) => r.name) }
}
