// Resolves the caller of every /api request: an API token in the Authorization header, or a
// console session cookie. Cookie-authenticated mutations must carry the CSRF token and our Origin.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError, unauthenticated } from '../lib/errors.js'
import { REALM } from './errors.js'
import { tokenFromAuthorization } from '../lib/tokens.js'
import type { AuditContext } from '../services/audit.js'
import { INVALID_TOKEN_MESSAGE, type Identity } from '../services/identity.js'
import type { Principal } from '../services/principal.js'
import { recentSignInCheck } from './reauth.js'
import { SESSION_COOKIE, type Sessions } from '../services/sessions.js'
import type { ConsoleGate } from '../lib/check-pressure.js'
import type { TokenCheck } from '../services/identity.js'
import { limitRefusal } from '../limits/refusals.js'
import { rateLimitHeaders } from '../limits/rate-counter.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
    sessionExpiresAt: number | null
  }
  interface FastifyContextConfig {
    /** 'none': the route authenticates by itself (login, verify, introspect, docs). */
    auth?: 'none'
    /** Creates, renews or rotates a credential, or changes administration: a console session must have signed in recently (plugins/reauth.ts). */
    recentSignIn?: boolean
  }
  interface FastifyInstance {
    /** server/pki: the Principal of a verified client certificate, null without one; throws 401 for a refused one. */
    clientCertificatePrincipal?: (req: FastifyRequest) => Promise<Principal | null>
  }
}

const URL_TOKEN_PARAMS = ['token', 'api_token', 'apitoken', 'access_token', 'authorization']
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function auditContext(req: FastifyRequest): AuditContext {
  const ua = req.headers['user-agent']
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua : null }
}

export function originAllowed(req: FastifyRequest, trusted: string[]): boolean {
  const origin = req.headers.origin
  if (!origin) return false
  const own = `${req.protocol}://${req.headers.host}`
  return origin === own || trusted.includes(origin)
}

/**
 * The answer to a refused token: 401, or 429 once the source has failed too often; a valid token
 * refused by its own limits (start, allowlist, quota) gets that limit's answer (server/limits).
 */
export function refusedToken(retryAfter: number | undefined, refused?: Extract<TokenCheck, { ok: false }>, ip: string | null = null): ApiError {
  const own = refused && limitRefusal(refused, ip)
  if (own) return own
  if (retryAfter !== undefined) {
    return new ApiError('RESOURCE_EXHAUSTED', 'Too many failed token checks from your address; try again later', [], { 'retry-after': String(retryAfter) })
  }
  return new ApiError('UNAUTHENTICATED', INVALID_TOKEN_MESSAGE, [], { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token"` })
}

export function requirePrincipal(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthenticated()
  return req.principal
}

export function refuseTokenInUrl(req: FastifyRequest) {
  const q = req.query as Record<string, unknown> | undefined
  if (q && URL_TOKEN_PARAMS.some((k) => k in q)) {
    throw new ApiError('INVALID_ARGUMENT', 'Tokens are never accepted in the URL; send them in the Authorization header')
  }
}

export default fp(async function authPlugin(
  app: FastifyInstance,
  opts: { identity: Identity; sessions: Sessions; trustedOrigins: string[]; consoleGate?: ConsoleGate },
) {
  app.decorateRequest('principal', null)
  app.decorateRequest('sessionExpiresAt', null)
  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    refuseTokenInUrl(req)
    const header = req.headers.authorization
    if (header !== undefined) {
      const token = tokenFromAuthorization(header)
      if (!token) {
        throw new ApiError('UNAUTHENTICATED', 'Use Authorization: APIToken <token> or Authorization: Bearer <token>', [], {
          'www-authenticate': `Bearer realm="${REALM}", error="invalid_request"`,
        })
      }
      const r = await opts.identity.checkToken(token, auditContext(req))
      if (!r.ok) throw refusedToken(r.retryAfter, r, req.ip)
      // A token with a quota reports it on every answer to the call it authenticates.
      if (r.rate) reply.headers(rateLimitHeaders(r.rate))
      req.principal = r.principal
      return
    }
    const viaCertificate = await req.server.clientCertificatePrincipal?.(req)
    if (viaCertificate) {
      req.principal = viaCertificate
      return
    }
    const sid = req.cookies[SESSION_COOKIE]
    if (!sid) return
    const s = await opts.identity.fromSession(sid)
    if (!s) return
    if (MUTATING.has(req.method)) {
      if (!originAllowed(req, opts.trustedOrigins)) throw new ApiError('PERMISSION_DENIED', 'Cross-origin request refused')
      const csrf = req.headers['x-csrf-token']
      if (!opts.sessions.checkCsrf(s.principal.sessionIdHash!, typeof csrf === 'string' ? csrf : undefined)) {
        throw new ApiError('PERMISSION_DENIED', 'Missing or invalid X-CSRF-Token header')
      }
    }
    req.principal = s.principal
    req.sessionExpiresAt = s.expiresAt
    // Console reads wait their turn while token checks arrive (see ConsoleGate).
    if (req.method === 'GET' || req.method === 'HEAD') {
      const turn = opts.consoleGate?.admit()
      if (turn) await turn
    }
  }
  const requireRecentSignIn = recentSignInCheck(opts.sessions)
  // Attached to each API route that authenticates through it, rather than run for every request:
  // the token checks (auth 'none') and the console's files then skip it entirely.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.config?.auth === 'none') return
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]
    route.preHandler = [authenticate, ...(route.config?.recentSignIn ? [requireRecentSignIn] : []), ...own]
  })
})
