// Tenant users and service accounts. Disabling a user stops all of their tokens at once, because every
// token check reads the owner's disabled flag; enabling restores them.
import crypto from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { CreateUserRequest, UpdateUserRequest, User, ServiceAccount } from '../../contract/users.js'
import { createUserRequestSchema } from '../../contract/users.js'
import { alreadyExists, invalid, isUniqueViolation, notFound } from '../lib/errors.js'
import { hashPassword } from '../lib/passwords.js'
import { iso, isoOrNull } from '../lib/time.js'
import type { AuditContext, AuditLog } from './audit.js'
import { actorOf } from './actor.js'
import type { ValidityBus } from './check-cache.js'
import { requirePermission, type Principal } from './principal.js'

export class UserService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
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

  async listUsers(p: Principal): Promise<{ items: User[] }> {
    const rows = await this.list(p, 'user')
    return {
      items: rows.map((u) => ({
        id: u.id, email: u.email, name: u.name, role: u.role, kind: u.kind, disabled: u.disabled === 1,
        created_at: iso(u.created_at), last_login_at: isoOrNull(u.last_login_at), active_tokens: Number(u.active_tokens),
      })),
    }
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
          disabled: 0, created_at: now, updated_at: now, last_login_at: null,
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
    return { id, email: input.email, name: input.name, role: input.role, kind: 'user', disabled: false, created_at: iso(now), last_login_at: null, active_tokens: 0 }
  }

  async update(p: Principal, id: string, body: UpdateUserRequest, ctx: AuditContext): Promise<User> {
    requirePermission(p, 'users:write')
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    if (!user) throw notFound('User')
    if (user.id === p.account.id && (body.disabled === true || (body.role && body.role !== 'admin'))) {
      throw invalid('You cannot disable yourself or remove your own admin role; ask another administrator', body.disabled ? 'disabled' : 'role')
    }
    if (body.role && user.kind === 'service') throw invalid('Service accounts take their rights from namespace roles', 'role')
    if (body.password && user.kind === 'service') throw invalid('Service accounts do not sign in', 'password')
    if (body.password && user.id === p.account.id) throw invalid('Change your own password with your current one (POST /api/auth/password)', 'password')
    const passwordHash = body.password ? await hashPassword(body.password) : undefined
    const now = Date.now()
    await this.audit.transact(async (trx, after) => {
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
    const [u] = (await this.list(p, user.kind)).filter((r) => r.id === id)
    return {
      id: u.id, email: u.email, name: u.name, role: u.role, kind: u.kind, disabled: u.disabled === 1,
      created_at: iso(u.created_at), last_login_at: isoOrNull(u.last_login_at), active_tokens: Number(u.active_tokens),
    }
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').where('kind', '=', 'user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  }
}
