// Verification for other services: GET /api/verify for a gateway's auth_request, and RFC 7662
// introspection. Both count as a use of the checked token.
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorBodySchema } from '../../contract/errors.js'
import { introspectRequestSchema, introspectResponseSchema } from '../../contract/verify.js'
import { tokenFromAuthorization } from '../lib/tokens.js'
import { ApiError } from '../lib/errors.js'
import { auditContext } from '../plugins/auth.js'
import { INVALID_TOKEN_MESSAGE } from '../services/identity.js'
import type { Services } from '../app.js'

const REALM = 'token-console'

function refuse(reply: FastifyReply, error: 'invalid_request' | 'invalid_token', message: string) {
  return reply
    .status(401)
    .header('www-authenticate', `Bearer realm="${REALM}", error="${error}"`)
    .send({ code: 16, message, details: [] })
}

export function verifyRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()

  r.get('/api/verify', {
    config: { auth: 'none' },
    schema: {
      tags: ['verification'],
      summary: 'Gateway check (nginx auth_request): 204 with X-Token-* headers, or 401 per RFC 6750',
      response: { 204: z.null(), 401: errorBodySchema },
    },
  }, async (req, reply) => {
    const header = req.headers.authorization
    const token = tokenFromAuthorization(header)
    if (!token) return refuse(reply, 'invalid_request', header ? 'Use Authorization: APIToken <token> or Bearer <token>' : 'Authorization header required')
    const result = await s.identity.checkToken(token, auditContext(req))
    if (!result.ok) return refuse(reply, 'invalid_token', INVALID_TOKEN_MESSAGE)
    const p = result.principal
    return reply
      .status(204)
      .headers({
        'x-token-name': p.token!.name,
        'x-token-owner': p.account.email,
        'x-token-scope': [...p.permissions].join(' '),
      })
      .send(null)
  })

  r.post('/api/oauth2/introspect', {
    config: { auth: 'none' },
    schema: {
      tags: ['verification'],
      summary: 'RFC 7662 token introspection; callers are service credentials with tokens:introspect',
      consumes: ['application/x-www-form-urlencoded'],
      body: introspectRequestSchema,
      response: { 200: introspectResponseSchema, 401: errorBodySchema, 403: errorBodySchema },
    },
  }, async (req, reply) => {
    const callerToken = tokenFromAuthorization(req.headers.authorization)
    if (!callerToken) return refuse(reply, 'invalid_request', 'Authenticate with the service credential’s token')
    const caller = await s.identity.checkToken(callerToken, auditContext(req))
    if (!caller.ok) return refuse(reply, 'invalid_token', INVALID_TOKEN_MESSAGE)
    const cp = caller.principal
    if (cp.account.kind !== 'service' || !cp.permissions.has('tokens:introspect')) {
      throw new ApiError('PERMISSION_DENIED', 'Introspection needs a service credential with the tokens:introspect permission')
    }
    const checked = await s.identity.checkToken(req.body.token, auditContext(req))
    if (!checked.ok) return { active: false as const }
    const p = checked.principal
    return {
      active: true as const,
      scope: [...p.permissions].join(' '),
      sub: p.account.id,
      username: p.account.email,
      client_id: p.token!.name,
      token_type: 'Bearer' as const,
      ...(p.token!.expiresAt ? { exp: Math.floor(p.token!.expiresAt / 1000) } : {}),
      iat: Math.floor(p.token!.createdAt / 1000),
    }
  })
}
