// Append-only audit log. Each row's hash covers its content and the previous row's hash, so any
// change to a stored row breaks the chain from that row on (see verifyChain).
import crypto from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database, AuditEventsTable } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'

export type AuditAction =
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'password_change'
  | 'user.password_reset'
  | 'credential.create'
  | 'credential.renew'
  | 'credential.revoke'
  | 'credential.activate'
  | 'credential.bulk_revoke'
  | 'credential.roles_change'
  | 'credential.use_denied'
  | 'credential.check_failed'
  | 'user.create'
  | 'user.role_change'
  | 'user.disable'
  | 'user.enable'
  | 'service_account.create'

export interface AuditActor {
  id: string | null
  email: string | null
  type: 'user' | 'token' | 'anonymous' | 'system'
  credentialName?: string | null
}

export interface AuditContext {
  ip: string | null
  userAgent: string | null
}

export interface AuditEvent {
  action: AuditAction
  actor: AuditActor
  targetType?: 'credential' | 'user' | 'session' | 'service_account'
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

export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Appends within the caller's transaction, so the row commits or rolls back with the change. */
  async append(trx: Transaction<Database>, ctx: AuditContext, e: AuditEvent, now = Date.now()): Promise<void> {
    if (this.dialect === 'postgres') {
      // Serialises appenders so ids and the chain follow commit order.
      await sql`SELECT pg_advisory_xact_lock(727274)`.execute(trx)
    }
    const last = await trx
      .selectFrom('audit_events')
      .select(['id', 'hash'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    const prevHash = last?.hash ?? GENESIS_HASH
    const id = (last?.id ?? 0) + 1
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
      details: JSON.stringify(e.details ?? {}),
    }
    await trx
      .insertInto('audit_events')
      .values({ ...row, id, prev_hash: prevHash, hash: rowHash({ ...row, id }, prevHash) })
      .execute()
  }

  /** For events that are not part of another change (failed logins, refused token uses). */
  async record(ctx: AuditContext, e: AuditEvent): Promise<void> {
    await this.db.transaction().execute((trx) => this.append(trx, ctx, e))
  }
}
