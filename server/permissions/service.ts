// The permission catalog's rules: anyone who may read credentials reads it (developers pick from it,
// auditors review it); administrators add and retire, each change audited in its own transaction.
// Retiring publishes a validity change for every cached token check, so no instance keeps granting it.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import {
  MAX_CATALOG_PERMISSIONS, type CatalogList, type CatalogPermission, type CatalogPermissionDetail, type CreateCatalogPermission,
} from '../../contract/permissions.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import { actorOf } from '../services/actor.js'
import { requirePermission, requirePermissionFor, type Principal } from '../services/principal.js'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors.js'
import { catalogRows, holders, toCatalogPermission } from './queries.js'

const ADMIN_ONLY = 'Only a tenant administrator can change the permission catalog'

export class PermissionCatalogService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly read: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
  ) {}

  async list(p: Principal, retired?: 'true' | 'false'): Promise<CatalogList> {
    requirePermission(p, 'credentials:read')
    let q = catalogRows(this.read).orderBy('name').limit(MAX_CATALOG_PERMISSIONS)
    if (retired === 'true') q = q.where('retired_at', 'is not', null)
    if (retired === 'false') q = q.where('retired_at', 'is', null)
    return { items: (await q.execute()).map(toCatalogPermission) }
  }

  async describe(p: Principal, name: string): Promise<CatalogPermissionDetail> {
    requirePermission(p, 'credentials:read')
    const row = await catalogRows(this.read).where('name', '=', name).executeTakeFirst()
    if (!row) throw notFound('Permission')
    return { ...toCatalogPermission(row), ...(await holders(this.read, name, Date.now())) }
  }

  async create(p: Principal, body: CreateCatalogPermission, ctx: AuditContext): Promise<CatalogPermission> {
    requirePermissionFor(p, 'users:write', ADMIN_ONLY)
    const now = Date.now()
    const sensitive = body.sensitive === true
    const description = body.description.trim()
    try {
      await this.audit.transact(async (trx) => {
        const count = await trx.selectFrom('permission_catalog').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
        if (Number(count.n) >= MAX_CATALOG_PERMISSIONS) throw new ApiError('FAILED_PRECONDITION', `The catalog holds at most ${MAX_CATALOG_PERMISSIONS} permissions`)
        await trx.insertInto('permission_catalog').values({
          name: body.name, description, sensitive: sensitive ? 1 : 0, created_at: now, created_by: p.account.email, retired_at: null, retired_by: null,
        }).execute()
        await this.audit.append(trx, ctx, {
          action: 'permission.create', actor: actorOf(p), targetType: 'permission', targetName: body.name, outcome: 'success',
          details: { sensitive },
        }, now)
      })
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ApiError('ALREADY_EXISTS', `${body.name} is already in the catalog`, [{ field: 'name', reason: 'already exists' }])
      }
      throw err
    }
    return this.one(body.name)
  }

  /** Retiring twice leaves it retired: success, with no second audit row. */
  async retire(p: Principal, name: string, ctx: AuditContext): Promise<CatalogPermission> {
    requirePermissionFor(p, 'users:write', ADMIN_ONLY)
    await this.audit.transact(async (trx, after) => {
      const now = Date.now()
      const row = await trx.selectFrom('permission_catalog').select(['retired_at']).where('name', '=', name).executeTakeFirst()
      if (!row) throw notFound('Permission')
      if (row.retired_at !== null) return
      await trx.updateTable('permission_catalog').set({ retired_at: now, retired_by: p.account.email }).where('name', '=', name).execute()
      const { tokens_holding } = await holders(trx, name, now)
      await this.audit.append(trx, ctx, {
        action: 'permission.retire', actor: actorOf(p), targetType: 'permission', targetName: name, outcome: 'success',
        details: { tokens_holding },
      }, now)
      // Which cached entries hold it is not indexed by permission: drop them all, as disabling an account does.
      await this.validity.publish(trx, after, '*')
    })
    return this.one(name)
  }

  private async one(name: string): Promise<CatalogPermission> {
    const row = await catalogRows(this.db).where('name', '=', name).executeTakeFirst()
    if (!row) throw notFound('Permission')
    return toCatalogPermission(row)
  }
}
