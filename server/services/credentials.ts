// Credential lifecycle rules: who may do what, limits, expiry, and an audit row in the same transaction.
import crypto from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import type {
  ActivateRequest, CreateCredentialRequest, CreateServiceCredentialRequest, Credential, GetResponse,
  ListQuery, NamespaceRole, RenewRequest, ReplaceServiceCredentialRequest,
} from '../../contract/credentials.js'
import { rolePermissions, type Permission, type ScopeKind } from '../../contract/scopes.js'
import { isCatalogPermissionName } from '../../contract/permissions.js'
import type { Role } from '../../contract/users.js'
import { checkGrantable, linkCatalogPermissions, retiredAmong } from '../permissions/catalog.js'
import {
  countActiveTokens, countCredentials, credentialQuery, decodeCursor, familyTypes, findCredentialByName,
  listCredentials, type CredentialRow, type Family, type UsageFilter,
} from '../db/credentials-repo.js'
import { ApiError, alreadyExists, forbidden, invalid, isUniqueViolation, notFound, uniqueViolationColumn } from '../lib/errors.js'
import { generateToken, hashToken } from '../lib/tokens.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'
import type { AuditContext, AuditLog } from './audit.js'
import { familyPermissions as perms, requirePermission, requirePermissionFor, seesTenant, strongestNamespaceRole, type Principal } from './principal.js'
import { actorOf } from './actor.js'
import { revokeInTransaction } from '../bulk-revoke/service.js'
import type { ValidityBus } from './check-cache.js'
import type { PolicySettings } from '../../contract/policy.js'
import { nameRuleMatches } from '../policy/name-rule.js'
import type { RotateRequest } from '../../contract/rotation.js'
import { requireIfMatch } from '../lib/etag.js'
import { storedRolesETag } from './credential-etag.js'
import { normalizeCidrs } from '../limits/allowlist.js'
import type { RateLimit } from '../../contract/limits.js'

export interface CredentialPolicy {
  tenant: string
  /** The stored tenant policy in force (server/policy), read before a write transaction opens. */
  current: () => Promise<PolicySettings>
}

/**
 * Certificate-backed types (API_CERTIFICATE, KUBE_CONFIG, …): server/pki sets this at start. Their
 * row's token_hash is an HMAC of the certificate's fingerprint, not of any token, so it never
 * authenticates as a token; the certificate itself does (server/pki).
 */
export interface CertificateSpec { password?: string; virtual_k8s_name?: string; virtual_k8s_namespace?: string; site?: string; groups?: string[] }
export interface CertificateIssuer {
  handles(type: string): boolean
  /** Before the transaction: checks the request (a clear 400) and makes the key pair (the slow part). */
  prepare(type: string, spec: CertificateSpec): Promise<{
    /** In the transaction, once the owner is known: signs the certificate. */
    sign(owner: { email: string; role: string | null; namespaceRoles: NamespaceRole[] }, expiresAt: number): { tokenHash: string; last4: string; serial: string }
    /** In the transaction, after the credential row: stores serial, fingerprint, subject, not-after. */
    record(trx: Kysely<Database>, credentialName: string, now: number): Promise<void>
    /** After commit: the one-time `data` (a PKCS#12 bundle, a kubeconfig). */
    data(): string
  }>
  /** A type's own default lifetime in days, when shorter than the policy's (kubeconfigs: nothing revokes them at a cluster). */
  defaultExpirationDays?(type: string): number | undefined
  /** The newest certificate issued for a credential: serial (hex) and notAfter (ms). */
  certificateOf(credentialId: string): Promise<{ serial: string; notAfter: number } | undefined>
}

/**
 * The F5 create bodies carry settings for several types; each fits only some. A setting given for a
 * type it does not fit is a clear 400 naming the field, never silently dropped.
 */
const fieldFits: Record<string, readonly string[]> = {
  api_token: ['SERVICE_API_TOKEN'],
  api_certificate: ['SERVICE_API_CERTIFICATE'],
  password: ['API_CERTIFICATE', 'SERVICE_API_CERTIFICATE'],
  vk8s_kubeconfig: ['SERVICE_KUBE_CONFIG'],
  virtual_k8s_name: ['KUBE_CONFIG', 'SERVICE_KUBE_CONFIG'],
  virtual_k8s_namespace: ['KUBE_CONFIG', 'SERVICE_KUBE_CONFIG'],
  site_kubeconfig: ['SITE_GLOBAL_KUBE_CONFIG'],
}

function checkFieldsFit(type: string, fields: Record<string, unknown>, prefix = '') {
  for (const [field, types] of Object.entries(fieldFits)) {
    if (fields[field] !== undefined && !types.includes(type)) {
      throw invalid(`${prefix}${field} is for ${types.join(' and ')} credentials, not ${type}`, `${prefix}${field}`)
    }
  }
}

/** How a rotation ends the token it replaces (see rotate). */
interface RotationEnd { overlapMs: number; cutoverOnSwitch: boolean }

const familyLabel: Record<Family, string> = { user: 'API credential', service: 'Service credential' }

/** The audit reason of a re-activation whose request gave none (F5's activate body has no reason field). */
export const ACTIVATED_WITHOUT_REASON = 'No reason given (re-activated through the API without one)'

export function toCredential(row: CredentialRow, retired?: ReadonlySet<string>): Credential {
  const permissions = JSON.parse(row.permissions) as string[]
  const roles = JSON.parse(row.namespace_roles) as NamespaceRole[]
  const roleMap: Record<string, { names: string[] }> = {}
  for (const r of roles) (roleMap[r.namespace] ??= { names: [] }).names.push(r.role)
  return {
    name: row.name,
    uid: row.uid,
    namespace: 'system',
    type: row.type as Credential['type'],
    user_email: row.owner_email,
    active: row.status === 'active',
    create_timestamp: iso(row.created_at),
    expiry_timestamp: isoOrNull(row.expires_at),
    description: row.description,
    owner: { id: row.owner_id, email: row.owner_email, name: row.owner_name, kind: row.owner_kind },
    created_by: row.created_by,
    scope: row.scope,
    permissions,
    ...(retired ? { retired_permissions: permissions.filter((x) => retired.has(x)) } : {}),
    status: row.status,
    last_used_timestamp: isoOrNull(row.last_used_at),
    revoked_timestamp: isoOrNull(row.revoked_at),
    leaked_timestamp: isoOrNull(row.leaked_at),
    rotated_from: row.rotated_from,
    replaced_by: row.replaced_by,
    token_hint: `…${row.token_last4}`,
    namespace_roles: roles,
    namespace_access: { namespace_role_map: roleMap },
    user_group_names: JSON.parse(row.user_group_names) as string[],
    allowed_cidrs: row.allowed_cidrs === null ? null : JSON.parse(row.allowed_cidrs) as string[],
    rate_limit: row.rate_limit !== null && row.rate_window_seconds !== null ? { limit: row.rate_limit, window_seconds: row.rate_window_seconds } : null,
    not_before_timestamp: isoOrNull(row.not_before),
  }
}

/** The limits a create body asks for, as stored (server/limits); validated by the contract already. */
interface CreateLimits { allowedCidrs: string[] | null; rateLimit: RateLimit | null; notBefore: number | null }
function createLimits(body: { allowed_cidrs?: string[] | null; rate_limit?: RateLimit | null; not_before?: string }): CreateLimits {
  return {
    allowedCidrs: body.allowed_cidrs?.length ? normalizeCidrs(body.allowed_cidrs) : null,
    rateLimit: body.rate_limit ?? null,
    notBefore: body.not_before === undefined ? null : Date.parse(body.not_before),
  }
}

type ListFilterQuery = Omit<ListQuery, 'status' | 'type'> & { status?: string[]; type?: string[] }

/** The parts of a list filter read from the query string alike by every list. */
function queryFilter(query: ListFilterQuery) {
  return {
    q: query.q?.trim() || undefined,
    statuses: query.status as Credential['status'][] | undefined,
    types: query.type,
    expiringWithinDays: query.expiring_within_days as number | undefined,
    includeExpired: query.include_expired !== 'false',
    replaced: query.replaced === undefined ? undefined : query.replaced === 'true',
  }
}

/** F5 XC's GetResponse for one credential: ours, plus `object` with metadata, system_metadata and gc_spec. */
export async function getResponseOf(db: Kysely<Database>, tenant: string, row: CredentialRow, certificates?: CertificateIssuer): Promise<GetResponse> {
  const c = toCredential(row, await retiredAmong(db, JSON.parse(row.permissions) as string[]))
  const [creator, certificate, modified] = await Promise.all([
    row.created_by ? db.selectFrom('users').select('email').where('id', '=', row.created_by).executeTakeFirst() : undefined,
    certificates?.handles(row.type) ? certificates.certificateOf(row.id) : undefined,
    db.selectFrom('audit_events').select('at').where('target_name', '=', row.name).where('target_type', '=', 'credential')
      .orderBy('at', 'desc').limit(1).executeTakeFirst(),
  ])
  const ns = { kind: 'namespace', name: 'system', tenant, uid: `${tenant}-system` }
  const optional = (k: string, v: string | null) => (v ? { [k]: v } : {})
  return {
    ...c,
    object: {
      metadata: { name: c.name, namespace: 'system', uid: c.uid, description: c.description, labels: {}, annotations: {}, disable: !c.active },
      system_metadata: {
        uid: c.uid, tenant, creation_timestamp: c.create_timestamp,
        modification_timestamp: iso(Math.max(row.created_at, modified?.at ?? 0)),
        creator_id: creator?.email ?? 'system', creator_class: 'token-console', namespace: [ns],
        labels: {}, finalizers: [],
      },
      spec: {
        gc_spec: {
          type: c.type,
          active: c.active,
          created_timestamp: c.create_timestamp,
          expiration_timestamp: c.expiry_timestamp,
          users: [{ name: c.owner.email, namespace: 'system', kind: c.owner.kind === 'service' ? 'service_account' : 'user', tenant, uid: c.owner.id }],
          ...optional('certificate_serial_num', certificate?.serial ?? null),
          ...optional('virtual_k8s_name', row.k8s_name),
          ...optional('virtual_k8s_namespace', row.k8s_namespace),
          ...optional('site_name', row.site_name),
        },
      },
    },
  }
}

export class CredentialService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly secret: Buffer,
    private readonly audit: AuditLog,
    private readonly policy: CredentialPolicy,
    /** Tells the token-check caches (this instance's and, on PostgreSQL, every other's) what changed. */
    private readonly validity: ValidityBus,
  ) {}

  certificates?: CertificateIssuer

  /** Every token of every user and service account, for admins and auditors. */
  async inventory(p: Principal, query: Omit<ListQuery, 'status' | 'type'> & { status?: string[]; type?: string[]; account_type?: Family; usage?: UsageFilter }) {
    requirePermission(p, 'credentials:read')
    if (!seesTenant(p)) throw forbidden('The inventory is for administrators and auditors')
    return this.list(p, query.account_type ?? 'all', { ...query, mine: undefined }, query.usage)
  }

  async list(p: Principal, family: Family | 'all', query: Omit<ListQuery, 'status' | 'type'> & { status?: string[]; type?: string[] }, usage?: UsageFilter) {
    if (family !== 'all') requirePermission(p, perms[family].read)
    const now = Date.now()
    const paged = query.limit !== undefined || query.cursor !== undefined || query.sort !== undefined
    // F5: the plain list call is "credentials created by the user"; the tenant-wide set is paged.
    const mine = query.mine === 'true' || !seesTenant(p) || !paged
    if (query.owner && !seesTenant(p) && query.owner !== p.account.id) return { items: [], next_cursor: null, total: 0, has_more: false }
    const filter = { ...queryFilter(query), family, usage, ownerId: mine ? p.account.id : query.owner, orCreatedBy: !paged }
    const sort = query.sort ?? 'created'
    let cursor
    if (query.cursor) {
      cursor = decodeCursor(query.cursor, sort)
      if (!cursor) throw invalid('cursor is not valid for this sort; start again without it', 'cursor')
    }
    const page = paged
      ? { sort, order: query.order ?? (query.sort ? 'asc' : 'desc'), limit: (query.limit as number | undefined) ?? 50, cursor }
      : undefined
    // The page and its total share one plan (see planFor) and run side by side on the read pool.
    const [{ rows, nextCursor }, total] = await Promise.all([
      listCredentials(this.db, filter, page as never, now),
      paged ? countCredentials(this.db, filter, now) : undefined,
    ])
    const retired = await retiredAmong(this.db, rows.flatMap((r) => JSON.parse(r.permissions) as string[]))
    const items = rows.map((r) => toCredential(r, retired))
    if (!paged) return { items }
    return { items, next_cursor: nextCursor, total: total ?? null, has_more: nextCursor !== null }
  }

  /**
   * The unpaged F5 list (the caller's own and the ones they created) as JSON text pieces, newest
   * first: a caller's history has no upper bound (revoked and expired rows stay, a service account
   * may create for many), so it is read in keyset pages of `chunk` rows and never held whole. The
   * first page is read before this returns, so a refusal or a timeout is still a plain error answer.
   */
  async listOwnJson(p: Principal, family: Family, query: Omit<ListQuery, 'status' | 'type'> & { status?: string[]; type?: string[] }, chunk = 500): Promise<AsyncGenerator<string>> {
    requirePermission(p, perms[family].read)
    const now = Date.now()
    // The same filter `list` builds for an unpaged call.
    const filter = { ...queryFilter(query), family, ownerId: p.account.id, orCreatedBy: true }
    if (query.owner && !seesTenant(p) && query.owner !== p.account.id) return (async function* () { yield '{"items":[]}' })()
    const read = (cursor?: { v: string | number; id: string }) =>
      listCredentials(this.db, filter, { sort: 'created', order: 'desc', limit: chunk, cursor } as never, now)
    const first = await read()
    const db = this.db
    async function* pieces() {
      let page = first
      let sep = ''
      yield '{"items":['
      for (;;) {
        if (page.rows.length) {
          const retired = await retiredAmong(db, page.rows.flatMap((r) => JSON.parse(r.permissions) as string[]))
          yield sep + page.rows.map((r) => JSON.stringify(toCredential(r, retired))).join(',')
          sep = ','
        }
        const next = page.nextCursor ? decodeCursor(page.nextCursor, 'created') : undefined
        if (!next) break
        page = await read(next)
      }
      yield ']}'
    }
    return pieces()
  }

  /** A credential the principal may see, else the same 404 as a missing one. */
  async visible(p: Principal, family: Family, name: string): Promise<CredentialRow> {
    const row = await findCredentialByName(this.db, name, Date.now())
    if (!row || !familyTypes[family].includes(row.type)) throw notFound(familyLabel[family])
    if (!seesTenant(p) && row.owner_id !== p.account.id) throw notFound(familyLabel[family])
    return row
  }

  async get(p: Principal, family: Family, name: string): Promise<GetResponse> {
    requirePermission(p, perms[family].read)
    return getResponseOf(this.db, this.policy.tenant, await this.visible(p, family, name), this.certificates)
  }

  private expiryDays(days: number | undefined, rules: PolicySettings, type?: string): number {
    const own = type === undefined ? undefined : this.certificates?.defaultExpirationDays?.(type)
    const d = days ?? (own === undefined ? rules.default_expiration_days : Math.min(own, rules.default_expiration_days))
    if (d > rules.max_expiration_days) {
      throw invalid(`expiration_days must be at most ${rules.max_expiration_days} (tenant policy)`, 'expiration_days')
    }
    return d
  }

  /** never_expires: true only where the policy allows it for this account type, and never beside expiration_days. */
  private neverExpires(body: { never_expires?: boolean; expiration_days?: number }, rules: PolicySettings, account: 'user' | 'service', type: string): boolean {
    if (!body.never_expires) return false
    if (body.expiration_days !== undefined) throw invalid('Give never_expires or expiration_days, not both', 'never_expires')
    if (type !== 'API_TOKEN' && type !== 'SERVICE_API_TOKEN') throw invalid(`A ${type} credential always has an end date`, 'never_expires')
    if (!rules.allow_never_expire || !rules.never_expire_account_types.includes(account)) {
      throw invalid(`The tenant policy does not allow never-expiring tokens for ${account} accounts`, 'never_expires')
    }
    return true
  }

  private checkName(name: string, rules: PolicySettings, field = 'name') {
    if (rules.name_pattern !== null && !nameRuleMatches(rules.name_pattern, name, field)) {
      throw invalid(`The name must match the tenant's naming rule ${rules.name_pattern}`, field)
    }
  }

  /** This API's permissions within the owner's role; catalog ones by the catalog's grant rule (server/permissions/catalog.ts). */
  private async checkScope(trx: Kysely<Database>, scope: ScopeKind, permissions: string[] | undefined, ownerRole: Role | null): Promise<string[]> {
    if (scope !== 'custom') {
      if (permissions?.length) throw invalid('permissions are only given with scope "custom"', 'permissions')
      return []
    }
    if (!permissions?.length) throw invalid('A custom scope needs at least one permission', 'permissions')
    const ownerPerms: readonly string[] = ownerRole ? rolePermissions[ownerRole] : []
    const over = permissions.filter((x) => !isCatalogPermissionName(x) && !ownerPerms.includes(x))
    if (over.length) throw invalid(`The owner's role does not allow ${over.join(', ')}`, 'permissions')
    await checkGrantable(trx, permissions, ownerRole)
    return [...new Set(permissions)]
  }

  async create(p: Principal, body: CreateCredentialRequest, ctx: AuditContext) {
    requirePermission(p, perms.user.write)
    const type = body.spec?.type ?? 'API_TOKEN'
    if (type !== 'API_TOKEN' && !this.certificates?.handles(type)) {
      throw invalid(`Credential type ${type} is not available yet; only API_TOKEN can be created here`, 'spec.type')
    }
    if (body.spec) checkFieldsFit(type, body.spec, 'spec.')
    const ownerId = body.owner_id ?? p.account.id
    if (ownerId === p.account.id && p.account.kind === 'service') {
      throw invalid('A service account holds service credentials, not personal API tokens: use service_credentials, or give owner_id', 'owner_id')
    }
    if (ownerId !== p.account.id) requirePermissionFor(p, 'users:write', 'Only a tenant administrator can create a token for another user')
    const rules = await this.policy.current()
    this.checkName(body.name, rules)
    return this.insert(p, ctx, {
      family: 'user', type, name: body.name, ownerId, description: body.description ?? '',
      expirationDays: this.neverExpires(body, rules, 'user', type) ? null : this.expiryDays(body.expiration_days, rules, type), scope: body.scope ?? 'full_access',
      permissions: body.permissions, namespaceRoles: [], rotatedFrom: body.rotated_from,
      maxActive: rules.max_active_tokens_per_user, certificate: body.spec, limits: createLimits(body),
    })
  }

  async createService(p: Principal, body: CreateServiceCredentialRequest, ctx: AuditContext) {
    requirePermission(p, perms.service.write)
    const type = body.type ?? 'SERVICE_API_TOKEN'
    if (type !== 'SERVICE_API_TOKEN' && !this.certificates?.handles(type)) {
      throw invalid(`Credential type ${type} is not available yet; only SERVICE_API_TOKEN can be created here`, 'type')
    }
    checkFieldsFit(type, body)
    const password = body.api_certificate?.password ?? body.password
    if (body.api_certificate?.password !== undefined && body.password !== undefined && body.api_certificate.password !== body.password) {
      throw invalid('password and api_certificate.password differ; give one', 'api_certificate.password')
    }
    const roles = body.namespace_roles ?? []
    if (!roles.length) throw invalid('Give at least one namespace role', 'namespace_roles')
    if (body.service_account_id && body.service_account_name) {
      throw invalid('Give service_account_id or service_account_name, not both', 'service_account_id')
    }
    const rules = await this.policy.current()
    if (rules.service_credential_creators === 'admins') requirePermissionFor(p, 'users:write', 'The tenant policy lets only administrators create service credentials')
    this.checkName(body.name, rules)
    return this.insert(p, ctx, {
      family: 'service', type, name: body.name, ownerId: body.service_account_id,
      newServiceAccount: body.service_account_id ? undefined : (body.service_account_name ?? body.name),
      description: body.description ?? '',
      expirationDays: this.neverExpires(body, rules, 'service', type) ? null : this.expiryDays(body.expiration_days, rules, type),
      scope: body.scope ?? 'full_access', permissions: body.permissions, namespaceRoles: roles,
      rotatedFrom: body.rotated_from, maxActive: rules.max_active_tokens_per_user, userGroups: body.user_group_names,
      limits: createLimits(body),
      certificate: {
        password, groups: body.user_group_names, site: body.site_kubeconfig?.site,
        virtual_k8s_name: body.vk8s_kubeconfig?.vk8s_cluster_name ?? body.virtual_k8s_name,
        virtual_k8s_namespace: body.vk8s_kubeconfig?.vk8s_namespace ?? body.virtual_k8s_namespace,
      },
    })
  }

  /**
   * Server-side rotation. By default the credential keeps its name, id, history and usage and gets a
   * new secret (rotateSecret). With new_name: a successor with the same owner, type, scope and roles,
   * linked both ways; the old token stays valid for the overlap (its expiry is set to the overlap's
   * end, so every check refuses it from that instant) and 0 ends it now. Decided under the write lock
   * inside insert: of two concurrent rotations of one token exactly one succeeds.
   */
  async rotate(p: Principal, family: Family, body: RotateRequest, ctx: AuditContext) {
    requirePermission(p, perms[family].write)
    const old = await this.visible(p, family, body.name)
    const rules = await this.policy.current()
    if (body.new_name === undefined) return this.rotateSecret(p, old, body, rules, ctx)
    const name = body.new_name
    this.checkName(name, rules, 'new_name')
    return this.insert(p, ctx, {
      family, type: old.type as 'API_TOKEN' | 'SERVICE_API_TOKEN', name, ownerId: old.owner_id,
      description: old.description, expirationDays: this.expiryDays(body.expiration_days, rules), scope: old.scope,
      permissions: old.scope === 'custom' ? JSON.parse(old.permissions) as string[] : undefined,
      namespaceRoles: JSON.parse(old.namespace_roles) as NamespaceRole[], rotatedFrom: old.name,
      userGroups: JSON.parse(old.user_group_names) as string[],
      maxActive: rules.max_active_tokens_per_user,
      // The successor keeps the addresses and the quota: a rotation must not widen what the token may do.
      limits: {
        allowedCidrs: old.allowed_cidrs === null ? null : JSON.parse(old.allowed_cidrs) as string[],
        rateLimit: old.rate_limit !== null && old.rate_window_seconds !== null ? { limit: old.rate_limit, window_seconds: old.rate_window_seconds } : null,
        notBefore: null,
      },
    }, { overlapMs: body.overlap_seconds * 1000, cutoverOnSwitch: body.cutover_on_switch ?? false })
  }

  /**
   * A new secret for the same credential. The secret it replaces stays valid until the overlap ends
   * (or the credential's own expiry, if sooner; 0 ends it now), found by the check through
   * previous_token_hash. One previous secret at a time: while an overlap runs, another rotation is
   * refused (409, naming it) unless its overlap is 0, which ends every earlier secret at once, as a
   * leak calls for. Decided under the write lock on the state read there, so of two concurrent
   * rotations with an overlap exactly one succeeds.
   */
  private async rotateSecret(p: Principal, old: CredentialRow, body: RotateRequest, rules: PolicySettings, ctx: AuditContext) {
    if (old.type !== 'API_TOKEN' && old.type !== 'SERVICE_API_TOKEN') {
      throw invalid(`A ${old.type} credential cannot get a new secret in place; rotate it to a new name (new_name)`, 'new_name')
    }
    const days = this.expiryDays(body.expiration_days, rules)
    const token = generateToken(old.type)
    const hash = hashToken(this.secret, token)
    const overlapMs = body.overlap_seconds * 1000
    const cutover = overlapMs > 0 && (body.cutover_on_switch ?? false)
    return this.audit.transact(async (trx, after) => {
      const now = Date.now()
      const cur = await trx.selectFrom('credentials')
        .select(['token_hash', 'token_last4', 'expires_at', 'revoked_at', 'replaced_by', 'previous_token_hash', 'previous_last4', 'previous_valid_until', 'previous_retired_at'])
        .where('id', '=', old.id).executeTakeFirst()
      if (!cur || cur.revoked_at !== null) throw invalid('A revoked credential cannot be rotated', 'name')
      if (cur.replaced_by) {
        throw new ApiError('ALREADY_EXISTS', `${old.name} has already been rotated to ${cur.replaced_by}`, [{ field: 'name', reason: 'already rotated' }])
      }
      const running = cur.previous_token_hash !== null && cur.previous_retired_at === null && (cur.previous_valid_until ?? 0) > now
      if (running && overlapMs > 0) {
        throw new ApiError('ALREADY_EXISTS',
          `${old.name} is in a rotation overlap: its previous secret …${cur.previous_last4} is valid until ${iso(cur.previous_valid_until!)}. Rotate again after it ends, or with overlap_seconds 0 to end every earlier secret now`,
          [{ field: 'name', reason: 'overlap running' }])
      }
      const ends = now + overlapMs
      const previousUntil = cur.expires_at === null ? ends : Math.min(cur.expires_at, ends)
      const expiresAt = now + days * DAY_MS
      await trx.updateTable('credentials').set({
        token_hash: hash, token_last4: token.slice(-4), secret_created_at: now, expires_at: expiresAt, lifetime_days: days,
        previous_token_hash: cur.token_hash, previous_last4: cur.token_last4, previous_valid_until: previousUntil,
        // With no overlap there is nothing left for the cut-over job to end.
        previous_retired_at: previousUntil <= now ? now : null, cutover_on_switch: cutover ? 1 : 0,
      }).where('id', '=', old.id).execute()
      // What callers used so far was the secret now replaced: a use of the new one is a switch. A row
      // that names neither secret (written without them, as the bulk seeder does) was a use of it too.
      await trx.updateTable('usage_sources').set({
        previous_last_seen: sql<number | null>`COALESCE(current_last_seen, CASE WHEN previous_last_seen IS NULL THEN last_seen END)`,
        current_last_seen: null,
      }).where('credential_id', '=', old.id).execute()
      const endedEarlier = running ? `…${cur.previous_last4}` : undefined
      await this.audit.append(trx, ctx, {
        action: 'credential.rotate', actor: actorOf(p), targetType: 'credential', targetName: old.name,
        targetOwnerId: old.owner_id, outcome: 'success',
        details: {
          mode: 'new_secret', previous_secret: `…${cur.token_last4}`, new_secret: `…${token.slice(-4)}`,
          overlap_seconds: body.overlap_seconds, overlap_ends: iso(previousUntil), cutover_on_switch: cutover,
          previous_expiry: isoOrNull(cur.expires_at), new_expiry: iso(expiresAt),
          ...(endedEarlier ? { ended_earlier_secret: endedEarlier } : {}),
        },
      }, now)
      // The replaced secret's cached entry (as current) goes; an earlier previous secret's with it.
      await this.validity.publish(trx, after, cur.previous_token_hash ? [cur.token_hash, cur.previous_token_hash] : [cur.token_hash])
      return { active: true, data: token, expiration_timestamp: iso(expiresAt), name: old.name }
    })
  }

  private async insert(
    p: Principal,
    ctx: AuditContext,
    a: {
      family: Family; type: string; name: string; ownerId?: string; newServiceAccount?: string
      /** null: never expires. */
      description: string; expirationDays: number | null; scope: ScopeKind; permissions?: string[]
      namespaceRoles: NamespaceRole[]; rotatedFrom?: string; maxActive: number; certificate?: CertificateSpec
      userGroups?: string[]; limits?: CreateLimits
    },
    rotation?: RotationEnd,
  ) {
    const now = Date.now()
    const expiresAt = a.expirationDays === null ? null : now + a.expirationDays * DAY_MS
    const notBefore = a.limits?.notBefore ?? null
    if (notBefore !== null && expiresAt !== null && notBefore >= expiresAt) {
      throw invalid(`not_before must come before the expiry (${iso(expiresAt)}): start it sooner or give more expiration_days`, 'not_before')
    }
    const pending = this.certificates?.handles(a.type) ? await this.certificates.prepare(a.type, a.certificate ?? {}) : undefined
    const token = pending ? '' : generateToken(a.type as 'API_TOKEN' | 'SERVICE_API_TOKEN')
    try {
      const created = await this.audit.transact(async (trx, after) => {
        let ownerId = a.ownerId
        if (a.newServiceAccount) {
          const email = `${a.newServiceAccount}@serviceaccounts.${this.policy.tenant}`
          const existing = await trx.selectFrom('users').select(['id', 'kind']).where('email', '=', email).executeTakeFirst()
          if (existing) ownerId = existing.id
          else {
            ownerId = crypto.randomUUID()
            await trx.insertInto('users').values({
              id: ownerId, email, name: a.newServiceAccount, role: 'auditor', kind: 'service', password_hash: null,
              disabled: 0, created_at: now, updated_at: now, last_login_at: null,
            }).execute()
            await this.audit.append(trx, ctx, {
              action: 'service_account.create', actor: actorOf(p), targetType: 'service_account',
              targetName: a.newServiceAccount, targetOwnerId: ownerId, outcome: 'success',
            }, now)
          }
        }
        let ownerQuery = trx.selectFrom('users').selectAll().where('id', '=', ownerId!)
        // Locks the owner so concurrent creates count active tokens one at a time (SQLite already serialises).
        if (this.dialect === 'postgres') ownerQuery = ownerQuery.forUpdate()
        const owner = await ownerQuery.executeTakeFirst()
        const wantKind = a.family === 'user' ? 'user' : 'service'
        if (!owner || owner.kind !== wantKind) {
          throw new ApiError('NOT_FOUND', a.family === 'user' ? 'Owner not found' : 'Service account not found', [
            { field: a.family === 'user' ? 'owner_id' : 'service_account_id', reason: 'not found' },
          ])
        }
        if (owner.disabled) throw invalid('The owner is disabled; enable the account first', 'owner_id')
        const ownerRole = a.family === 'service' ? strongestNamespaceRole(a.namespaceRoles) : owner.role
        const permissions = await this.checkScope(trx, a.scope, a.permissions, ownerRole)
        // A rotation may go one over the limit: the token it replaces ends with the overlap.
        const limit = a.maxActive + (rotation ? 1 : 0)
        const active = await countActiveTokens(trx, owner.id, now, limit)
        if (active >= limit) {
          throw new ApiError('RESOURCE_EXHAUSTED', `${owner.email} already holds ${active} active tokens, the most allowed (${a.maxActive}); revoke one first`)
        }
        let rotatedFrom: CredentialRow | undefined
        if (a.rotatedFrom) {
          rotatedFrom = await credentialQuery(trx, now).where('c.name', '=', a.rotatedFrom).executeTakeFirst()
          const allowed = rotatedFrom && familyTypes[a.family].includes(rotatedFrom.type) && (seesTenant(p) || rotatedFrom.owner_id === p.account.id)
          if (!allowed) throw new ApiError('NOT_FOUND', `${familyLabel[a.family]} to rotate not found`, [{ field: 'rotated_from', reason: 'not found' }])
          if (rotatedFrom!.revoked_at) throw invalid('A revoked credential cannot be rotated', 'rotated_from')
          if (rotation && rotatedFrom!.replaced_by) {
            throw new ApiError('ALREADY_EXISTS', `${rotatedFrom!.name} has already been rotated to ${rotatedFrom!.replaced_by}`, [{ field: 'name', reason: 'already rotated' }])
          }
        }
        // Certificate types are refused never_expires before this (neverExpires), so expiresAt is set.
        const cert = pending?.sign({ email: owner.email, role: ownerRole, namespaceRoles: a.namespaceRoles }, expiresAt!)
        const credentialId = crypto.randomUUID()
        await trx.insertInto('credentials').values({
          id: credentialId, name: a.name, uid: crypto.randomUUID(), type: a.type, owner_id: owner.id,
          created_by: p.account.id, description: a.description, scope: a.scope, permissions: JSON.stringify(permissions),
          namespace_roles: JSON.stringify(a.namespaceRoles), token_hash: cert ? cert.tokenHash : hashToken(this.secret, token),
          token_last4: cert ? cert.last4 : token.slice(-4), lifetime_days: a.expirationDays, created_at: now, expires_at: expiresAt,
          revoked_at: null, revoked_by: null, last_used_at: null, last_used_ip: null, last_used_user_agent: null,
          rotated_from: rotatedFrom?.name ?? null, replaced_by: null,
          user_group_names: JSON.stringify(a.userGroups ?? []),
          allowed_cidrs: a.limits?.allowedCidrs ? JSON.stringify(a.limits.allowedCidrs) : null,
          rate_limit: a.limits?.rateLimit?.limit ?? null, rate_window_seconds: a.limits?.rateLimit?.window_seconds ?? null,
          not_before: notBefore,
          ...(pending ? { k8s_name: a.certificate?.virtual_k8s_name ?? null, k8s_namespace: a.certificate?.virtual_k8s_namespace ?? null, site_name: a.certificate?.site ?? null } : {}),
        }).execute()
        await linkCatalogPermissions(trx, credentialId, permissions)
        await pending?.record(trx, a.name, now)
        if (rotatedFrom) {
          await trx.updateTable('credentials').set({ replaced_by: a.name }).where('id', '=', rotatedFrom.id).execute()
        }
        if (rotatedFrom && rotation) {
          const ends = now + rotation.overlapMs
          const oldExpiry = rotatedFrom.expires_at === null ? ends : Math.min(rotatedFrom.expires_at, ends)
          await trx.updateTable('credentials').set({
            expires_at: oldExpiry, overlap_ends_at: ends, cutover_on_switch: rotation.cutoverOnSwitch ? 1 : 0,
          }).where('id', '=', rotatedFrom.id).execute()
          await this.audit.append(trx, ctx, {
            action: 'credential.rotate', actor: actorOf(p), targetType: 'credential', targetName: rotatedFrom.name,
            targetOwnerId: rotatedFrom.owner_id, outcome: 'success',
            details: { replaced_by: a.name, overlap_seconds: rotation.overlapMs / 1000, overlap_ends: iso(ends), cutover_on_switch: rotation.cutoverOnSwitch, previous_expiry: isoOrNull(rotatedFrom.expires_at) },
          }, now)
          await this.validity.publish(trx, after, [rotatedFrom.token_hash])
        }
        await this.audit.append(trx, ctx, {
          action: 'credential.create', actor: actorOf(p), targetType: 'credential', targetName: a.name,
          targetOwnerId: owner.id, outcome: 'success',
          details: {
            type: a.type, owner: owner.email, scope: a.scope, permissions, expiration_days: a.expirationDays, rotated_from: rotatedFrom?.name,
            namespace_roles: a.namespaceRoles.length ? a.namespaceRoles : undefined, certificate_serial: cert?.serial,
            allowed_cidrs: a.limits?.allowedCidrs ?? undefined, rate_limit: a.limits?.rateLimit ?? undefined, not_before: isoOrNull(notBefore) ?? undefined,
          },
        }, now)
        return { active: true, data: token, expiration_timestamp: isoOrNull(expiresAt), name: a.name }
      })
      // The bundle is built after commit, so the write lock is not held while it is encrypted.
      return pending ? { ...created, data: pending.data() } : created
    } catch (err) {
      const column = uniqueViolationColumn(err)
      if (column === 'credentials.name') throw alreadyExists('name')
      // Any other unique index (a service account's address) is named as what it is, never as "name".
      if (column === 'users.email') throw new ApiError('ALREADY_EXISTS', 'A service account of that name already exists', [{ field: 'service_account_name', reason: 'already exists' }])
      if (isUniqueViolation(err)) throw new ApiError('ALREADY_EXISTS', 'Object already exists')
      throw err
    }
  }

  async renew(p: Principal, family: Family, body: RenewRequest, ctx: AuditContext) {
    requirePermission(p, perms[family].write)
    const row = await this.visible(p, family, body.name)
    const days = this.expiryDays(body.expiration_days, await this.policy.current())
    // A certificate's validity is signed into it: renew can end it sooner (the CRL then lists it),
    // never later, since TLS peers refuse it after its notAfter whatever this API says.
    const certificate = this.certificates?.handles(row.type) ? await this.certificates.certificateOf(row.id) : undefined
    if (certificate && Date.now() + days * DAY_MS > certificate.notAfter + 1000) {
      throw invalid(`This certificate is valid until ${iso(certificate.notAfter)}, as signed; renew can only shorten it. For longer, create a new one and revoke this`, 'expiration_days')
    }
    await this.audit.transact(async (trx, after) => {
      // Decided on the state read under the write lock: a renew that raced a revoke is refused.
      const current = await trx.selectFrom('credentials').select(['revoked_at', 'expires_at']).where('id', '=', row.id).executeTakeFirst()
      if (!current || current.revoked_at) throw invalid('A revoked credential cannot be renewed; create a new one', 'name')
      const now = Date.now()
      const expiresAt = now + days * DAY_MS
      await trx.updateTable('credentials').set({ expires_at: expiresAt, lifetime_days: days }).where('id', '=', row.id).where('revoked_at', 'is', null).execute()
      await this.audit.append(trx, ctx, {
        action: 'credential.renew', actor: actorOf(p), targetType: 'credential', targetName: row.name,
        targetOwnerId: row.owner_id, outcome: 'success',
        details: { expiration_days: days, previous_expiry: isoOrNull(current.expires_at), new_expiry: iso(expiresAt) },
      }, now)
      await this.validity.publish(trx, after, [row.token_hash])
    })
    return { status: true }
  }

  async revoke(p: Principal, family: Family, name: string, ctx: AuditContext) {
    requirePermission(p, perms[family].write)
    const row = await this.visible(p, family, name)
    if (row.revoked_at) return { status: true }
    // Committed before the response: the next check of this token reads the revocation. Only the
    // request that actually changes the state writes an audit row; a repeated revoke is a no-op.
    await this.audit.transact(async (trx, after) => {
      const now = Date.now()
      // Both secrets end: a rotation's previous one for good, so a re-activation cannot bring it back.
      const res = await trx.updateTable('credentials').set({
        revoked_at: now, revoked_by: p.account.id,
        previous_valid_until: sql<number | null>`CASE WHEN previous_valid_until > ${now} THEN ${now} ELSE previous_valid_until END`,
      }).where('id', '=', row.id).where('revoked_at', 'is', null).executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return
      await this.audit.append(trx, ctx, {
        action: 'credential.revoke', actor: actorOf(p), targetType: 'credential', targetName: row.name,
        targetOwnerId: row.owner_id, outcome: 'success',
      }, now)
      await this.validity.publish(trx, after, [row.token_hash])
    })
    return { status: true }
  }

  /**
   * Revoke is final unless the tenant policy allows an administrator to re-activate, and never for a
   * token reported as leaked. A token that is not revoked (disabled with its owner, or expired and
   * then renewed, as F5's Terraform provider does) needs nothing undone: success. The reason is for
   * the audit log: the console asks for one, but F5's body is {name, namespace} alone, so a client
   * written from the swagger re-activates without one and the audit row says none was given.
   */
  async activate(p: Principal, family: Family, body: ActivateRequest, ctx: AuditContext) {
    requirePermission(p, perms[family].write)
    const row = await this.visible(p, family, body.name)
    if (row.leaked_at !== null) {
      throw new ApiError('FAILED_PRECONDITION', 'This token was reported as leaked and can never be re-activated; rotate to or create a new one', [{ field: 'name', reason: 'leaked' }])
    }
    if (!row.revoked_at) return { status: true }
    requirePermissionFor(p, 'users:write', 'Only a tenant administrator can re-activate a revoked credential')
    const rules = await this.policy.current()
    if (!rules.allow_reactivation) {
      throw new ApiError('FAILED_PRECONDITION', 'Revoke is final: the tenant policy does not allow re-activating a revoked token; create a new one', [{ field: 'name', reason: 'revoked' }])
    }
    const given = body.reason?.trim()
    // The audit page shows `reason` under the row: a reader sees plainly that none was given, and
    // reason_given tells a script the text is ours rather than the administrator's.
    const reason = given || ACTIVATED_WITHOUT_REASON
    await this.audit.transact(async (trx, after) => {
      const now = Date.now()
      // A rotation's previous secret stays ended at the revocation, whichever path revoked (bulk,
      // idle, leak): re-activating brings back the current secret only. SET reads the old revoked_at.
      const res = await trx.updateTable('credentials').set({
        revoked_at: null, revoked_by: null,
        previous_valid_until: sql<number | null>`CASE WHEN previous_valid_until > revoked_at THEN revoked_at ELSE previous_valid_until END`,
      }).where('id', '=', row.id)
        .where('revoked_at', 'is not', null).where('leaked_at', 'is', null).executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return
      await this.audit.append(trx, ctx, {
        action: 'credential.activate', actor: actorOf(p), targetType: 'credential', targetName: row.name,
        targetOwnerId: row.owner_id, outcome: 'success', details: { revoked_at: iso(row.revoked_at!), reason, reason_given: Boolean(given) },
      }, now)
      await this.validity.publish(trx, after, [row.token_hash])
    })
    return { status: true }
  }

  /** Bulk revoke by name (up to 200, one transaction). Every expired one is a job: server/bulk-revoke. */
  async bulkRevokeByName(p: Principal, family: Family, names: string[], ctx: AuditContext) {
    requirePermission(p, perms[family].write)
    const now = Date.now()
    const failed: string[] = []
    const unique = [...new Set(names)]
    const rows = await credentialQuery(this.db, now).where('c.name', 'in', unique).execute()
    const byName = new Map(rows.map((r) => [r.name, r]))
    // Every requested name goes in exactly one list. F5 calls the success list the credentials
    // "marked for deletion" and the other those "not marked as delete due to some error": one already
    // revoked is in the state asked for, as POST revoke answers {status: true} for it, so it is a
    // success (revoking twice leaves it revoked), not an error. Only a name this caller cannot find in
    // the family (missing, another family, another's without tenant-wide rights) is a failure.
    const marked: string[] = []
    const targets: string[] = []
    for (const n of unique) {
      const r = byName.get(n)
      if (!r || !familyTypes[family].includes(r.type) || (!seesTenant(p) && r.owner_id !== p.account.id)) {
        failed.push(n)
        continue
      }
      marked.push(n)
      if (!r.revoked_at) targets.push(r.id)
    }
    // Through audit.transact like every write: the write lock first (one lock order), then the rows.
    // RETURNING names exactly the rows this call changed, so an already revoked one, or one a
    // concurrent revoke got first, is not audited twice; each is still revoked, so still a success.
    await this.audit.transact((trx, after) =>
      revokeInTransaction({ audit: this.audit, validity: this.validity }, trx, after, p, ctx, targets, now, { selector: 'name' }))
    return {
      credentials_failed: failed,
      credentials_marked_for_deletion: marked,
      error_message: failed.length ? `Not found: ${failed.join(', ')}` : '',
    }
  }

  /**
   * With `ifMatch` (the If-Match header) the roles change only while the stored ones are those the
   * caller read: checked under the write lock, so two administrators saving from one read cannot
   * both pass. Answers the new version's tag with F5's body.
   */
  async replaceRoles(p: Principal, name: string, body: ReplaceServiceCredentialRequest, ctx: AuditContext, ifMatch?: string | string[]) {
    requirePermission(p, perms.service.write)
    if (body.name !== undefined && body.name !== name) throw invalid('name in the body must match the path', 'name')
    const row = await this.visible(p, 'service', name)
    let roles: NamespaceRole[] = body.namespace_roles ?? []
    if (!body.namespace_roles && body.namespace_access) {
      roles = Object.entries(body.namespace_access.namespace_role_map).flatMap(([namespace, v]) => v.names.map((role) => ({ namespace, role })))
    }
    if (!roles.length) throw invalid('Give at least one namespace role', 'namespace_roles')
    const role = strongestNamespaceRole(roles)
    // Catalog permissions are not this API's: a sensitive one simply stops being granted under a
    // non-admin role (server/permissions/catalog.ts), as the check applies the rule each time.
    const current = (JSON.parse(row.permissions) as string[]).filter((x) => !isCatalogPermissionName(x)) as Permission[]
    if (row.scope === 'custom' && role && current.some((x) => !rolePermissions[role].includes(x))) {
      throw invalid('These roles do not allow every permission of the token\'s custom scope', 'namespace_roles')
    }
    const now = Date.now()
    let etag = ''
    await this.audit.transact(async (trx, after) => {
      if (ifMatch !== undefined) requireIfMatch(ifMatch, (await storedRolesETag(trx, { id: row.id }))!, 'This service credential\'s roles')
      const groups = body.user_group_names
      await trx.updateTable('credentials').set({
        namespace_roles: JSON.stringify(roles), ...(groups ? { user_group_names: JSON.stringify(groups) } : {}),
      }).where('id', '=', row.id).execute()
      await this.audit.append(trx, ctx, {
        action: 'credential.roles_change', actor: actorOf(p), targetType: 'credential', targetName: row.name,
        targetOwnerId: row.owner_id, outcome: 'success',
        details: { from: JSON.parse(row.namespace_roles), to: roles, ...(groups ? { user_group_names: { from: JSON.parse(row.user_group_names), to: groups } } : {}) },
      }, now)
      await this.validity.publish(trx, after, [row.token_hash])
      etag = (await storedRolesETag(trx, { id: row.id }))!
    })
    return { active: row.status === 'active', expiration_timestamp: isoOrNull(row.expires_at), name: row.name, etag }
  }
}

