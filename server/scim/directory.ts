// People and role groups as SCIM resources, written through the same transaction, audit and
// validity rules as the console: a deactivation (active=false) or a delete revokes every credential
// the person holds and ends their sessions in one audited transaction, and the ValidityBus makes
// the next check refuse them here and, on PostgreSQL, on every other instance within a second.
import crypto from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database, UsersTable } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import { normalizeEmail } from '../../contract/identifiers.js'
import { isUniqueViolation } from '../lib/errors.js'
import { iso } from '../lib/time.js'
import type { AuditActor, AuditContext, AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import type { UserService } from '../services/users.js'
import type { Filter } from 'scim2-parse-filter'
import { userFilterSql } from './filter.js'
import { badValue, notFoundScim, ScimError, URN } from './protocol.js'

export const ROLES = ['admin', 'developer', 'auditor'] as const
export type Role = (typeof ROLES)[number]
type Person = Pick<UsersTable, 'id' | 'email' | 'name' | 'role' | 'disabled' | 'created_at' | 'updated_at' | 'external_id' | 'managed_by'>
  & { given_name: string | null; family_name: string | null }
const PERSON = [
  'users.id', 'users.email', 'users.name', 'users.role', 'users.disabled', 'users.created_at', 'users.updated_at', 'users.external_id',
  'users.managed_by', 'n.given_name', 'n.family_name',
] as const

/** What a SCIM client may set on a person. */
export interface PersonInput {
  email: string
  /** The display name (name.formatted). */
  name: string
  givenName: string | null
  familyName: string | null
  active: boolean
  externalId: string | null
}

/** Who acts: the SCIM client, named by its token, on behalf of the administrator who created it. */
export interface ScimClient {
  tokenId: string
  actor: AuditActor
}

export const userVersion = (u: Pick<Person, 'updated_at'>) => `W/"${u.updated_at.toString(36)}"`

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/

export function userResource(u: Person, base: string) {
  return {
    schemas: [URN.user],
    id: u.id,
    ...(u.external_id !== null ? { externalId: u.external_id } : {}),
    userName: u.email,
    name: { formatted: u.name, ...(u.given_name !== null ? { givenName: u.given_name } : {}), ...(u.family_name !== null ? { familyName: u.family_name } : {}) },
    displayName: u.name,
    emails: [{ value: u.email, type: 'work', primary: true }],
    active: u.disabled === 0,
    groups: [{ value: u.role, display: u.role, $ref: `${base}/Groups/${u.role}`, type: 'direct' }],
    meta: { resourceType: 'User', created: iso(u.created_at), lastModified: iso(u.updated_at), location: `${base}/Users/${u.id}`, version: userVersion(u) },
  }
}

/** A SCIM User body (create, replace or a patched representation) as what this server stores. */
export function personInput(body: unknown): PersonInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError(400, 'The body must be a JSON object', 'invalidSyntax')
  const b = Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v])) as Record<string, unknown>
  const schemas = b.schemas
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.includes(URN.user))) throw new ScimError(400, `schemas must include ${URN.user}`, 'invalidSyntax')
  if (typeof b.username !== 'string' || !b.username.trim()) throw new ScimError(400, 'userName is required', 'invalidValue')
  const email = normalizeEmail(b.username.trim())
  if (!EMAIL_RE.test(email) || email.length > 254) throw badValue('userName must be the person\'s email address (it is how they sign in)')
  const name = nameOf(b.name, b.displayname) ?? email.split('@')[0]
  if (name.length > 128) throw badValue('name must be at most 128 characters')
  const parts = b.name && typeof b.name === 'object' && !Array.isArray(b.name)
    ? Object.fromEntries(Object.entries(b.name).map(([k, v]) => [k.toLowerCase(), v])) as Record<string, unknown> : {}
  const part = (v: unknown, what: string) => {
    if (v === undefined || v === null || v === '') return null
    if (typeof v !== 'string' || v.length > 128) throw badValue(`name.${what} must be a string of at most 128 characters`)
    return v
  }
  const givenName = part(parts.givenname, 'givenName')
  const familyName = part(parts.familyname, 'familyName')
  let active = true
  if (b.active !== undefined && b.active !== null) {
    // Some clients send booleans as strings ("False"); the value is read, not the type.
    if (typeof b.active === 'boolean') active = b.active
    else if (typeof b.active === 'string' && /^(true|false)$/i.test(b.active)) active = b.active.toLowerCase() === 'true'
    else throw badValue('active must be true or false')
  }
  let externalId: string | null = null
  if (b.externalid !== undefined && b.externalid !== null) {
    if (typeof b.externalid !== 'string' || b.externalid.length > 256) throw badValue('externalId must be a string of at most 256 characters')
    externalId = b.externalid
  }
  return { email, name, givenName, familyName, active, externalId }
}

function nameOf(name: unknown, displayName: unknown): string | undefined {
  if (name && typeof name === 'object' && !Array.isArray(name)) {
    const n = Object.fromEntries(Object.entries(name).map(([k, v]) => [k.toLowerCase(), v])) as Record<string, unknown>
    if (typeof n.formatted === 'string' && n.formatted.trim()) return n.formatted.trim()
    const parts = [n.givenname, n.familyname].filter((x): x is string => typeof x === 'string' && x.trim() !== '')
    if (parts.length) return parts.join(' ').trim()
  }
  if (typeof displayName === 'string' && displayName.trim()) return displayName.trim()
  return undefined
}

export class ScimDirectory {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
    private readonly users: UserService,
  ) {}

  private people() {
    return this.db.selectFrom('users').leftJoin('scim_names as n', 'n.user_id', 'users.id').select(PERSON).where('users.kind', '=', 'user')
  }

  async get(id: string): Promise<Person> {
    const u = await this.people().where('users.id', '=', id).executeTakeFirst()
    if (!u) throw notFoundScim('User', id)
    return u
  }

  async list(filter: Filter | undefined, startIndex: number, count: number) {
    let q = this.people()
    if (filter) q = q.where(userFilterSql(filter))
    const [total, rows] = await Promise.all([
      this.db.selectFrom(q.as('f')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      count === 0 ? Promise.resolve([]) : q.orderBy('users.created_at').orderBy('users.id').limit(count).offset(startIndex - 1).execute(),
    ])
    return { total: Number(total.n), rows }
  }

  /** The row under the write lock, checked against If-Match. */
  private async locked(trx: Transaction<Database>, id: string, ifMatch: string | undefined): Promise<Person> {
    let q = trx.selectFrom('users').leftJoin('scim_names as n', 'n.user_id', 'users.id').select(PERSON).where('users.id', '=', id).where('users.kind', '=', 'user')
    // Locks the person's row (not the optional name row, which PostgreSQL cannot lock through an outer join).
    if (this.dialect === 'postgres') q = q.forUpdate('users')
    const u = await q.executeTakeFirst()
    if (!u) throw notFoundScim('User', id)
    checkIfMatch(ifMatch, userVersion(u))
    return u
  }

  async create(client: ScimClient, input: PersonInput, ctx: AuditContext): Promise<Person> {
    const now = Date.now()
    const id = crypto.randomUUID()
    try {
      await this.audit.transact(async (trx) => {
        await trx.insertInto('users').values({
          id, email: input.email, name: input.name, role: 'developer', kind: 'user', password_hash: null,
          disabled: input.active ? 0 : 1, created_at: now, updated_at: now, last_login_at: null,
          managed_by: 'scim', external_id: input.externalId, oidc_subject: null,
        }).execute()
        await this.setNameParts(trx, id, input)
        await this.audit.append(trx, ctx, {
          action: 'user.create', actor: client.actor, targetType: 'user', targetName: input.email, targetOwnerId: id,
          outcome: 'success', details: { via: 'scim', role: 'developer', active: input.active, external_id: input.externalId },
        }, now)
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw new ScimError(409, 'A user with this userName or externalId already exists', 'uniqueness')
      throw err
    }
    return this.get(id)
  }

  /** A replace or a patched representation: the stored fields follow `input`, each change audited. */
  async update(client: ScimClient, id: string, next: (current: Person) => PersonInput, ctx: AuditContext, ifMatch?: string): Promise<Person> {
    const now = Date.now()
    try {
      await this.audit.transact(async (trx, after) => {
        const cur = await this.locked(trx, id, ifMatch)
        const input = next(cur)
        const details = { via: 'scim' }
        const changed: Record<string, unknown> = {}
        if (input.email !== cur.email) changed.userName = { from: cur.email, to: input.email }
        if (input.name !== cur.name) changed.name = { from: cur.name, to: input.name }
        if (input.externalId !== cur.external_id) changed.externalId = { from: cur.external_id, to: input.externalId }
        if (input.givenName !== cur.given_name) changed.givenName = { from: cur.given_name, to: input.givenName }
        if (input.familyName !== cur.family_name) changed.familyName = { from: cur.family_name, to: input.familyName }
        if (changed.givenName || changed.familyName) await this.setNameParts(trx, id, input)
        const disable = !input.active && cur.disabled === 0
        const enable = input.active && cur.disabled === 1
        if (disable && cur.role === 'admin') await this.users.keepAnAdministrator(trx, id, 'disabled')
        await trx.updateTable('users').set({
          email: input.email, name: input.name, external_id: input.externalId, disabled: input.active ? 0 : 1, managed_by: 'scim', updated_at: Math.max(now, cur.updated_at + 1),
        }).where('id', '=', id).execute()
        if (Object.keys(changed).length) {
          await this.audit.append(trx, ctx, {
            action: 'user.update', actor: client.actor, targetType: 'user', targetName: input.email, targetOwnerId: id, outcome: 'success', details: { ...details, ...changed },
          }, now)
        }
        if (input.email !== cur.email) {
          // A new sign-in name: sessions opened under the old one end.
          await trx.deleteFrom('sessions').where('user_id', '=', id).execute()
        }
        if (disable) {
          await this.audit.append(trx, ctx, {
            action: 'user.disable', actor: client.actor, targetType: 'user', targetName: input.email, targetOwnerId: id, outcome: 'success', details,
          }, now)
          // What a deactivation ends stays ended: re-activation gives back the account, not its credentials.
          await this.users.endAccess(trx, after, id, client.actor, ctx, now, details)
        }
        if (enable) {
          await this.audit.append(trx, ctx, {
            action: 'user.enable', actor: client.actor, targetType: 'user', targetName: input.email, targetOwnerId: id, outcome: 'success', details,
          }, now)
        }
        // The owner's disabled flag, email and name travel in every cached check of theirs.
        if (disable || enable || Object.keys(changed).length) await this.validity.publish(trx, after, '*')
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw new ScimError(409, 'A user with this userName or externalId already exists', 'uniqueness')
      throw err
    }
    return this.get(id)
  }

  private async setNameParts(trx: Transaction<Database>, id: string, input: PersonInput) {
    await trx.deleteFrom('scim_names').where('user_id', '=', id).execute()
    if (input.givenName !== null || input.familyName !== null) {
      await trx.insertInto('scim_names').values({ user_id: id, given_name: input.givenName, family_name: input.familyName }).execute()
    }
  }

  async remove(client: ScimClient, id: string, ctx: AuditContext, ifMatch?: string) {
    const now = Date.now()
    await this.audit.transact(async (trx, after) => {
      await this.locked(trx, id, ifMatch)
      await this.users.removeIn(trx, after, id, client.actor, ctx, now, { revokeLive: true, details: { via: 'scim' } })
    })
  }

  // Groups: one per role; a person belongs to the group of their role.

  async members(role?: Role) {
    let q = this.db.selectFrom('users').select(['id', 'email', 'role', 'updated_at']).where('kind', '=', 'user')
    if (role) q = q.where('role', '=', role)
    return q.orderBy('email').execute()
  }

  /**
   * Sets the role group's members: those listed get the role, those no longer listed fall back to
   * developer (the default role). Everyone holds a role, so nobody can leave the developer group
   * except by joining another; the last enabled administrator cannot be removed.
   */
  async setMembers(client: ScimClient, role: Role, memberIds: string[], ctx: AuditContext, ifMatch?: string) {
    const now = Date.now()
    await this.audit.transact(async (trx, after) => {
      let q = trx.selectFrom('users').select(['id', 'email', 'role', 'disabled', 'updated_at']).where('kind', '=', 'user')
      if (this.dialect === 'postgres') q = q.forUpdate()
      const everyone = await q.execute()
      checkIfMatch(ifMatch, groupVersion(role, everyone.filter((u) => u.role === role)))
      const byId = new Map(everyone.map((u) => [u.id, u]))
      const wanted = new Set(memberIds)
      for (const m of wanted) if (!byId.has(m)) throw badValue(`No user with id ${m}`)
      const changes: Array<{ u: (typeof everyone)[number]; to: Role }> = []
      for (const u of everyone) {
        if (wanted.has(u.id) && u.role !== role) changes.push({ u, to: role })
        if (!wanted.has(u.id) && u.role === role) {
          if (role === 'developer') throw badValue(`${u.email} cannot leave developer without joining admin or auditor: everyone holds a role`)
          changes.push({ u, to: 'developer' })
        }
      }
      for (const { u, to } of changes) {
        if (u.role === 'admin' && u.disabled === 0) await this.users.keepAnAdministrator(trx, u.id, 'role')
        await trx.updateTable('users').set({ role: to, managed_by: 'scim', updated_at: Math.max(now, u.updated_at + 1) }).where('id', '=', u.id).execute()
        await this.audit.append(trx, ctx, {
          action: 'user.role_change', actor: client.actor, targetType: 'user', targetName: u.email, targetOwnerId: u.id,
          outcome: 'success', details: { via: 'scim', from: u.role, to },
        }, now)
      }
      // A role changes what every token of the person may do.
      if (changes.length) await this.validity.publish(trx, after, '*')
    })
  }
}

export function groupVersion(role: string, members: Array<{ id: string; updated_at: number }>) {
  const h = crypto.createHash('sha256').update(role)
  for (const m of [...members].sort((a, b) => a.id.localeCompare(b.id))) h.update(`|${m.id}:${m.updated_at}`)
  return `W/"${h.digest('base64url').slice(0, 16)}"`
}

/** RFC 7644 section 3.14 with RFC 7232's If-Match: "*" or one of the listed versions, else 412. */
export function checkIfMatch(ifMatch: string | undefined, version: string) {
  if (ifMatch === undefined) return
  const tags = ifMatch.split(',').map((s) => s.trim())
  if (tags.includes('*')) return
  // Weak comparison: W/"x" and "x" name the same version.
  const strip = (t: string) => t.replace(/^W\//, '')
  if (!tags.some((t) => strip(t) === strip(version))) throw new ScimError(412, 'The resource has changed since that version (If-Match)')
}

