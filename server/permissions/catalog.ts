// What the rest of the server needs of the permission catalog: the check path's view of retired and
// sensitive permissions, and the grant rule a new credential's scope must pass.
//
// The grant rule: a catalog permission may be held by a credential of any owner, except one marked
// sensitive, which only an owner whose role is admin may hold (a user's role, or a service
// credential's strongest namespace role). A retired permission is never granted: refused on new
// credentials (400 naming it) and no longer honoured on those that list it. The same rule is applied
// when a token is checked, so demoting an owner or retiring a permission takes the grant away.
import { type CompiledQuery, type Kysely } from 'kysely'
import { isCatalogPermissionName } from '../../contract/permissions.js'
import type { Role } from '../../contract/users.js'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'

/** Catalog permissions that are not plainly granted: retired ones, and sensitive ones (admins only). */
export interface CatalogRules {
  retired: ReadonlySet<string>
  sensitive: ReadonlySet<string>
}

export const NO_RULES: CatalogRules = { retired: new Set(), sensitive: new Set() }

/** The catalog names among a scope's permissions (the rest are this API's). */
export const catalogNames = (permissions: readonly string[]) => permissions.filter(isCatalogPermissionName)

/** Which catalog permissions a credential listing `names`, owned with `role`, holds now. */
export function grantedCatalog(names: readonly string[], role: Role | null, rules: CatalogRules): string[] {
  return names.filter((n) => isCatalogPermissionName(n) && !rules.retired.has(n) && (role === 'admin' || !rules.sensitive.has(n)))
}

type RuleRow = { name: string; sensitive: number; retired_at: number | null }

/**
 * The check path reads the rules with one compiled query, and only when it fills a cache entry for a
 * token whose scope lists catalog permissions; a cached entry carries its grants. Retiring publishes
 * a validity change for every entry, so no instance keeps serving a retired grant.
 */
export class CatalogRuleReader {
  private readonly query: CompiledQuery<RuleRow>

  constructor(private readonly db: Kysely<Database>) {
    this.query = db.selectFrom('permission_catalog').select(['name', 'sensitive', 'retired_at'])
      .where((eb) => eb.or([eb('retired_at', 'is not', null), eb('sensitive', '=', 1)])).compile()
  }

  async read(): Promise<CatalogRules> {
    const { rows } = await this.db.executeQuery<RuleRow>(this.query)
    const retired = new Set<string>()
    const sensitive = new Set<string>()
    for (const r of rows) {
      if (r.retired_at !== null) retired.add(r.name)
      if (Number(r.sensitive) === 1) sensitive.add(r.name)
    }
    return { retired, sensitive }
  }
}

/** Names of retired catalog permissions among those given (one read), for reporting on credentials. */
export async function retiredAmong(db: Kysely<Database>, names: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(catalogNames(names))]
  if (!wanted.length) return new Set()
  const rows = await db.selectFrom('permission_catalog').select('name').where('name', 'in', wanted).where('retired_at', 'is not', null).execute()
  return new Set(rows.map((r) => r.name))
}

/**
 * Inside a credential's create transaction: every catalog name must exist and not be retired, and a
 * sensitive one needs an admin owner. A clear 400 on `permissions` naming each one refused.
 */
export async function checkGrantable(trx: Kysely<Database>, names: readonly string[], ownerRole: Role | null): Promise<void> {
  const wanted = [...new Set(catalogNames(names))]
  if (!wanted.length) return
  const rows = await trx.selectFrom('permission_catalog').select(['name', 'sensitive', 'retired_at']).where('name', 'in', wanted).execute()
  const byName = new Map(rows.map((r) => [r.name, r]))
  const unknown = wanted.filter((n) => !byName.has(n))
  if (unknown.length) throw refused(`Not in the permission catalog: ${unknown.join(', ')}`, unknown, 'unknown_permission')
  const retired = wanted.filter((n) => byName.get(n)!.retired_at !== null)
  if (retired.length) throw refused(`Retired, no longer granted: ${retired.join(', ')}`, retired, 'retired_permission')
  const sensitive = wanted.filter((n) => Number(byName.get(n)!.sensitive) === 1)
  if (sensitive.length && ownerRole !== 'admin') {
    throw refused(`Sensitive, held only by tokens of administrators: ${sensitive.join(', ')}`, sensitive, 'sensitive_permission')
  }
}

function refused(message: string, names: string[], reason: string) {
  return new ApiError('INVALID_ARGUMENT', message, names.map((permission) => ({ field: 'permissions', reason, permission })))
}

/** Inside the same transaction: the link rows the catalog counts holders by. */
export async function linkCatalogPermissions(trx: Kysely<Database>, credentialId: string, names: readonly string[]) {
  const wanted = [...new Set(catalogNames(names))]
  if (!wanted.length) return
  await trx.insertInto('credential_catalog_permissions').values(wanted.map((permission) => ({ credential_id: credentialId, permission }))).execute()
}
