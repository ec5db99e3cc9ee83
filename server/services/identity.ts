// Turns a session cookie or an API token into a Principal; logs people in and out.
import { type CompiledQuery, type InferResult, type Kysely } from 'kysely'
import type { Database, UsersTable } from '../db/schema.js'
import { normalizeEmail } from '../../contract/identifiers.js'
import type { NamespaceRole } from '../../contract/credentials.js'
import type { Permission } from '../../contract/scopes.js'
import type { CachedCredential, CheckCache } from './check-cache.js'
import type { FailedChecks } from './check-failures.js'
import { ApiError, unauthenticated } from '../lib/errors.js'
import { hashToken, isWellFormedToken, sameHash } from '../lib/tokens.js'
import { hashPassword, verifyPassword } from '../lib/passwords.js'
import type { AuditAction, AuditContext, AuditLog } from './audit.js'
import type { Sessions } from './sessions.js'
import type { UsageRecorder } from './usage.js'
import { effectivePermissions, strongestNamespaceRole, type Account, type Principal } from './principal.js'
import type { CheckPressure } from '../lib/check-pressure.js'
import { compileAllowlist, type AddressTest } from '../limits/allowlist.js'
import type { RateCounter, RateDecision, RateQuota } from '../limits/rate-counter.js'
import { CatalogRuleReader, NO_RULES, grantedCatalog, type CatalogRules } from '../permissions/catalog.js'
import { isCatalogPermissionName } from '../../contract/permissions.js'

/**
 * A check's result. A token with a rate limit carries its quota's state (`rate`) on every answer; past
 * the quota the reason is rate_limited and retryAfter the seconds until the window ends. A valid token
 * used before its not_before or from an address outside its allowlist is refused with that reason.
 */
export type TokenCheck =
  | { ok: true; principal: Principal; rate?: RateDecision }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'revoked' | 'disabled' | 'not_yet_valid' | 'address_not_allowed' | 'rate_limited'; retryAfter?: number; rate?: RateDecision }

const MAX_FAILED_LOGINS = 10
/** Past this many failures from one address (all accounts together), the address is slowed… */
const MAX_FAILED_LOGINS_PER_ADDRESS = 50
/** …and each account gets this many failures from it instead of MAX_FAILED_LOGINS. */
const MAX_FAILED_LOGINS_PAST_ADDRESS_LIMIT = 3
/** The wait per failure past the address limit, and its ceiling. */
const ADDRESS_DELAY_STEP_MS = 100
const ADDRESS_DELAY_MAX_MS = 3000
const LOGIN_WINDOW_MS = 15 * 60_000

const REAUTH_ACTION: AuditAction = 'auth.reauthenticate'

export const INVALID_TOKEN_MESSAGE = 'The API token is invalid, expired or revoked'

/** Whether a person of this role may still use a password (single sign-on can keep passwords for administrators). */
export type PasswordGate = (role: UsersTable['role']) => Promise<boolean>
const passwordsOff = () => new ApiError('PERMISSION_DENIED', 'Passwords are for administrators only here: sign in with single sign-on', [{ reason: 'sso_required' }])

export function toAccount(u: Pick<UsersTable, 'id' | 'email' | 'name' | 'role' | 'kind' | 'disabled'>): Account {
  return { id: u.id, email: u.email, name: u.name, role: u.role, kind: u.kind, disabled: u.disabled === 1 }
}

export type CheckOutcome = 'valid' | 'malformed' | 'unknown' | 'expired' | 'revoked' | 'disabled' | 'not_yet_valid' | 'address_not_allowed' | 'rate_limited'
export type TokenCheckObserver = (outcome: CheckOutcome, seconds: number) => void

// A placeholder replaced on each call: the lookup is compiled once, since compiling a Kysely query
// costs more than running it (bench/run.ts). Status is derived in JavaScript from what is read, so a
// cached row stays right as time passes (expiry is compared with now on every check).
const HASH_PARAM = '\u0000token-hash'

function lookupBuilder(db: Kysely<Database>) {
  return db
    .selectFrom('credentials as c')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .select([
      'c.id', 'c.name', 'c.type', 'c.scope', 'c.permissions', 'c.namespace_roles', 'c.token_hash', 'c.created_at',
      'c.expires_at', 'c.revoked_at', 'c.owner_id', 'u.email', 'u.name as owner_name', 'u.role', 'u.kind', 'u.disabled',
      'c.previous_token_hash', 'c.previous_valid_until', 'c.secret_created_at',
      'c.allowed_cidrs', 'c.rate_limit', 'c.rate_window_seconds', 'c.not_before',
    ])
    // The secret a rotation replaced is found by the same query: each hash column has a unique index,
    // so this stays one indexed read (an index union), whichever secret the caller holds.
    .where((eb) => eb.or([eb('c.token_hash', '=', HASH_PARAM), eb('c.previous_token_hash', '=', HASH_PARAM)]))
}
type LookupRow = InferResult<ReturnType<typeof lookupBuilder>>[number]

const MALFORMED: TokenCheck = Object.freeze({ ok: false, reason: 'malformed' })

/** Which of the credential's secrets a check presented: the current one, or the one a rotation replaced. */
export type SecretUsed = 'current' | 'previous'

/** A credential's least-privilege limits, compiled once per cache entry; undefined on a token without any. */
interface EntryLimits {
  notBefore: number | null
  allows: AddressTest | undefined
  quota: RateQuota | undefined
}

function limitsOf(row: LookupRow): EntryLimits | undefined {
  const allows = compileAllowlist(row.allowed_cidrs)
  const quota = row.rate_limit !== null && row.rate_window_seconds !== null ? { limit: row.rate_limit, windowSeconds: row.rate_window_seconds } : undefined
  if (row.not_before === null && !allows && !quota) return undefined
  return { notBefore: row.not_before, allows, quota }
}

function toCached(row: LookupRow, secret: SecretUsed, permissions: string[], rules: CatalogRules): CachedCredential & { result: TokenCheck; limits: EntryLimits | undefined } {
  const account = toAccount({ id: row.owner_id, email: row.email, name: row.owner_name, role: row.role, kind: row.kind, disabled: row.disabled })
  const role = row.kind === 'service' ? strongestNamespaceRole(JSON.parse(row.namespace_roles) as NamespaceRole[]) : account.role
  // A custom scope's catalog names are not this API's permissions, so effectivePermissions drops them;
  // the catalog's own rule decides which of them the token holds.
  const own = effectivePermissions(role, { scope: row.scope, permissions: permissions as Permission[] })
  const grants = new Set<string>([...own, ...(row.scope === 'custom' ? grantedCatalog(permissions, role, rules) : [])])
  const principal: Principal = {
    via: 'token',
    account,
    role,
    permissions: own,
    grants,
    scope: [...grants].join(' '),
    token: { id: row.id, name: row.name, type: row.type, scope: row.scope, permissions, createdAt: row.created_at, expiresAt: row.expires_at, ...(secret === 'previous' ? { secret } : {}) },
  }
  // The previous secret carries its own end: the overlap's, or the credential's if that comes first.
  // Kept in the entry, so a cached previous secret is refused from that instant like any expiry.
  const expiresAt = secret === 'current' ? row.expires_at
    : Math.min(row.expires_at ?? Number.POSITIVE_INFINITY, row.previous_valid_until ?? Number.NEGATIVE_INFINITY)
  return {
    id: row.id, name: row.name, ownerId: row.owner_id, ownerEmail: row.email, expiresAt,
    revokedAt: row.revoked_at, ownerDisabled: row.disabled === 1, principal, result: { ok: true, principal },
    secret, secretIssuedAt: secret === 'current' ? (row.secret_created_at ?? row.created_at) : null,
    ...(secret === 'previous' ? { currentHash: row.token_hash } : {}),
    limits: limitsOf(row),
  }
}

type Entry = ReturnType<typeof toCached>

export class Identity {
  observeCheck: TokenCheckObserver = () => {}
  private readonly lookupQuery: CompiledQuery<LookupRow>
  private readonly catalogRules: CatalogRuleReader

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: Buffer,
    private readonly sessions: Sessions,
    private readonly audit: AuditLog,
    private readonly usage: UsageRecorder,
    private readonly cache: CheckCache,
    private readonly failures: FailedChecks,
    private readonly pressure: CheckPressure,
    /** Per-token quotas: in memory on SQLite, shared through PostgreSQL (server/limits/rate-counter.ts). */
    private readonly rates: RateCounter,
  ) {
    this.lookupQuery = lookupBuilder(this.db).compile()
    this.catalogRules = new CatalogRuleReader(this.db)
  }

  private async lookup(hash: string) {
    const q = this.lookupQuery
    const parameters = q.parameters.map((p) => (p === HASH_PARAM ? hash : p))
    const { rows } = await this.db.executeQuery<LookupRow>({ ...q, parameters })
    return rows[0]
  }

  /**
   * Brute-force brakes, counted from the audit log so every instance sharing the database agrees:
   * per account and address (so nobody elsewhere can lock a person out by failing on purpose),
   * and per address across accounts (so one source cannot spread guesses over many accounts).
   * The address brake slows rather than refuses: many people share one address (NAT, offices,
   * proxies), so failures with made-up emails must not lock out a colleague's right password.
   * Past the address limit every attempt from it waits, longer with each failure (bounded), and an
   * account that has failed there MAX_FAILED_LOGINS_PAST_ADDRESS_LIMIT times is refused; one with
   * fewer failures of its own is still checked. The count is by the email as typed (normalised),
   * known or not, so the answers do not reveal which accounts exist. The wait comes before the
   * password check, so a right and a wrong password take as long.
   * A wrong password at re-authentication counts as a failed sign-in, so a taken-over session
   * gets no more guesses than the sign-in page gives.
   */
  private async signInBrake(normalizedEmail: string, ctx: AuditContext) {
    const since = Date.now() - LOGIN_WINDOW_MS
    const failures = () => this.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', 'in', ['login_failed', REAUTH_ACTION]).where('outcome', '=', 'failure').where('at', '>=', since)
      .where('source_ip', ctx.ip === null ? 'is' : '=', ctx.ip)
    const [forAccount, forAddress] = await Promise.all([
      failures().where('actor_email', '=', normalizedEmail).executeTakeFirstOrThrow(),
      failures().executeTakeFirstOrThrow(),
    ])
    const minutes = LOGIN_WINDOW_MS / 60_000
    const account = Number(forAccount.n)
    const address = Number(forAddress.n)
    if (account >= MAX_FAILED_LOGINS) {
      throw new ApiError('RESOURCE_EXHAUSTED', `Too many failed sign-ins for this account from your address; try again in ${minutes} minutes`, [], { 'retry-after': String(LOGIN_WINDOW_MS / 1000) })
    }
    if (address >= MAX_FAILED_LOGINS_PER_ADDRESS) {
      if (account >= MAX_FAILED_LOGINS_PAST_ADDRESS_LIMIT) {
        throw new ApiError('RESOURCE_EXHAUSTED', `Too many failed sign-ins from your address; try again in ${minutes} minutes`, [], { 'retry-after': String(LOGIN_WINDOW_MS / 1000) })
      }
      const wait = Math.min(ADDRESS_DELAY_MAX_MS, ADDRESS_DELAY_STEP_MS * (address - MAX_FAILED_LOGINS_PER_ADDRESS + 1))
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }

  /**
   * The signed-in person confirms their password: the same verifier and brake as
   * sign-in; on success the session's sign-in counts from now for the policy's reauth window.
   */
  async reauthenticate(p: Principal, password: string, ctx: AuditContext, passwordAllowed?: PasswordGate): Promise<number> {
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', p.account.id).executeTakeFirstOrThrow()
    const actor = { id: user.id, email: user.email, type: 'user' as const }
    await this.signInBrake(normalizeEmail(user.email), ctx)
    if (!(await verifyPassword(password, user.kind === 'user' ? user.password_hash : null))) {
      await this.audit.record(ctx, { action: REAUTH_ACTION, actor, targetType: 'session', outcome: 'failure', details: { reason: 'bad_credentials' } })
      throw new ApiError('UNAUTHENTICATED', 'That password is not right', [{ field: 'password', reason: 'bad_credentials' }])
    }
    if (passwordAllowed && !(await passwordAllowed(user.role))) {
      await this.audit.record(ctx, { action: REAUTH_ACTION, actor, targetType: 'session', outcome: 'denied', details: { reason: 'passwords_off' } })
      throw passwordsOff()
    }
    const now = Date.now()
    await this.audit.transact(async (trx) => {
      await this.sessions.markAuthenticated(trx, p.sessionIdHash!, now)
      await this.audit.append(trx, ctx, { action: REAUTH_ACTION, actor, targetType: 'session', outcome: 'success' }, now)
    })
    return now
  }

  async login(email: string, password: string, ctx: AuditContext, passwordAllowed?: PasswordGate) {
    // One spelling for lookup, for the brake's count and for what the failure row stores, so a
    // Unicode variant of an address (U+212A for "k") is the same account everywhere.
    const normalized = normalizeEmail(email)
    await this.signInBrake(normalized, ctx)
    const user = await this.db.selectFrom('users').selectAll().where('email', '=', normalized).executeTakeFirst()
    const ok = await verifyPassword(password, user?.kind === 'user' ? user.password_hash : null)
    if (!user || !ok || user.disabled) {
      await this.audit.record(ctx, {
        action: 'login_failed', actor: { id: user?.id ?? null, email: normalized.slice(0, 254), type: 'anonymous' },
        targetType: 'session', outcome: 'failure', details: { reason: !user || !ok ? 'bad_credentials' : 'disabled' },
      })
      // One message for every cause, so the answer does not reveal which accounts exist.
      throw unauthenticated('Email or password is incorrect, or the account is disabled')
    }
    // Checked after the password, so the answer tells only someone who knows it that single sign-on is the way in.
    if (passwordAllowed && !(await passwordAllowed(user.role))) {
      await this.audit.record(ctx, {
        action: 'login_failed', actor: { id: user.id, email: user.email, type: 'anonymous' }, targetType: 'session', outcome: 'denied',
        details: { reason: 'passwords_off' },
      })
      throw passwordsOff()
    }
    const now = Date.now()
    await this.sessions.purgeExpired(now)
    const session = await this.sessions.create(user.id, ctx.ip, ctx.userAgent, now)
    await this.audit.transact(async (trx) => {
      await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', user.id).execute()
      await this.audit.append(trx, ctx, {
        action: 'login', actor: { id: user.id, email: user.email, type: 'user' }, targetType: 'session', outcome: 'success',
      }, now)
    })
    return { session, account: toAccount(user) }
  }

  /** Changes the signed-in person's password and ends every other session of theirs. */
  async changePassword(p: Principal, current: string, next: string, ctx: AuditContext) {
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', p.account.id).executeTakeFirstOrThrow()
    if (!(await verifyPassword(current, user.password_hash))) {
      throw new ApiError('INVALID_ARGUMENT', 'The current password is not right', [{ field: 'current_password', reason: 'The current password is not right' }])
    }
    const hash = await hashPassword(next)
    const now = Date.now()
    await this.audit.transact(async (trx) => {
      await trx.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', user.id).execute()
      await trx.deleteFrom('sessions').where('user_id', '=', user.id).where('id_hash', '!=', p.sessionIdHash ?? '').execute()
      await this.audit.append(trx, ctx, { action: 'password_change', actor: { id: user.id, email: user.email, type: 'user' }, targetType: 'user', targetName: user.email, targetOwnerId: user.id, outcome: 'success' }, now)
    })
  }

  async fromSession(sessionId: string): Promise<{ principal: Principal; expiresAt: number } | undefined> {
    const s = await this.sessions.resolve(sessionId)
    if (!s) return undefined
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', s.userId).executeTakeFirst()
    if (!user || user.disabled || user.kind !== 'user') {
      await this.sessions.destroy(s.idHash)
      return undefined
    }
    const account = toAccount(user)
    return {
      principal: { via: 'session', account, role: account.role, permissions: effectivePermissions(account.role), sessionIdHash: s.idHash },
      expiresAt: s.expiresAt,
    }
  }

  /**
   * Format and checksum first (no database read for garbage), then the cache, then one indexed
   * lookup by keyed hash. Every kind of invalid token gets the same answer from the callers.
   */
  async checkToken(token: string, ctx: AuditContext, opts: { recordUse?: boolean } = {}): Promise<TokenCheck> {
    const started = performance.now()
    const result = await this.check(token, ctx, opts.recordUse ?? true)
    this.observeCheck(result.ok ? 'valid' : result.reason, (performance.now() - started) / 1000)
    return result
  }

  private async check(token: string, ctx: AuditContext, recordUse: boolean): Promise<TokenCheck> {
    if (!isWellFormedToken(token)) return MALFORMED
    return this.checkHashed(hashToken(this.secret, token), token.slice(0, 4), ctx, recordUse)
  }

  /**
   * A client certificate the TLS handshake (or the proxy check) has verified against the tenant CA,
   * by its credential's token_hash (an HMAC of its fingerprint): the same cache, revocation and expiry
   * rules, failure accounting (429 past the limit) and use recording as a token. Only `types` sign
   * in this way (a kubeconfig's certificate is for the cluster, not for this API).
   */
  async checkCertificate(tokenHash: string, ctx: AuditContext, types: ReadonlySet<string>): Promise<TokenCheck> {
    const started = performance.now()
    const result = await this.checkHashed(tokenHash, 'x509', ctx, true, types)
    this.observeCheck(result.ok ? 'valid' : result.reason, (performance.now() - started) / 1000)
    return result
  }

  private async checkHashed(hash: string, prefix: string, ctx: AuditContext, recordUse: boolean, types?: ReadonlySet<string>): Promise<TokenCheck> {
    this.pressure.noteCheck()
    let entry = this.cache.get(hash) as Entry | undefined
    if (!entry) {
      const ticket = this.cache.ticket()
      const row = await this.lookup(hash)
      const secret: SecretUsed | undefined = !row ? undefined
        : sameHash(row.token_hash, hash) ? 'current'
          : row.previous_token_hash !== null && sameHash(row.previous_token_hash, hash) ? 'previous' : undefined
      if (!row || !secret) {
        return { ok: false, reason: 'unknown', retryAfter: this.failures.record(ctx, 'unknown', null, prefix) }
      }
      const permissions = JSON.parse(row.permissions) as string[]
      // Only a scope that lists catalog permissions costs the second read, and only when filling the cache.
      const rules = row.scope === 'custom' && permissions.some(isCatalogPermissionName) ? await this.catalogRules.read() : NO_RULES
      entry = toCached(row, secret, permissions, rules)
      this.cache.set(hash, entry, ticket)
    }
    if (types && !types.has(entry.principal.token!.type)) {
      return { ok: false, reason: 'unknown', retryAfter: this.failures.record(ctx, 'unknown', null, prefix) }
    }
    const now = Date.now()
    const status = entry.revokedAt !== null ? 'revoked'
      : entry.ownerDisabled ? 'disabled'
        : entry.expiresAt !== null && entry.expiresAt <= now ? 'expired'
          : 'active'
    if (status !== 'active') {
      const credential = { id: entry.id, name: entry.name, ownerId: entry.ownerId, ownerEmail: entry.ownerEmail }
      return { ok: false, reason: status, retryAfter: this.failures.record(ctx, status, credential, prefix) }
    }
    // One test for a token without limits, so plain checks cost what they did.
    if (entry.limits) return this.limited(entry, entry.limits, ctx, prefix, recordUse, now)
    if (recordUse) this.usage.record(entry.id, ctx.ip, ctx.userAgent, now, entry.secretIssuedAt)
    return entry.result
  }

  /**
   * A valid token's limits, in this order: its start (not_before), the caller's address (the client
   * address as the routes see it: the forwarded one only through a trusted proxy), then its quota.
   * The first two are refusals of that token, counted and audited as the other refusals are; a
   * request past the quota is not (the holder is legitimate, only too fast). A check that records no
   * use (the console's "test a token") asks whether the token is valid, not whether this caller may
   * use it now: it skips the address and the quota.
   */
  private limited(entry: Entry, limits: EntryLimits, ctx: AuditContext, prefix: string, recordUse: boolean, now: number): TokenCheck | Promise<TokenCheck> {
    const credential = { id: entry.id, name: entry.name, ownerId: entry.ownerId, ownerEmail: entry.ownerEmail }
    if (limits.notBefore !== null && now < limits.notBefore) {
      return { ok: false, reason: 'not_yet_valid', retryAfter: this.failures.record(ctx, 'not_yet_valid', credential, prefix) }
    }
    if (!recordUse) return entry.result
    if (limits.allows && !limits.allows(ctx.ip)) {
      return { ok: false, reason: 'address_not_allowed', retryAfter: this.failures.record(ctx, 'address_not_allowed', credential, prefix) }
    }
    if (!limits.quota) {
      this.usage.record(entry.id, ctx.ip, ctx.userAgent, now, entry.secretIssuedAt)
      return entry.result
    }
    // The in-memory counter (SQLite) answers at once: no promise on that path.
    const taken = this.rates.take(entry.id, limits.quota, now)
    return taken instanceof Promise ? taken.then((rate) => this.afterQuota(entry, ctx, now, rate)) : this.afterQuota(entry, ctx, now, taken)
  }

  private afterQuota(entry: Entry, ctx: AuditContext, now: number, rate: RateDecision): TokenCheck {
    if (!rate.allowed) return { ok: false, reason: 'rate_limited', retryAfter: rate.reset, rate }
    this.usage.record(entry.id, ctx.ip, ctx.userAgent, now, entry.secretIssuedAt)
    return { ok: true, principal: entry.principal, rate }
  }

  /** Forgets a credential's quota window (its quota changed). */
  resetRate(credentialId: string) {
    this.rates.reset(credentialId)
  }

  async requireToken(token: string, ctx: AuditContext): Promise<Principal> {
    const r = await this.checkToken(token, ctx)
    if (!r.ok) throw new ApiError('UNAUTHENTICATED', INVALID_TOKEN_MESSAGE)
    return r.principal
  }
}
