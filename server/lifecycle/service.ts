// The Removed view's reads: tombstones, for those who see the whole tenant (admins, auditors).
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { RemovedListQuery, RemovedListResponse } from '../../contract/lifecycle.js'
import { forbidden, invalid } from '../lib/errors.js'
import { requirePermission, seesTenant, type Principal } from '../services/principal.js'
import { listTombstones } from './queries.js'

export class LifecycleService {
  constructor(private readonly read: Kysely<Database>) {}

  async removed(p: Principal, query: RemovedListQuery): Promise<RemovedListResponse> {
    requirePermission(p, 'credentials:read')
    if (!seesTenant(p)) throw forbidden('Removed credentials are listed for administrators and auditors')
    const page = await listTombstones(this.read, { limit: Number(query.limit ?? 50), cursor: query.cursor, q: query.q })
    if (!page) throw invalid('cursor is not valid; start again without it', 'cursor')
    return page
  }
}
