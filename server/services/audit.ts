// Append-only audit log. Each row's hash covers its content and the previous row's hash, so any
// change to a stored row breaks the chain from that row on (see verifyChain).
import crypto from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database, AuditEventsTable } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import { ApiError } from '../lib/errors.js'

export type { AuditAction } from '../../contract/audit.js'
import type { AuditAction } from '../../contract/audit.js'

export interface AuditActor {
  id: string | null
  email: string | null
  type: 'user' | 'token' | 'anonymous' | 'system'
  credentialName?: string | null
  /** 'previous': the token actor signed in with the secret a rotation replaced (in its overlap). */
  credentialSecret?: 'previous'
}

export interface AuditContext {
  ip: string | null
  userAgent: string | null
}

export interface AuditEvent {
  action: AuditAction
  actor: AuditActor
  targetType?: 'credential' | 'user' | 'session' | 'service_account' | 'webhook' | 'permission'
  targetName?: string | null
  targetOwnerId?: string | null
  outcome: 'success' | 'failure' | 'denied'
  details?: Record<string, unknown>
}

type Row = Omit<AuditEventsTable, 'id' | 'hash' | 'prev_hash'>
export const GENESIS_HASH = '0'.repeat(64)

/** The bytes a row's hash covers, in a fixed field order. */
export function canonicalRow(row: Row & { id: number }, prevHash: string): string {
  return JSON.stringify([
    row.id, row.at, row.actor_id, row.actor_email, row.actor_type, row.credential_name, row.action,
    row.target_type, row.target_name, row.target_owner_id, row.outcome, row.source_ip, row.user_agent,
    row.details, prevHash,
  ])
}

export function rowHash(row: Row & { id: number }, prevHash: string): string {
  return crypto.createHash('sha256').update(canonicalRow(row, prevHash)).digest('hex')
}

/** Lock that serialises every writing transaction on PostgreSQL, so the chain follows commit order. */
const WRITE_LOCK = 727274
const MAX_ATTEMPTS = 4
// PostgreSQL: deadlock detected, serialization failure, lock not available. SQLite: database busy.
const TRANSIENT = new Set(['40P01', '40001', '55P03', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED'])

export function isTransient(err: unknown): boolean {
  return TRANSIENT.has((err as { code?: string })?.code ?? '')
}

export class AuditLog {
  /**
   * Runs after the rows of each append (one, or a bulk revoke's batch), in the same transaction
   * (server/notifications tells a token's owner when someone else acted on it). It writes other tables
   * only, never audit_events, so the hash chain is untouched; if it fails, the change and its audit
   * rows roll back with it.
   */
  onAppend: ((trx: Transaction<Database>, events: readonly AuditEvent[], now: number) => Promise<void>) | undefined

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Every transaction that writes credentials, accounts or audit rows runs through here. On
   * PostgreSQL it takes the audit lock first, before touching any row, so all writers lock in one
   * order and cannot deadlock each other; reads inside see everything committed before the lock.
   * A transient conflict (deadlock with something else, serialization, busy) is retried a few
   * times, then answered as 503 with Retry-After rather than a 500.
   */
  async transact<T>(fn: (trx: Transaction<Database>, afterCommit: (cb: () => void) => void) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // Work that must wait for the commit (clearing this instance's check cache) runs only if it succeeds.
      const after: Array<() => void> = []
      try {
        const result = await this.db.transaction().execute(async (trx) => {
          if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${sql.lit(WRITE_LOCK)})`.execute(trx)
          return fn(trx, (cb) => after.push(cb))
        })
        for (const cb of after) cb()
        return result
      } catch (err) {
        if (!isTransient(err)) throw err
        if (attempt >= MAX_ATTEMPTS) {
          throw new ApiError('UNAVAILABLE', 'The database is busy; try again shortly', [], { 'retry-after': '1' })
        }
        await new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.random() * 10))
      }
    }
  }

  /** Appends within the caller's transaction (from transact), so the row commits or rolls back with the change. */
  async append(trx: Transaction<Database>, ctx: AuditContext, e: AuditEvent, now = Date.now()): Promise<void> {
    await this.appendMany(trx, ctx, [e], now)
  }

  /**
   * Appends several rows in one statement (a bulk revoke's batch): the chain is computed here in order,
   * so the rows are exactly what one append each would have written, in a few round trips instead of
   * three per row.
   */
  async appendMany(trx: Transaction<Database>, ctx: AuditContext, events: AuditEvent[], now = Date.now()): Promise<void> {
    if (!events.length) return
    if (this.dialect === 'postgres') {
      // Re-entrant: transact already holds it; kept so an append can never run unserialised.
      await sql`SELECT pg_advisory_xact_lock(${sql.lit(WRITE_LOCK)})`.execute(trx)
    }
    const last = await trx
      .selectFrom('audit_events')
      .select(['id', 'hash'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    let prevHash = last?.hash ?? GENESIS_HASH
    let id = last?.id ?? 0
    const rows = events.map((e) => {
      const row: Row = {
        at: now,
        actor_id: e.actor.id,
        actor_email: e.actor.email,
        actor_type: e.actor.type,
        credential_name: e.actor.credentialName ?? null,
        action: e.action,
        target_type: e.targetType ?? null,
        target_name: e.targetName ?? null,
        target_owner_id: e.targetOwnerId ?? null,
        outcome: e.outcome,
        source_ip: ctx.ip,
        user_agent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
        // A change made with a rotated-away secret says so, so the trail shows which secret acted.
        details: JSON.stringify(e.actor.credentialSecret ? { ...e.details, credential_secret: e.actor.credentialSecret } : (e.details ?? {})),
      }
      id++
      const hash = rowHash({ ...row, id }, prevHash)
      const full = { ...row, id, prev_hash: prevHash, hash }
      prevHash = hash
      return full
    })
    // 16 columns a row: 500 rows stay far below either database's bound on parameters.
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto('audit_events').values(rows.slice(i, i + 500)).execute()
    await this.onAppend?.(trx, events, now)
  }

  /** For events that are not part of another change (failed logins, refused token uses). */
  async record(ctx: AuditContext, e: AuditEvent): Promise<void> {
    await this.transact((trx) => this.append(trx, ctx, e))
  }
}
