// Tenant users and service accounts. Disabling a user stops all of their tokens at once, because every
// token check reads the owner's disabled flag; enabling restores them.
import crypto from 'node:crypto'
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { CreateUserRequest, UpdateUserRequest, User, ServiceAccount, UserListQuery, UserListResponse } from '../../contract/users.js'
import { createUserRequestSchema, USER_PAGE_DEFAULT, userListQuerySchema } from '../../contract/users.js'
import { ApiError, alreadyExists, invalid, isUniqueViolation, notFound } from '../lib/errors.js'
import { hashPassword } from '../lib/passwords.js'
import { iso, isoOrNull } from '../lib/time.js'
import type { AuditActor, AuditContext, AuditLog } from './audit.js'
import { actorOf } from './actor.js'
import type { ValidityBus } from './check-cache.js'
import { requirePermission, type Principal } from './principal.js'
import type { Dialect } from '../db/connection.js'
import { countActiveTokens, decodeCursor, encodeCursor } from '../db/credentials-repo.js'
import { isSqlite, likePattern, userMatch } from '../db/credential-search.js'
import { consoleReader } from '../db/read-pool.js'
import { bury, removedColumns, type RemovedRow } from '../lifecycle/queries.js'

type UserRow = Selectable<Database['users']> & { active_tokens: number | string }

function toUser(u: UserRow): User {
  return {
    id: u.id, email: u.email, name: u.name, role: u.role, kind: u.kind, disabled: u.disabled === 1,
    created_at: iso(u.created_at), last_login_at: isoOrNull(u.last_login_at), active_tokens: Number(u.active_tokens), managed_by: u.managed_by ?? null,
  }
}

export class UserService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  /**
   * Unrevoked, unexpired tokens per owner without walking their history: the trigger-kept counters
   * say at once who holds no unrevoked token (most service accounts, new users), and the others
   * count the unexpired part of (owner_id, state, expires_at), an index-only range no longer than
   * the per-user limit, where the old COUNT read every credential row the owner ever had.
   */
  private activeTokens(now: number) {
    return sql<number>`(CASE WHEN COALESCE((SELECT SUM(k.n) FROM credential_counts k
        WHERE k.owner_id = users.id AND k.state IN ('live', 'disabled')), 0) = 0 THEN 0
      ELSE (SELECT COUNT(*) FROM credentials c WHERE c.owner_id = users.id AND c.state = 'live' AND c.expires_at > ${now})
        + (SELECT COUNT(*) FROM credentials c WHERE c.owner_id = users.id AND c.state = 'disabled' AND c.expires_at > ${now})
        + (SELECT COUNT(*) FROM credentials c WHERE c.owner_id = users.id AND c.state IN ('live', 'disabled') AND c.expires_at IS NULL)
      END)`
  }

  async list(p: Principal, kind: 'user' | 'service' = 'user') {
    requirePermission(p, 'users:read')
    const now = Date.now()
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .select(this.activeTokens(now).as('active_tokens'))
      .where('kind', '=', kind)
      .orderBy('email')
      .execute()
    return rows
  }

  /**
   * One page of people in email order (emails are unique, so the email alone is the keyset). The
   * walk follows the email index and stops after a page of matches; filters and the search narrow it
   * on the way, the search as a bound parameter.
   */
  async listUsers(p: Principal, query: UserListQuery = {}): Promise<UserListResponse> {
    requirePermission(p, 'users:read')
    const f = userListQuerySchema.parse(query)
    const limit = f.limit ?? USER_PAGE_DEFAULT
    const db = consoleReader(this.db)
    let q = db.selectFrom('users').selectAll().select(this.activeTokens(Date.now()).as('active_tokens')).where('kind', '=', 'user')
    if (f.q) q = q.where(userMatch(isSqlite(db), likePattern(f.q)))
    if (f.role) q = q.where('role', '=', f.role)
    if (f.disabled) q = q.where('disabled', '=', f.disabled === 'true' ? 1 : 0)
    if (f.cursor) {
      const after = decodeCursor(f.cursor, 'name')
      if (!after) throw invalid('cursor is not one this list gave', 'cursor')
      q = q.where('email', '>', String(after.v))
    }
    const rows = await q.orderBy('email').limit(limit + 1).execute()
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return { items: page.map(toUser), next_cursor: rows.length > limit && last ? encodeCursor(last.email, last.id) : null }
  }

  /** One person, for a picker that holds only their id (a filter in the URL, a replacement's owner). */
  async getUser(p: Principal, id: string): Promise<User> {
    requirePermission(p, 'users:read')
    const u = await this.db.selectFrom('users').selectAll().select(this.activeTokens(Date.now()).as('active_tokens'))
      .where('id', '=', id).where('kind', '=', 'user').executeTakeFirst()
    if (!u) throw notFound('User')
    return toUser(u)
  }

  async listServiceAccounts(p: Principal): Promise<{ items: ServiceAccount[] }> {
    const rows = await this.list(p, 'service')
    return {
      items: rows.map((u) => ({
        id: u.id, name: u.name, email: u.email, disabled: u.disabled === 1, created_at: iso(u.created_at), active_tokens: Number(u.active_tokens),
      })),
    }
  }

  async create(p: Principal | null, body: CreateUserRequest, ctx: AuditContext): Promise<User> {
    if (p) requirePermission(p, 'users:write')
    const input = createUserRequestSchema.parse(body)
    const now = Date.now()
    const id = crypto.randomUUID()
    const passwordHash = await hashPassword(input.password)
    try {
      await this.audit.transact(async (trx) => {
        await trx.insertInto('users').values({
          id, email: input.email, name: input.name, role: input.role, kind: 'user', password_hash: passwordHash,
          disabled: 0, created_at: now, updated_at: now, last_login_at: null, managed_by: null, external_id: null, oidc_subject: null,
        }).execute()
        await this.audit.append(trx, ctx, {
          action: 'user.create', actor: p ? actorOf(p) : { id: null, email: null, type: 'system' }, targetType: 'user',
          targetName: input.email, targetOwnerId: id, outcome: 'success', details: { role: input.role },
        }, now)
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('email')
      throw err
    }
    return { id, email: input.email, name: input.name, role: input.role, kind: 'user', disabled: false, created_at: iso(now), last_login_at: null, active_tokens: 0, managed_by: null }
  }

  /**
   * Refuses a change that would leave no enabled administrator, inside the caller's transaction:
   * on PostgreSQL the enabled administrators' rows are locked first (besides the write lock every
   * transaction holds), so two administrators demoting each other at once cannot both pass.
   */
  async keepAnAdministrator(trx: Transaction<Database>, id: string, field: 'id' | 'role' | 'disabled') {
    let q = trx.selectFrom('users').select('id')
      .where('kind', '=', 'user').where('role', '=', 'admin').where('disabled', '=', 0)
    if (this.dialect === 'postgres') q = q.forUpdate()
    const admins = await q.execute()
    if (!admins.some((a) => a.id !== id)) {
      throw new ApiError('FAILED_PRECONDITION', 'This is the last administrator; make someone else an administrator first', [{ field, reason: 'last admin' }])
    }
  }

  async update(p: Principal, id: string, body: UpdateUserRequest, ctx: AuditContext): Promise<User> {
    requirePermission(p, 'users:write')
    const found = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    if (!found) throw notFound('User')
    let user = found
    if (user.id === p.account.id && (body.disabled === true || (body.role && body.role !== 'admin'))) {
      throw invalid('You cannot disable yourself or remove your own admin role; ask another administrator', body.disabled ? 'disabled' : 'role')
    }
    if (body.role && user.kind === 'service') throw invalid('Service accounts take their rights from namespace roles', 'role')
    if (body.password && user.kind === 'service') throw invalid('Service accounts do not sign in', 'password')
    if (body.password && user.id === p.account.id) throw invalid('Change your own password with your current one (POST /api/auth/password)', 'password')
    // The identity provider keeps a provisioned person's role, password and active state. Disabling
    // stays open to an administrator as a break-glass (the provider re-enables by sending active=true).
    if (user.managed_by === 'scim') {
      const field = body.role !== undefined ? 'role' : body.password !== undefined ? 'password' : body.disabled === false ? 'disabled' : undefined
      if (field) {
        throw new ApiError('INVALID_ARGUMENT', `${user.email} is managed by your identity provider (SCIM): change their ${field === 'disabled' ? 'active state' : field} there`, [
          { field, reason: 'managed_by_scim' },
        ])
      }
    }
    const passwordHash = body.password ? await hashPassword(body.password) : undefined
    const now = Date.now()
    await this.audit.transact(async (trx, after) => {
      // The row as it is now, under the write lock: what the change is measured against.
      let q = trx.selectFrom('users').selectAll().where('id', '=', id)
      if (this.dialect === 'postgres') q = q.forUpdate()
      const current = await q.executeTakeFirst()
      if (!current) throw notFound('User')
      user = current
      const demotes = body.role !== undefined && body.role !== 'admin'
      if (user.role === 'admin' && user.disabled === 0 && (demotes || body.disabled === true)) {
        await this.keepAnAdministrator(trx, id, demotes ? 'role' : 'disabled')
      }
      const set: Partial<{ role: User['role']; disabled: number; updated_at: number; password_hash: string }> = { updated_at: now }
      if (passwordHash) {
        set.password_hash = passwordHash
        // A reset password ends every session the person had.
        await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute()
        await this.audit.append(trx, ctx, {
          action: 'user.password_reset', actor: actorOf(p), targetType: 'user', targetName: user.email, targetOwnerId: user.id, outcome: 'success',
        }, now)
      }
      if (body.role && body.role !== user.role) {
        set.role = body.role
        await this.audit.append(trx, ctx, {
          action: 'user.role_change', actor: actorOf(p), targetType: 'user', targetName: user.email, targetOwnerId: user.id,
          outcome: 'success', details: { from: user.role, to: body.role },
        }, now)
      }
      if (body.disabled !== undefined && (body.disabled ? 1 : 0) !== user.disabled) {
        set.disabled = body.disabled ? 1 : 0
        await this.audit.append(trx, ctx, {
          action: body.disabled ? 'user.disable' : 'user.enable', actor: actorOf(p), targetType: 'user',
          targetName: user.email, targetOwnerId: user.id, outcome: 'success',
        }, now)
        if (body.disabled) await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute()
      }
      await trx.updateTable('users').set(set).where('id', '=', id).execute()
      // A role or an enabled state changes what every token of the account may do: drop them all
      // from the check caches (rare enough that a clear beats an owner index).
      if (set.role !== undefined || set.disabled !== undefined) await this.validity.publish(trx, after, '*')
    })
    const u = await this.db.selectFrom('users').selectAll().select(this.activeTokens(Date.now()).as('active_tokens'))
      .where('id', '=', id).executeTakeFirstOrThrow()
    return toUser(u)
  }

  /**
   * Deletes a person's account: refused while they own an active token (revoke them
   * first, e.g. with bulk revoke), for oneself, and for the last enabled administrator. Their revoked
   * and expired tokens become tombstones (reason owner_deleted), their sessions, saved searches and
   * notices go. Service accounts are not deleted here, and nothing they hold depends on the person
   * who created it (created_by is plain text, no foreign key).
   */
  async remove(p: Principal, id: string, ctx: AuditContext): Promise<{ status: boolean; tokens_removed: number }> {
    requirePermission(p, 'users:write')
    if (id === p.account.id) throw invalid('You cannot delete your own account; ask another administrator', 'id')
    const now = Date.now()
    return this.audit.transact((trx, after) => this.removeIn(trx, after, id, actorOf(p), ctx, now))
  }

  /**
   * Ends everything a person holds, inside the caller's transaction: every unrevoked credential of
   * theirs (tokens, certificates, kubeconfigs) is revoked with its audit row, and their sessions end.
   * Used when the identity provider deactivates or deletes someone: unlike a disable, which an enable
   * undoes, what is revoked here stays revoked when the person comes back.
   */
  async endAccess(trx: Transaction<Database>, after: (fn: () => void) => void, userId: string, actor: AuditActor, ctx: AuditContext, now: number, details: Record<string, unknown> = {}) {
    const live = await trx.updateTable('credentials').set({ revoked_at: now, revoked_by: actor.id })
      .where('owner_id', '=', userId).where('revoked_at', 'is', null)
      .returning(['name', 'token_hash', 'type']).execute()
    for (const r of live) {
      await this.audit.append(trx, ctx, {
        action: 'credential.revoke', actor, targetType: 'credential', targetName: r.name, targetOwnerId: userId,
        outcome: 'success', details: { ...details, type: r.type, reason: 'owner_deprovisioned' },
      }, now)
    }
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute()
    await this.validity.publish(trx, after, live.map((r) => r.token_hash))
    return live.length
  }

  /**
   * The removal itself, in the caller's transaction. `revokeLive`: the person's live credentials are
   * revoked first (the identity provider deleted them; nobody is there to ask to revoke them) instead
   * of refusing the removal.
   */
  async removeIn(
    trx: Transaction<Database>, after: (fn: () => void) => void, id: string, actor: AuditActor, ctx: AuditContext, now: number,
    opts: { revokeLive?: boolean; details?: Record<string, unknown> } = {},
  ): Promise<{ status: boolean; tokens_removed: number }> {
    let q = trx.selectFrom('users').selectAll().where('id', '=', id)
    // Locks the person against a concurrent create for them (which locks the owner the same way).
    if (this.dialect === 'postgres') q = q.forUpdate()
    const user = await q.executeTakeFirst()
    if (!user || user.kind !== 'user') throw notFound('User')
    if (user.role === 'admin' && !user.disabled) await this.keepAnAdministrator(trx, id, 'id')
    if (opts.revokeLive) await this.endAccess(trx, after, id, actor, ctx, now, opts.details)
    const active = await countActiveTokens(trx, id, now)
    if (active > 0) {
      throw new ApiError('FAILED_PRECONDITION', `${user.email} owns ${active} active token${active === 1 ? '' : 's'}; revoke ${active === 1 ? 'it' : 'them'} first`, [
        { field: 'active_tokens', reason: String(active) },
      ])
    }
    const done = await trx.deleteFrom('credentials').where('owner_id', '=', id).returning(removedColumns).execute() as RemovedRow[]
    await bury(trx, done, 'owner_deleted', now)
    for (const r of done) {
      await this.audit.append(trx, ctx, {
        action: 'credential.remove', actor, targetType: 'credential', targetName: r.name, targetOwnerId: id,
        outcome: 'success', details: { ...opts.details, reason: 'owner_deleted', type: r.type, owner: r.owner_email, revoked: isoOrNull(r.revoked_at), expiry: isoOrNull(r.expires_at) },
      }, now)
    }
    await trx.deleteFrom('sessions').where('user_id', '=', id).execute()
    await trx.deleteFrom('saved_searches').where('owner_id', '=', id).execute()
    await trx.deleteFrom('notifications').where('user_id', '=', id).execute()
    // The owner's counter rows are all zero now; the tenant's ('') stay.
    await trx.deleteFrom('credential_counts').where('owner_id', '=', id).execute()
    await trx.deleteFrom('users').where('id', '=', id).execute()
    await this.audit.append(trx, ctx, {
      action: 'user.delete', actor, targetType: 'user', targetName: user.email, targetOwnerId: id,
      outcome: 'success', details: { ...opts.details, role: user.role, tokens_removed: done.length },
    }, now)
    await this.validity.publish(trx, after, done.map((r) => r.token_hash))
    return { status: true, tokens_removed: done.length }
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').where('kind', '=', 'user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  }
}
