// Single sign-on with an OpenID Connect provider: authorization code flow with PKCE (S256), state and
// nonce, the ID token checked by openid-client (issuer, audience, expiry, nonce and, with
// non-repudiation checks on, its signature against the provider's keys). The provider is discovered
// at first use, so the server starts while it is down; a sign-in retries discovery a few times.
// What a sign-in under way needs (state, nonce, the PKCE verifier, where to return) stays in the
// database under the SHA-256 of a random id that only the browser's cookie holds; the callback takes
// the row out before anything else, so each sign-in can complete once, within ten minutes.
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import * as client from 'openid-client'
import type { OidcDiscoveryTestResponse, OidcSettings, OidcSettingsResponse, OidcSettingsUpdate, OidcStatus, SsoErrorCode } from '../../contract/identity.js'
import { normalizeEmail } from '../../contract/identifiers.js'
import type { Role } from '../../contract/users.js'
import type { Database, OidcSettingsTable, UsersTable } from '../db/schema.js'
import { ApiError, forbidden, isUniqueViolation } from '../lib/errors.js'
import { isoOrNull } from '../lib/time.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import { actorOf } from '../services/actor.js'
import type { ValidityBus } from '../services/check-cache.js'
import { requirePermission, type Principal } from '../services/principal.js'
import type { Sessions } from '../services/sessions.js'
import { decryptSecret, encryptSecret } from '../webhooks/crypto.js'
import * as q from './queries.js'

export const LOGIN_TTL_MS = 10 * 60_000
/** The associated data of the encrypted client secret: it cannot be moved into another row or table. */
const SECRET_AAD = 'oidc_settings:1'
const DISCOVERY_ATTEMPTS = 3
const DISCOVERY_TIMEOUT_S = 5
/** A failed discovery is not tried again by status reads sooner than this. */
const BACKGROUND_RETRY_MS = 2000
/** Clock skew allowed between the provider's auth_time and our clock when re-authenticating. */
const AUTH_TIME_SKEW_MS = 30_000
/** When several values of the role claim map to roles, the first of these wins. */
const ROLE_ORDER: Role[] = ['admin', 'auditor', 'developer']

export interface OidcEnv { issuer: string | undefined; clientId: string | undefined; clientSecret: string | undefined }

interface Effective extends OidcSettings {
  clientSecret: string | null
  source: 'environment' | 'stored'
  updatedAt: number | null
  updatedBy: string | null
}

export type CallbackOutcome =
  | { ok: true; kind: 'signed_in'; session: { id: string; expiresAt: number }; returnTo: string }
  | { ok: true; kind: 'reauthenticated'; returnTo: string }
  | { ok: false; code: SsoErrorCode; returnTo: string | null }

class SsoRefusal extends Error {
  constructor(readonly code: SsoErrorCode, readonly reason: string) {
    super(reason)
  }
}

export function oidcSecretKey(serverSecret: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'token-console oidc client secret v1', 32))
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

/** Plain http is allowed for a provider on this machine only (tests, a local development provider). */
function isLoopback(url: URL) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
}

/** Only a path on this console is returned to: never another site (`//host`, `/\host`), never a control character. */
export function safeReturnPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2000 || !/^\/(?![/\\])/.test(raw) || raw.includes('\\')) return '/tokens'
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return '/tokens'
  return raw
}

/** The strongest role any value of the claim maps to, or null when none does. */
export function mappedRole(claims: Record<string, unknown>, claim: string, map: Record<string, Role>): Role | null {
  const raw = claims[claim]
  const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string')
  const roles = new Set(values.filter((v) => Object.hasOwn(map, v)).map((v) => map[v]))
  return ROLE_ORDER.find((r) => roles.has(r)) ?? null
}

function describeFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  if (cause?.code) return cause.code
  if (err instanceof Error) return err.message.slice(0, 300)
  return 'unknown error'
}

export class OidcService {
  private discovered: { key: string; config: client.Configuration } | null = null
  private inflight: { key: string; promise: Promise<client.Configuration> } | null = null
  private lastFailure: { key: string; at: number } | null = null

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly sessions: Sessions,
    private readonly validity: ValidityBus,
    private readonly secretKey: Buffer,
    private readonly env: OidcEnv,
    private readonly log: (detail: object, msg: string) => void = () => {},
  ) {}

  private async effective(): Promise<Effective> {
    const row = await q.readSettingsRow(this.db)
    if (!row) {
      return {
        issuer: this.env.issuer ?? null, client_id: this.env.clientId ?? null, client_secret_set: Boolean(this.env.clientSecret),
        clientSecret: this.env.clientSecret ?? null, role_claim: 'groups', role_map: {}, jit: true, default_role: 'developer',
        passwords_for_non_admins: true, source: 'environment', updatedAt: null, updatedBy: null,
      }
    }
    return {
      issuer: row.issuer, client_id: row.client_id, client_secret_set: row.client_secret_enc !== null,
      clientSecret: row.client_secret_enc === null ? null : decryptSecret(this.secretKey, SECRET_AAD, row.client_secret_enc),
      role_claim: row.role_claim, role_map: JSON.parse(row.role_map) as Record<string, Role>, jit: row.jit === 1,
      default_role: row.default_role, passwords_for_non_admins: row.passwords_for_non_admins === 1, source: 'stored',
      updatedAt: row.updated_at, updatedBy: row.updated_by,
    }
  }

  private static configured(s: Effective): s is Effective & { issuer: string; client_id: string } {
    return Boolean(s.issuer && s.client_id)
  }

  /** The discovered provider for these settings; discovery runs once per issuer and client, with retries. */
  private async configuration(s: Effective & { issuer: string; client_id: string }, attempts = DISCOVERY_ATTEMPTS): Promise<client.Configuration> {
    const key = sha256(JSON.stringify([s.issuer, s.client_id, s.clientSecret]))
    if (this.discovered?.key === key) return this.discovered.config
    if (this.inflight?.key === key) return this.inflight.promise
    const promise = (async () => {
      for (let i = 1; ; i++) {
        try {
          const config = await this.discover(new URL(s.issuer), s.client_id, s.clientSecret)
          this.discovered = { key, config }
          this.lastFailure = null
          return config
        } catch (err) {
          if (i >= attempts) {
            this.lastFailure = { key, at: Date.now() }
            this.log({ issuer: s.issuer, error: describeFailure(err) }, 'OpenID provider discovery failed')
            throw new ApiError('UNAVAILABLE', 'The identity provider could not be reached; try again in a moment')
          }
          await new Promise((resolve) => setTimeout(resolve, 200 * 3 ** (i - 1)))
        }
      }
    })()
    this.inflight = { key, promise }
    try {
      return await promise
    } finally {
      if (this.inflight?.promise === promise) this.inflight = null
    }
  }

  private discover(issuer: URL, clientId: string, clientSecret: string | null) {
    const execute = [client.enableNonRepudiationChecks, ...(issuer.protocol === 'http:' && isLoopback(issuer) ? [client.allowInsecureRequests] : [])]
    return client.discovery(issuer, clientId, undefined, clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(), {
      execute, timeout: DISCOVERY_TIMEOUT_S,
    })
  }

  /** At start-up and from status reads: a discovery in the background, whose failure is only logged. */
  warmUp() {
    void (async () => {
      const s = await this.effective()
      if (!OidcService.configured(s)) return
      if (this.lastFailure && Date.now() - this.lastFailure.at < BACKGROUND_RETRY_MS) return
      await this.configuration(s, 1)
    })().catch(() => {})
  }

  async status(): Promise<OidcStatus> {
    const s = await this.effective()
    if (!OidcService.configured(s)) return { configured: false, reachable: null, passwords_for_non_admins: true }
    const key = sha256(JSON.stringify([s.issuer, s.client_id, s.clientSecret]))
    const reachable = this.discovered?.key === key ? true : this.lastFailure?.key === key ? false : null
    if (reachable !== true) this.warmUp()
    return { configured: true, reachable, passwords_for_non_admins: s.passwords_for_non_admins }
  }

  /** Whether a password may sign this role in: always for administrators (a break-glass), else per the settings. */
  async passwordSignInAllowed(role: Role): Promise<boolean> {
    if (role === 'admin') return true
    const s = await this.effective()
    return !OidcService.configured(s) || s.passwords_for_non_admins
  }

  /**
   * Starts a sign-in (or, with `reauth`, a re-authentication of that session at the provider): stores
   * what the callback will check and returns the provider's authorization URL and the cookie value.
   */
  async start(origin: string, returnTo: string, reauth: { sessionIdHash: string; userId: string } | null) {
    const s = await this.effective()
    if (!OidcService.configured(s)) throw new ApiError('FAILED_PRECONDITION', 'Single sign-on is not set up for this console')
    const config = await this.configuration(s)
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const id = crypto.randomBytes(32).toString('base64url')
    const redirectUri = `${origin}/api/auth/oidc/callback`
    const now = Date.now()
    await q.insertLogin(this.db, {
      id_hash: sha256(id), state, nonce, code_verifier: verifier, redirect_uri: redirectUri, return_to: safeReturnPath(returnTo),
      session_hash: reauth?.sessionIdHash ?? null, user_id: reauth?.userId ?? null, created_at: now, expires_at: now + LOGIN_TTL_MS,
    }, now)
    const params: Record<string, string> = {
      redirect_uri: redirectUri, scope: 'openid email profile', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }
    // The provider must ask again, whatever session it holds; the callback checks auth_time.
    if (reauth) Object.assign(params, { prompt: 'login', max_age: '0' })
    return { cookie: id, url: client.buildAuthorizationUrl(config, params).href }
  }

  async callback(cookie: string | undefined, query: string, ctx: AuditContext): Promise<CallbackOutcome> {
    const now = Date.now()
    const login = cookie ? await q.consumeLogin(this.db, sha256(cookie), now) : undefined
    if (!login) {
      await this.refusalRow(ctx, null, 'expired', 'no sign-in under way for this browser, or it was already used or too old')
      return { ok: false, code: 'expired', returnTo: null }
    }
    const reauth = login.session_hash !== null
    const fail = async (code: SsoErrorCode, reason: string, user?: Pick<UsersTable, 'id' | 'email'> | null) => {
      await this.refusalRow(ctx, user ?? null, code, reason, reauth)
      return { ok: false as const, code, returnTo: reauth ? login.return_to : null }
    }
    const s = await this.effective()
    if (!OidcService.configured(s)) return fail('not_configured', 'single sign-on is not set up')
    let config: client.Configuration
    try {
      config = await this.configuration(s)
    } catch {
      return fail('unavailable', 'provider unreachable')
    }
    let claims: Record<string, unknown>
    try {
      const url = new URL(login.redirect_uri)
      url.search = query
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: login.code_verifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true,
        ...(reauth ? { maxAge: 0 } : {}),
      })
      claims = { ...(tokens.claims() ?? {}) }
      // Providers that keep email or groups out of the ID token give them at the userinfo endpoint
      // (checked to be about the same subject); the ID token's own claims win.
      if ((claims.email === undefined || claims[s.role_claim] === undefined) && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub))
        claims = { ...info, ...claims }
      }
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) return fail('denied', `provider answered ${err.error}`)
      return fail('invalid_response', describeFailure(err))
    }
    const subject = String(claims.sub)
    if (reauth) {
      const authTime = typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : null
      if (authTime === null || authTime < login.created_at - AUTH_TIME_SKEW_MS) return fail('stale_authentication', 'auth_time is older than the re-authentication request')
    }
    try {
      const user = await this.resolvePerson(s, claims, subject, reauth, ctx, now)
      if (reauth) {
        if (user.id !== login.user_id) return fail('different_person', 'the provider confirmed another person', user)
        await this.audit.transact(async (trx) => {
          await this.sessions.markAuthenticated(trx, login.session_hash!, now)
          await this.audit.append(trx, ctx, {
            action: 'auth.reauthenticate', actor: { id: user.id, email: user.email, type: 'user' }, targetType: 'session', outcome: 'success',
            details: { method: 'sso' },
          }, now)
        })
        return { ok: true, kind: 'reauthenticated', returnTo: login.return_to }
      }
      await this.sessions.purgeExpired(now)
      const session = await this.sessions.create(user.id, ctx.ip, ctx.userAgent, now)
      await this.audit.transact(async (trx) => {
        await trx.updateTable('sessions').set({ sign_in_method: 'sso' }).where('id_hash', '=', session.idHash).execute()
        await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', user.id).execute()
        await this.audit.append(trx, ctx, {
          action: 'login', actor: { id: user.id, email: user.email, type: 'user' }, targetType: 'session', outcome: 'success',
          details: { method: 'sso' },
        }, now)
      })
      return { ok: true, kind: 'signed_in', session, returnTo: login.return_to }
    } catch (err) {
      if (err instanceof SsoRefusal) return fail(err.code, err.reason, (err as SsoRefusal & { user?: UsersTable }).user)
      throw err
    }
  }

  /**
   * The person these verified claims name: by their subject, else by a verified email (an existing
   * account is then linked to the subject), else created just in time when that is on.
   */
  private async resolvePerson(s: Effective, claims: Record<string, unknown>, subject: string, reauth: boolean, ctx: AuditContext, now: number) {
    const refuse = (code: SsoErrorCode, reason: string, user?: UsersTable) => Object.assign(new SsoRefusal(code, reason), { user })
    // An email the provider has not verified could be anyone's: it never finds, links or creates a person.
    const email = typeof claims.email === 'string' && claims.email_verified === true ? normalizeEmail(claims.email) : null
    const role = mappedRole(claims, s.role_claim, s.role_map)
    let user = await q.userBySubject(this.db, subject)
    if (!user) {
      if (!email) throw refuse('email_unverified', typeof claims.email === 'string' ? 'email_verified is not true' : 'no email claim')
      const byEmail = await q.userByEmail(this.db, email)
      if (byEmail) {
        if (byEmail.disabled) throw refuse('disabled', 'account disabled', byEmail)
        if (byEmail.oidc_subject !== null) throw refuse('no_account', 'the account with this email is linked to another subject', byEmail)
        await this.db.updateTable('users').set({ oidc_subject: subject, updated_at: now }).where('id', '=', byEmail.id).execute()
        user = { ...byEmail, oidc_subject: subject }
      } else if (!s.jit || reauth) {
        throw refuse('no_account', 'no account and just-in-time creation is off')
      } else {
        user = await this.createJustInTime(email, typeof claims.name === 'string' ? claims.name : '', subject, role ?? s.default_role, ctx, now)
      }
    }
    if (user.disabled) throw refuse('disabled', 'account disabled', user)
    if (user.managed_by === 'sso' && role && role !== user.role) user = await this.syncRole(user, role, ctx, now)
    return user
  }

  private async createJustInTime(email: string, name: string, subject: string, role: Role, ctx: AuditContext, now: number): Promise<UsersTable> {
    const row: UsersTable = {
      id: crypto.randomUUID(), email, name: name.trim().slice(0, 200) || email.split('@')[0], role, kind: 'user', password_hash: null,
      disabled: 0, created_at: now, updated_at: now, last_login_at: null, managed_by: 'sso', external_id: null, oidc_subject: subject,
    }
    try {
      await this.audit.transact(async (trx) => {
        await trx.insertInto('users').values(row).execute()
        await this.audit.append(trx, ctx, {
          action: 'user.create', actor: { id: null, email: null, type: 'system' }, targetType: 'user', targetName: email,
          targetOwnerId: row.id, outcome: 'success', details: { role, managed_by: 'sso', via: 'just_in_time' },
        }, now)
      })
    } catch (err) {
      // Two first sign-ins at once: the other created them; use that row.
      if (!isUniqueViolation(err)) throw err
      const existing = await q.userBySubject(this.db, subject)
      if (!existing) throw err
      return existing
    }
    return row
  }

  /** A person single sign-on keeps takes the role their claim maps to now, but never leaves the tenant without an administrator. */
  private async syncRole(user: UsersTable, role: Role, ctx: AuditContext, now: number): Promise<UsersTable> {
    return this.audit.transact(async (trx, after) => {
      if (user.role === 'admin' && (await q.otherEnabledAdmins(trx, user.id)) === 0) return user
      await trx.updateTable('users').set({ role, updated_at: now }).where('id', '=', user.id).execute()
      await this.audit.append(trx, ctx, {
        action: 'user.role_change', actor: { id: null, email: null, type: 'system' }, targetType: 'user', targetName: user.email,
        targetOwnerId: user.id, outcome: 'success', details: { from: user.role, to: role, via: 'sso' },
      }, now)
      await this.validity.publish(trx, after, '*')
      return { ...user, role }
    })
  }

  private async refusalRow(ctx: AuditContext, user: Pick<UsersTable, 'id' | 'email'> | null, code: SsoErrorCode, reason: string, reauth = false) {
    await this.audit.record(ctx, {
      action: reauth ? 'auth.reauthenticate' : 'login_failed',
      actor: { id: user?.id ?? null, email: user?.email ?? null, type: reauth ? 'user' : 'anonymous' },
      targetType: 'session', outcome: 'denied', details: { method: 'sso', reason: code, detail: reason },
    })
  }

  // --- administration -------------------------------------------------------------------------

  private static requireAdmin(p: Principal) {
    requirePermission(p, 'users:write')
    if (p.role !== 'admin') throw forbidden('Only administrators manage single sign-on')
  }

  private static view(s: Effective, redirectUri: string): OidcSettingsResponse {
    return {
      settings: {
        issuer: s.issuer, client_id: s.client_id, client_secret_set: s.client_secret_set, role_claim: s.role_claim,
        role_map: s.role_map, jit: s.jit, default_role: s.default_role, passwords_for_non_admins: s.passwords_for_non_admins,
      },
      source: s.source, updated_at: isoOrNull(s.updatedAt), updated_by: s.updatedBy, redirect_uri: redirectUri,
    }
  }

  async read(p: Principal, origin: string): Promise<OidcSettingsResponse> {
    OidcService.requireAdmin(p)
    return OidcService.view(await this.effective(), `${origin}/api/auth/oidc/callback`)
  }

  async update(p: Principal, body: OidcSettingsUpdate, origin: string, ctx: AuditContext): Promise<OidcSettingsResponse> {
    OidcService.requireAdmin(p)
    const before = await this.effective()
    const now = Date.now()
    const secret = body.client_secret === undefined ? before.clientSecret : body.client_secret
    const row: Omit<OidcSettingsTable, 'id'> = {
      issuer: body.issuer, client_id: body.client_id || null,
      client_secret_enc: secret === null ? null : encryptSecret(this.secretKey, SECRET_AAD, secret),
      role_claim: body.role_claim, role_map: JSON.stringify(body.role_map), jit: body.jit ? 1 : 0, default_role: body.default_role,
      passwords_for_non_admins: body.passwords_for_non_admins ? 1 : 0, updated_at: now, updated_by: p.account.email,
    }
    const fields = ['issuer', 'client_id', 'role_claim', 'role_map', 'jit', 'default_role', 'passwords_for_non_admins'] as const
    const changed: string[] = fields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(f === 'client_id' ? row.client_id : body[f]))
    if (body.client_secret !== undefined) changed.push('client_secret')
    await this.audit.transact(async (trx) => {
      await q.writeSettingsRow(trx, row)
      // What changed, with its new values; the client secret only as "changed", never its value.
      await this.audit.append(trx, ctx, {
        action: 'identity.oidc_update', actor: actorOf(p), outcome: 'success',
        details: {
          changed, issuer: body.issuer, client_id: row.client_id, role_claim: body.role_claim, role_map: body.role_map, jit: body.jit,
          default_role: body.default_role, passwords_for_non_admins: body.passwords_for_non_admins,
        },
      }, now)
    })
    this.discovered = null
    this.lastFailure = null
    const after = await this.effective()
    if (OidcService.configured(after)) this.warmUp()
    return OidcService.view(after, `${origin}/api/auth/oidc/callback`)
  }

  /** Reads an issuer's discovery document, for the Identity page's "Test discovery" button. */
  async testDiscovery(p: Principal, issuer: string): Promise<OidcDiscoveryTestResponse> {
    OidcService.requireAdmin(p)
    try {
      const config = await this.discover(new URL(issuer), 'discovery-test', null)
      const m = config.serverMetadata()
      return {
        ok: true, issuer: m.issuer, authorization_endpoint: m.authorization_endpoint, token_endpoint: m.token_endpoint,
        code_challenge_methods: m.code_challenge_methods_supported ?? [],
      }
    } catch (err) {
      const url = new URL(issuer)
      const insecure = url.protocol === 'http:' && !isLoopback(url)
      return {
        ok: false,
        error: insecure
          ? 'The issuer must use https (plain http is allowed only for a provider on this machine)'
          : `Could not read ${issuer.replace(/\/$/, '')}/.well-known/openid-configuration: ${describeFailure(err)}`,
      }
    }
  }
}

