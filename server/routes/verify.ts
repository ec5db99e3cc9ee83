// Verification for other services: GET /api/verify for a gateway's auth_request, and RFC 7662
// introspection. Both count as a use of the checked token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorBodySchema, type ErrorBody } from '../../contract/errors.js'
import { authorizationServerMetadataSchema, introspectErrorSchema, introspectRequestSchema, introspectResponseSchema } from '../../contract/verify.js'
import { tokenFromAuthorization } from '../lib/tokens.js'
import { auditContext } from '../plugins/auth.js'
import { REALM } from '../plugins/errors.js'
import { INVALID_TOKEN_MESSAGE, type Identity } from '../services/identity.js'
import type { AuditContext } from '../services/audit.js'
import { grantsOf, insufficientScope, missingPermission, type Principal } from '../services/principal.js'
import type { Services } from '../app.js'
import { limitRefusal } from '../limits/refusals.js'
import { rateLimitHeaders } from '../limits/rate-counter.js'

export interface VerifyAnswer {
  status: 204 | 400 | 401 | 403 | 429
  headers: Record<string, string>
  body?: ErrorBody
}

/** RFC 6750 scope-token characters; a required scope is one or more of them separated by spaces. */
const SCOPE_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/

/**
 * A gateway's X-Required-Scope: every permission named (space-separated, as an OAuth scope) must be
 * held. 403 with the RFC 6750 section 3.1 challenge naming the required scope, and the first missing
 * permission with what the token holds in the body, as this API's own refusals give it.
 */
function scopeRefusal(p: Principal, required: string): VerifyAnswer | undefined {
  const grants = grantsOf(p)
  const wanted = required.split(' ')
  const missing = wanted.find((x) => !grants.has(x))
  if (missing === undefined) return undefined
  const err = missingPermission(p, missing, `This token does not hold the ${missing} permission`)
  return { status: 403, headers: { 'www-authenticate': insufficientScope(required) }, body: err.toBody() }
}

/** A refusal; error undefined when the request carried no credentials at all (RFC 6750 section 3.1: no error code then). */
function refusal(error: 'invalid_request' | 'invalid_token' | undefined, message: string, retryAfter?: number): VerifyAnswer {
  if (retryAfter !== undefined) {
    return { status: 429, headers: { 'retry-after': String(retryAfter) }, body: { code: 8, message: 'Too many failed token checks from your address; try again later', details: [] } }
  }
  return { status: 401, headers: { 'www-authenticate': `Bearer realm="${REALM}"${error ? `, error="${error}"` : ''}` }, body: { code: 16, message, details: [] } }
}

/** GET /api/verify's answer, for the Fastify route and the fast path alike. */
export async function verifyAnswer(identity: Identity, header: string | undefined, ctx: AuditContext, requiredScope?: string | string[]): Promise<VerifyAnswer> {
  const required = typeof requiredScope === 'string' ? requiredScope.trim() : undefined
  if (requiredScope !== undefined && (required === undefined || !SCOPE_VALUE.test(required))) {
    // The gateway's configuration is wrong, not the token: nginx turns this into a 500 for its client.
    return { status: 400, headers: {}, body: { code: 3, message: 'X-Required-Scope must be one permission, or several separated by single spaces', details: [{ field: 'X-Required-Scope', reason: 'invalid' }] } }
  }
  const token = tokenFromAuthorization(header)
  if (!token) return header ? refusal('invalid_request', 'Use Authorization: APIToken <token> or Bearer <token>') : refusal(undefined, 'Authorization header required')
  const result = await identity.checkToken(token, ctx)
  if (!result.ok) {
    const own = limitRefusal(result, ctx.ip)
    if (own) return { status: own.status as 401 | 429, headers: own.headers, body: own.toBody() }
    return refusal('invalid_token', INVALID_TOKEN_MESSAGE, result.retryAfter)
  }
  const p = result.principal
  const rate = result.rate ? rateLimitHeaders(result.rate) : undefined
  if (required) {
    const refused = scopeRefusal(p, required)
    if (refused) return rate ? { ...refused, headers: { ...refused.headers, ...rate } } : refused
  }
  const headers = { 'x-token-name': p.token!.name, 'x-token-owner': p.account.email, 'x-token-scope': p.scope ?? [...p.permissions].join(' ') }
  return { status: 204, headers: rate ? { ...headers, ...rate } : headers }
}

type IntrospectError = 'invalid_request' | 'invalid_token' | 'invalid_client' | 'insufficient_scope'

/**
 * The introspection endpoint's refusals. Its callers are OAuth clients, which read the RFC 6749
 * section 5.2 body (`error`, `error_description`); the API's own `code`, `message` and `details`
 * stay beside them for everything else. A 401 is a failed client authentication: invalid_client
 * (RFC 7662 section 2.3), or invalid_token when the client presented its token as a bearer token
 * (RFC 6750). Its challenge names the scheme the client used; with no credentials at all, both
 * schemes the endpoint takes, and no error code (RFC 6750 section 3.1).
 */
function refuse(reply: FastifyReply, error: IntrospectError | undefined, message: string, retryAfter?: number, scheme?: 'Basic' | 'Bearer') {
  if (retryAfter !== undefined) {
    return reply.status(429).header('retry-after', String(retryAfter))
      .send({ code: 8, message: 'Too many failed token checks from your address; try again later', details: [] })
  }
  const challenge = scheme
    ? `${scheme} realm="${REALM}"${error ? `, error="${error}"` : ''}`
    : `Basic realm="${REALM}", Bearer realm="${REALM}"`
  return reply
    .status(401)
    .header('www-authenticate', challenge)
    .send({ error: error ?? 'invalid_client', error_description: message, code: 16, message, details: [] })
}

/**
 * The introspection caller's credentials: RFC 6749 client_secret_basic (Authorization: Basic of the
 * form-encoded client id and secret) or client_secret_post (form fields), where the client id is a
 * service credential's name and the secret its token; or the token alone as a bearer token.
 */
function introspectionClient(req: FastifyRequest): { clientId?: string; secret: string; scheme: 'Basic' | 'Bearer' } | undefined {
  const header = req.headers.authorization
  if (header && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    try {
      const form = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '))
      return { clientId: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)), scheme: 'Basic' }
    } catch {
      return undefined
    }
  }
  if (header) {
    const token = tokenFromAuthorization(header)
    return token ? { secret: token, scheme: 'Bearer' } : undefined
  }
  const { client_id: clientId, client_secret: secret } = (req.body ?? {}) as { client_id?: string; client_secret?: string }
  return clientId && secret ? { clientId, secret, scheme: 'Bearer' } : undefined
}

export function verifyRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()

  // Served by the fast path (server/plugins/verify-fast-path.ts) on a listening server; this route
  // answers the same through Fastify (inject, HEAD, and while the server closes) and documents it.
  r.get('/api/verify', {
    config: { auth: 'none' },
    schema: {
      tags: ['verification'],
      summary: 'Gateway check (nginx auth_request): 204 with X-Token-* headers, or 401 per RFC 6750',
      description: 'A token with allowed_cidrs is refused (401, details[].reason address_not_allowed) from any other client address: '
        + 'the socket\'s peer, or the X-Forwarded-For client when the peer is a trusted proxy (TRUST_PROXY). Before its not_before: 401, not_yet_valid. '
        + 'A token with a rate_limit gets RateLimit-Policy and RateLimit on every answer, and 429 with Retry-After past its quota. '
        + 'With X-Required-Scope: <permission> (a catalog permission or one of this API\'s; several separated by spaces must all be held), a token without it gets 403 with WWW-Authenticate: Bearer realm="token-console", error="insufficient_scope", scope="<permission>" (RFC 6750 section 3.1) and details [{reason: "missing_permission", permission, granted}]. Without the header, any valid token passes.',
      response: { 204: z.null(), 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 429: errorBodySchema },
    },
  }, async (req, reply) => {
    const a = await verifyAnswer(s.identity, req.headers.authorization, auditContext(req), req.headers['x-required-scope'])
    return reply.status(a.status).headers(a.headers).send(a.body ?? null)
  })

  r.post('/api/oauth2/introspect', {
    config: { auth: 'none' },
    schema: {
      tags: ['verification'],
      summary: 'RFC 7662 token introspection; callers are service credentials with tokens:introspect',
      consumes: ['application/x-www-form-urlencoded'],
      body: introspectRequestSchema,
      response: { 200: introspectResponseSchema, 401: introspectErrorSchema, 403: introspectErrorSchema, 429: errorBodySchema },
    },
  }, async (req, reply) => {
    const client = introspectionClient(req)
    if (!client) {
      const message = 'Authenticate as a service credential: client_secret_basic, client_secret_post or its token as a bearer token'
      // An Authorization header we cannot read is a malformed request; none at all, no credentials.
      return req.headers.authorization ? refuse(reply, 'invalid_request', message, undefined, /^basic /i.test(req.headers.authorization) ? 'Basic' : 'Bearer') : refuse(reply, undefined, message)
    }
    const caller = await s.identity.checkToken(client.secret, auditContext(req))
    if (!caller.ok) {
      const own = limitRefusal(caller, req.ip)
      if (own) return reply.status(own.status as 401 | 429).headers(own.headers).send(own.toBody())
      return refuse(reply, client.clientId ? 'invalid_client' : 'invalid_token', INVALID_TOKEN_MESSAGE, caller.retryAfter, client.scheme)
    }
    if (caller.rate) reply.headers(rateLimitHeaders(caller.rate))
    // With client authentication the id must name the credential whose token is the secret.
    if (client.clientId !== undefined && client.clientId !== caller.principal.token!.name) {
      return refuse(reply, 'invalid_client', 'client_id does not match the credential', undefined, client.scheme)
    }
    const cp = caller.principal
    if (cp.account.kind !== 'service' || !cp.permissions.has('tokens:introspect')) {
      // RFC 6750 section 3.1: authenticated, but the credential lacks the scope this endpoint needs.
      const message = 'Introspection needs a service credential with the tokens:introspect permission'
      return reply.status(403)
        .header('www-authenticate', `${client.scheme} realm="${REALM}", error="insufficient_scope", scope="tokens:introspect"`)
        .send({ error: 'insufficient_scope' as const, error_description: message, code: 7, message, details: [] })
    }
    const checked = await s.identity.checkToken(req.body.token, auditContext(req))
    if (!checked.ok) return { active: false as const }
    const p = checked.principal
    return {
      active: true as const,
      scope: p.scope ?? [...p.permissions].join(' '),
      sub: p.account.id,
      username: p.account.email,
      client_id: p.token!.name,
      token_type: 'Bearer' as const,
      ...(p.token!.expiresAt ? { exp: Math.floor(p.token!.expiresAt / 1000) } : {}),
      iat: Math.floor(p.token!.createdAt / 1000),
    }
  })
}

/** RFC 8414 metadata, so standard OAuth clients find the introspection endpoint and how to authenticate. */
export function authorizationServerMetadataRoute(app: FastifyInstance) {
  app.withTypeProvider<ZodTypeProvider>().get('/.well-known/oauth-authorization-server', {
    config: { auth: 'none' },
    schema: { tags: ['verification'], summary: 'RFC 8414 authorization server metadata', response: { 200: authorizationServerMetadataSchema } },
  }, async (req) => {
    const issuer = `${req.protocol}://${req.host}`
    return {
      issuer,
      introspection_endpoint: `${issuer}/api/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      grant_types_supported: [],
      service_documentation: `${issuer}/api/docs`,
    }
  })
}
