import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  changePasswordRequestSchema, loginRequestSchema, reauthenticateRequestSchema, reauthenticateResponseSchema, sessionResponseSchema,
} from '../../contract/auth.js'
import { errorBodySchema } from '../../contract/errors.js'
import { ApiError } from '../lib/errors.js'
import { auditContext, originAllowed, requirePrincipal } from '../plugins/auth.js'
import type { Services } from '../app.js'
import { SESSION_COOKIE } from '../services/sessions.js'

export function authRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: 'auto' as const }

  r.post('/api/auth/login', {
    config: { auth: 'none' },
    schema: {
      tags: ['auth'], summary: 'Sign in to the console; 429 with Retry-After after 10 failures for one account from one address',
      body: loginRequestSchema,
      response: { 200: sessionResponseSchema, 401: errorBodySchema, 403: errorBodySchema, 429: errorBodySchema },
    },
  }, async (req, reply) => {
    // Refuses login CSRF: a browser on another site always sends its own Origin.
    if (req.headers.origin && !originAllowed(req, s.config.trustedOrigins)) {
      throw new ApiError('PERMISSION_DENIED', 'Cross-origin request refused')
    }
    const { session, account } = await s.identity.login(req.body.email, req.body.password, auditContext(req), req.server.passwordSignInAllowed)
    reply.setCookie(SESSION_COOKIE, session.id, { ...cookieOpts, maxAge: Math.floor(s.config.sessionAbsoluteHours * 3600) })
    const idHash = session.idHash
    return {
      user: { id: account.id, email: account.email, name: account.name, role: account.role, kind: account.kind },
      csrf_token: s.sessions.csrfTokenFor(idHash),
      expires_at: new Date(session.expiresAt).toISOString(),
    }
  })

  r.get('/api/auth/session', {
    schema: { tags: ['auth'], summary: 'The signed-in console session', response: { 200: sessionResponseSchema } },
  }, async (req) => {
    const p = requirePrincipal(req)
    if (p.via !== 'session') throw new ApiError('UNAUTHENTICATED', 'No console session; sign in')
    return {
      user: { id: p.account.id, email: p.account.email, name: p.account.name, role: p.account.role, kind: p.account.kind },
      csrf_token: s.sessions.csrfTokenFor(p.sessionIdHash!),
      expires_at: new Date(req.sessionExpiresAt!).toISOString(),
    }
  })

  r.post('/api/auth/password', {
    schema: { tags: ['auth'], summary: 'Change my password; my other sessions end', body: changePasswordRequestSchema, response: { 200: z.object({ status: z.boolean() }) } },
  }, async (req) => {
    const p = requirePrincipal(req)
    if (p.via !== 'session') throw new ApiError('PERMISSION_DENIED', 'Change a password from a console session, not with a token')
    await s.identity.changePassword(p, req.body.current_password, req.body.new_password, auditContext(req))
    return { status: true }
  })

  r.post('/api/auth/reauthenticate', {
    schema: {
      tags: ['auth'],
      summary: 'Confirm my password: creating, renewing and rotating credentials count the policy\'s reauth window from now; a wrong password counts toward the sign-in brake (429 with Retry-After)',
      body: reauthenticateRequestSchema,
      response: { 200: reauthenticateResponseSchema, 401: errorBodySchema, 403: errorBodySchema, 429: errorBodySchema },
    },
  }, async (req) => {
    const p = requirePrincipal(req)
    if (p.via !== 'session') throw new ApiError('PERMISSION_DENIED', 'Re-authenticate from a console session; a token has no password')
    const at = await s.identity.reauthenticate(p, req.body.password, auditContext(req), req.server.passwordSignInAllowed)
    return { authenticated_at: new Date(at).toISOString() }
  })

  r.post('/api/auth/logout', {
    schema: { tags: ['auth'], summary: 'End the console session', response: { 200: z.object({ status: z.boolean() }) } },
  }, async (req, reply) => {
    const p = req.principal
    if (p?.via === 'session') {
      await s.sessions.destroy(p.sessionIdHash!)
      await s.audit.record(auditContext(req), {
        action: 'logout', actor: { id: p.account.id, email: p.account.email, type: 'user' }, targetType: 'session', outcome: 'success',
      })
    }
    reply.clearCookie(SESSION_COOKIE, cookieOpts)
    return { status: true }
  })
}
