// Revoking every expired credential, at any size, without holding the write lock for long.
// A job walks the (state, expires_at) index in batches of BULK_BATCH; each batch is one transaction that
// revokes its rows, appends their audit rows and adds them to the job's progress, so the job row says
// exactly what is committed. Between batches the event loop is yielded to token checks and other
// writers. A batch that fails rolls back alone and leaves the job `failed`; a server that stops leaves
// it `interrupted` (or, if the process died, `running` with a stale heartbeat, read as interrupted).
// Either is resumed with the cutoff it started with; RETURNING names only rows that batch changed, so
// nothing is revoked or audited twice whoever else revokes meanwhile.
import crypto from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database, BulkRevokesTable } from '../db/schema.js'
import { familyTypes, type Family } from '../db/credentials-repo.js'
import {
  BULK_BATCH, PREVIEW_SAMPLE, bulkRevokePreviewCsvColumns, type BulkRevokeJob, type BulkRevokePreview, type BulkRevokeState,
} from '../../contract/bulk-revokes.js'
import { REMOVAL_AFTER_DAYS } from '../../contract/lifecycle.js'
import { csvCell } from '../lib/csv.js'
import type { CredentialType } from '../../contract/credentials.js'
import { ApiError, forbidden, notFound } from '../lib/errors.js'
import { iso, isoOrNull } from '../lib/time.js'
import type { CheckPressure } from '../lib/check-pressure.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import { actorOf } from '../services/actor.js'
import type { ValidityBus } from '../services/check-cache.js'
import { familyPermissions, requirePermission, seesTenant, type Principal } from '../services/principal.js'

/** A running job with no batch committed for this long has no live runner: it reads as interrupted. */
export const STALE_AFTER_MS = 60_000

const familyPath = { user: 'api_credentials', service: 'service_credentials' } as const

export interface RevokeDeps { audit: AuditLog; validity: ValidityBus }

/** The tenant policy, read for what the preview says about undoing. */
export interface ReactivationPolicy { current(): Promise<{ allow_reactivation: boolean }> }

/** Who can undo a revoke, as the product allows it (CredentialService.activate), in plain words. */
export function undoText(allowed: boolean): string {
  if (!allowed) {
    return 'Nobody can undo this: the tenant policy does not allow re-activating a revoked token, so each owner has to create a new one.'
  }
  return 'Owners cannot undo this. A tenant administrator can re-activate a revoked token, one token at a time, while the tenant '
    + `policy allows re-activation and until the lifecycle job removes the token (${REMOVAL_AFTER_DAYS} days after its last use); `
    + 'a token reported as leaked can never be re-activated.'
}

/**
 * Revokes the given credentials that are still unrevoked, each with its audit row, inside the caller's
 * transaction (from audit.transact). Returns the rows this call changed.
 */
export async function revokeInTransaction(
  deps: RevokeDeps, trx: Transaction<Database>, after: (cb: () => void) => void,
  p: Principal, ctx: AuditContext, ids: string[], now: number, details: Record<string, unknown>,
): Promise<Array<{ name: string; owner_id: string }>> {
  if (!ids.length) return []
  const done = await trx.updateTable('credentials').set({ revoked_at: now, revoked_by: p.account.id })
    .where('id', 'in', ids).where('revoked_at', 'is', null).returning(['name', 'owner_id', 'token_hash']).execute()
  await deps.validity.publish(trx, after, done.map((r) => r.token_hash))
  const actor = actorOf(p)
  await deps.audit.appendMany(trx, ctx, done.map((r) => ({
    action: 'credential.bulk_revoke', actor, targetType: 'credential', targetName: r.name,
    targetOwnerId: r.owner_id, outcome: 'success', details,
  })), now)
  return done
}

type Row = BulkRevokesTable

/** What a run ends with: the job as committed, and the names it revoked batch by batch (see run). */
export class BulkRevokes {
  private readonly runs = new Map<string, Promise<void>>()
  /** The batch transaction each run has open: close waits for them rather than cutting one off. */
  private readonly inFlight = new Set<Promise<unknown>>()
  private stopping = false

  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: RevokeDeps,
    private readonly pressure: CheckPressure,
    private readonly onError: (err: unknown) => void,
    private readonly policy: ReactivationPolicy,
  ) {}

  /**
   * Creates the job: every credential of the family (and type) expired at or before now, the caller's
   * own unless they see the tenant. With `expected` (the count confirmed from the preview), a set that
   * no longer has exactly that many is refused before anything is written.
   */
  async create(p: Principal, family: Family, type: CredentialType | undefined, expected?: number): Promise<Row> {
    requirePermission(p, familyPermissions[family].write)
    this.refuseWhileStopping()
    const row = this.draft(p, family, type, Date.now())
    row.total = await this.remaining(this.db, row)
    if (expected !== undefined && row.total !== expected) {
      throw new ApiError('ALREADY_EXISTS',
        `The set changed since you confirmed it: ${row.total.toLocaleString('en-US')} expired credentials would be revoked now, not ${expected.toLocaleString('en-US')}. `
        + 'Nothing was revoked; review the preview again and confirm the new count.',
        [{ field: 'expired_selector.expected_count', reason: `the set now has ${row.total}` }])
    }
    await this.db.insertInto('bulk_revokes').values(row).execute()
    return row
  }

  /** What create would revoke now: count, owners, the first names, and who can undo it. Nothing is written. */
  async preview(p: Principal, family: Family, type: CredentialType | undefined): Promise<BulkRevokePreview> {
    requirePermission(p, familyPermissions[family].write)
    const row = this.draft(p, family, type, Date.now())
    const types = this.typesOf(row)
    let count = 0
    let owners = 0
    let sample: BulkRevokePreview['sample'] = []
    if (types.length) {
      const counted = await this.expired(this.db, row, types, ['live', 'disabled'])
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('owner_id').distinct().as('owners')])
        .executeTakeFirstOrThrow()
      count = Number(counted.n)
      owners = Number(counted.owners)
      const first = await this.expired(this.db, row, types, ['live', 'disabled'])
        .select(['name', 'owner_email', 'expires_at']).orderBy('name').limit(PREVIEW_SAMPLE).execute()
      sample = first.map((r) => ({ name: r.name, owner_email: r.owner_email, expiry_timestamp: isoOrNull(r.expires_at) }))
    }
    const allowed = (await this.policy.current()).allow_reactivation
    return {
      family: familyPath[family], credential_type: row.credential_type as CredentialType | null, scope: row.owner_id === null ? 'tenant' : 'own',
      cutoff_timestamp: iso(row.cutoff), count, owners, sample, undo: undoText(allowed), reactivation_allowed: allowed,
    }
  }

  /**
   * The whole set the preview counts, as CSV: keyset pages by name, so memory stays flat at any size.
   * Every check is made before the header row (once a byte is sent the status is 200).
   */
  async *previewCsv(p: Principal, family: Family, type: CredentialType | undefined): AsyncGenerator<string> {
    requirePermission(p, familyPermissions[family].write)
    const row = this.draft(p, family, type, Date.now())
    const types = this.typesOf(row)
    yield bulkRevokePreviewCsvColumns.join(',') + '\r\n'
    if (!types.length) return
    let after: string | undefined
    for (;;) {
      const began = performance.now()
      let q = this.expired(this.db, row, types, ['live', 'disabled'])
        .select(['name', 'type', 'owner_email', 'expires_at']).orderBy('name').limit(500)
      if (after !== undefined) q = q.where('name', '>', after)
      const page = await q.execute()
      let chunk = ''
      for (const r of page) chunk += [r.name, r.type, r.owner_email, isoOrNull(r.expires_at)].map(csvCell).join(',') + '\r\n'
      const spent = performance.now() - began
      if (chunk) yield chunk
      if (page.length < 500) return
      after = page[page.length - 1].name
      await this.pressure.yieldToChecks(spent)
    }
  }

  /** A job row not yet written: its cutoff is now, its scope the caller's. */
  private draft(p: Principal, family: Family, type: CredentialType | undefined, now: number): Row {
    return {
      id: crypto.randomUUID(), family, credential_type: type ?? null, owner_id: seesTenant(p) ? null : p.account.id,
      actor_id: p.account.id, actor_email: p.account.email, state: 'running', cutoff: now, total: 0, revoked: 0, batches: 0,
      error: null, created_at: now, updated_at: now, finished_at: null,
    }
  }

  /**
   * Runs the job's batches; yields the names each committed batch revoked. Stops by itself when nothing
   * is left (done), when a batch fails (failed) or when the server stops (interrupted); never throws.
   * Stopping early (return()) ends the iteration only: call keepRunning to let the job go on.
   */
  async *run(job: Row, p: Principal, ctx: AuditContext): AsyncGenerator<string[], Row> {
    const types = this.typesOf(job)
    for (let batch = job.batches + 1; ; batch++) {
      if (this.stopping) return this.settle(job.id, 'interrupted', 'The server stopped before the job finished; resume it to continue')
      let names: string[]
      let finished: boolean
      const began = performance.now()
      try {
        const tx = this.deps.audit.transact(async (trx, after) => {
          const now = Date.now()
          const ids = types.length ? await this.pick(trx, job, types, BULK_BATCH) : []
          const done = await revokeInTransaction(this.deps, trx, after, p, ctx, ids, now,
            { selector: 'expired', bulk_revoke: job.id, batch })
          const last = ids.length < BULK_BATCH
          await trx.updateTable('bulk_revokes').set({
            revoked: sql<number>`revoked + ${done.length}`, batches: sql<number>`batches + ${ids.length ? 1 : 0}`,
            updated_at: now, state: last ? 'done' : 'running', error: null, finished_at: last ? now : null,
          }).where('id', '=', job.id).execute()
          return { names: done.map((r) => r.name), finished: last }
        })
        this.inFlight.add(tx)
        try {
          ({ names, finished } = await tx)
        } finally {
          this.inFlight.delete(tx)
        }
      } catch (err) {
        this.onError(err)
        const why = err instanceof ApiError ? err.message : 'a database error'
        return this.settle(job.id, 'failed', `Batch ${batch} was rolled back (${why}); every batch before it is committed. Resume the job to continue`)
      }
      if (names.length) yield names
      if (finished) return (await this.find(job.id))!
      // Token checks and other writers run between batches. While checks arrive, the job steps back so
      // that it (with exports and other console work) takes at most a tenth of the event loop: on
      // SQLite a batch's statements and its durable commit run on the loop itself; on PostgreSQL the
      // batch's time is counted whole too (its round trips share the loop with the checks, and on one
      // machine its backend shares their cores).
      await new Promise((r) => setImmediate(r))
      await this.pressure.yieldToChecks(performance.now() - began)
    }
  }

  /** Lets a run the caller stopped reading go on to the end in the background (the server waits for it on close). */
  keepRunning(id: string, it: AsyncGenerator<string[], Row>) {
    const drain = (async () => {
      try {
        for (;;) if ((await it.next()).done) break
      } catch (err) {
        this.onError(err)
      } finally {
        this.runs.delete(id)
      }
    })()
    this.runs.set(id, drain)
  }

  /** Resumes a failed or interrupted job in the background; a running one is 409, a done one is answered as it is. */
  async resume(p: Principal, id: string, ctx: AuditContext): Promise<Row> {
    const job = await this.visible(p, id)
    requirePermission(p, familyPermissions[job.family as Family].write)
    if (job.owner_id === null && !seesTenant(p)) throw forbidden('Only an administrator can resume a tenant-wide bulk revoke')
    this.refuseWhileStopping()
    const state = stateOf(job, Date.now())
    if (state === 'done') return job
    if (state === 'running') throw new ApiError('ALREADY_EXISTS', 'This bulk revoke is still running', [{ field: 'id', reason: 'running' }])
    const now = Date.now()
    // Claimed only if nobody else claimed it since it was read (another resume, another server).
    const left = await this.remaining(this.db, job)
    const claimed = await this.db.updateTable('bulk_revokes')
      .set({ state: 'running', error: null, updated_at: now, total: job.revoked + left, finished_at: null })
      .where('id', '=', id).where('state', '=', job.state).where('updated_at', '=', job.updated_at).executeTakeFirst()
    if (Number(claimed.numUpdatedRows) === 0) throw new ApiError('ALREADY_EXISTS', 'This bulk revoke was resumed by someone else', [{ field: 'id', reason: 'running' }])
    const row = (await this.find(id))!
    this.keepRunning(id, this.run(row, p, ctx))
    return row
  }

  async get(p: Principal, id: string): Promise<BulkRevokeJob> {
    return toJob(await this.visible(p, id), Date.now())
  }

  /** Newest first: the caller's own jobs, or every job for someone who sees the tenant. */
  async list(p: Principal, limit = 20): Promise<BulkRevokeJob[]> {
    let q = this.db.selectFrom('bulk_revokes').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit)
    if (!seesTenant(p)) q = q.where('actor_id', '=', p.account.id)
    const now = Date.now()
    return (await q.execute()).map((r) => toJob(r, now))
  }

  /** Where a job started through the F5 path can be followed. */
  static location(id: string) { return `/api/bulk_revokes/${id}` }

  /** On close: running jobs stop after their current batch and are left interrupted, resumable. */
  async stop() {
    this.stopping = true
    await Promise.allSettled([...this.runs.values(), ...this.inFlight])
  }

  private refuseWhileStopping() {
    if (this.stopping) throw new ApiError('UNAVAILABLE', 'The server is stopping; try again shortly', [], { 'retry-after': '1' })
  }

  private typesOf(job: Row) {
    return familyTypes[job.family as Family].filter((t) => !job.credential_type || t === job.credential_type)
  }

  /**
   * Up to `limit` of the job's credentials still to revoke, oldest expiry first. One state at a time:
   * with a single state the (state, expires_at, type) index gives the rows in expiry order, so the
   * walk reads `limit` entries and stops, and the rows a batch revokes leave the range (their state
   * changes). `state IN (live, disabled)` with ORDER BY had PostgreSQL scan and sort every expired row
   * per batch (33 ms at 100k; a seq scan that grows with the table).
   */
  private async pick(db: Kysely<Database>, job: Row, types: string[], limit: number): Promise<string[]> {
    const ids: string[] = []
    for (const state of ['live', 'disabled'] as const) {
      if (ids.length >= limit) break
      const rows = await this.expired(db, job, types, [state]).select('id').orderBy('expires_at').limit(limit - ids.length).execute()
      for (const r of rows) ids.push(r.id)
    }
    return ids
  }

  private async remaining(db: Kysely<Database>, job: Row): Promise<number> {
    const types = this.typesOf(job)
    if (!types.length) return 0
    const r = await this.expired(db, job, types, ['live', 'disabled']).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  }

  /** The job's credentials not yet revoked: in these states, expired by its cutoff, of its types (and owner). */
  private expired(db: Kysely<Database>, job: Row, types: string[], states: Array<'live' | 'disabled'>) {
    // One state as an equality, so that the index gives the rows in expiry order (see pick).
    let q = db.selectFrom('credentials').where('state', states.length === 1 ? '=' : 'in', states.length === 1 ? states[0] : states)
      .where('expires_at', '<=', job.cutoff).where('type', 'in', types)
    if (job.owner_id !== null) q = q.where('owner_id', '=', job.owner_id)
    return q
  }

  private async settle(id: string, state: BulkRevokeState, error: string): Promise<Row> {
    const now = Date.now()
    try {
      await this.db.updateTable('bulk_revokes').set({ state, error, updated_at: now }).where('id', '=', id).execute()
    } catch (err) {
      // The job then reads as interrupted once its heartbeat is stale.
      this.onError(err)
    }
    return { ...(await this.find(id).catch(() => undefined))!, state, error }
  }

  private find(id: string) {
    return this.db.selectFrom('bulk_revokes').selectAll().where('id', '=', id).executeTakeFirst()
  }

  private async visible(p: Principal, id: string): Promise<Row> {
    const job = await this.find(id)
    if (!job || (!seesTenant(p) && job.actor_id !== p.account.id)) throw notFound('Bulk revoke')
    return job
  }
}

/** A running job whose heartbeat is stale has no runner left (its server died): it reads as interrupted. */
export function stateOf(r: Row, now: number): BulkRevokeState {
  if (r.state === 'running' && now - r.updated_at > STALE_AFTER_MS) return 'interrupted'
  return r.state as BulkRevokeState
}

export function toJob(r: Row, now: number): BulkRevokeJob {
  const state = stateOf(r, now)
  return {
    id: r.id,
    family: familyPath[r.family as Family],
    credential_type: r.credential_type as CredentialType | null,
    scope: r.owner_id === null ? 'tenant' : 'own',
    state,
    cutoff_timestamp: iso(r.cutoff),
    total: r.total,
    revoked: r.revoked,
    batches: r.batches,
    batch_size: BULK_BATCH,
    error: state === 'interrupted' && !r.error ? 'The server running this job stopped; resume it to continue' : r.error,
    created_by: { id: r.actor_id, email: r.actor_email },
    created_timestamp: iso(r.created_at),
    updated_timestamp: iso(r.updated_at),
    finished_timestamp: isoOrNull(r.finished_at),
  }
}
