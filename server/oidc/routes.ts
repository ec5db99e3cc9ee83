// Single sign-on routes, registered as one plugin: the public status the sign-in page reads, the
// redirect to the provider and its callback, and the administrators' settings (GET, PUT, a discovery test).
// It also tells the password routes whether a person's role may still sign in with a password.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorBodySchema } from '../../contract/errors.js'
import {
  oidcDiscoveryTestRequestSchema, oidcDiscoveryTestResponseSchema, oidcSettingsResponseSchema, oidcSettingsUpdateSchema, oidcStatusSchema,
} from '../../contract/identity.js'
import type { Role } from '../../contract/users.js'
import { ApiError } from '../lib/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import { SESSION_COOKIE } from '../services/sessions.js'
import { LOGIN_TTL_MS, safeReturnPath, type OidcService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** server/oidc: false when the settings keep passwords for administrators only and the role is not admin. */
    passwordSignInAllowed?: (role: Role) => Promise<boolean>
  }
}

const LOGIN_COOKIE = 'tc_oidc'
const LOGIN_COOKIE_PATH = '/api/auth/oidc'
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }

const originOf = (req: FastifyRequest) => `${req.protocol}://${req.headers.host}`

export default fp(async function oidcRoutes(app: FastifyInstance, opts: { oidc: OidcService; sessionMaxAgeSeconds: number }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { oidc } = opts
  app.decorate('passwordSignInAllowed', (role: Role) => oidc.passwordSignInAllowed(role))
  app.addHook('onReady', async () => oidc.warmUp())

  // The callback arrives as a top-level navigation from the provider's site: a Strict cookie would not
  // come with it, so this one is Lax (sent on top-level GETs only), HttpOnly and scoped to these routes.
  const loginCookie = { path: LOGIN_COOKIE_PATH, httpOnly: true, sameSite: 'lax' as const, secure: 'auto' as const }
  const sessionCookie = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: 'auto' as const }

  r.get('/api/auth/oidc/status', {
    config: { auth: 'none' },
    schema: { tags: ['auth'], summary: 'Whether single sign-on is set up (and its provider reached), for the sign-in page', response: { 200: oidcStatusSchema } },
  }, async () => oidc.status())

  r.get('/api/auth/oidc/start', {
    schema: {
      tags: ['auth'],
      summary: 'Redirect to the identity provider to sign in; with reauth=1, a signed-in console session confirms its sign-in there (prompt=login, max_age=0)',
      querystring: z.object({
        return_to: z.string().max(2000).optional(),
        reauth: z.enum(['0', '1']).optional(),
      }),
      response: { 302: z.null().describe('To the provider\'s authorization endpoint'), ...errors, 412: errorBodySchema, 503: errorBodySchema },
    },
  }, async (req, reply) => {
    let reauth: { sessionIdHash: string; userId: string } | null = null
    if (req.query.reauth === '1') {
      const p = requirePrincipal(req)
      if (p.via !== 'session' || !p.sessionIdHash) throw new ApiError('PERMISSION_DENIED', 'Re-authenticate from a console session')
      reauth = { sessionIdHash: p.sessionIdHash, userId: p.account.id }
    }
    let started: { cookie: string; url: string }
    try {
      started = await oidc.start(originOf(req), req.query.return_to ?? '/tokens', reauth)
    } catch (err) {
      // A browser following the sign-in page's link gets the page back with the reason; API clients get the error.
      const code = err instanceof ApiError && err.codeName === 'UNAVAILABLE' ? 'unavailable' : err instanceof ApiError && err.codeName === 'FAILED_PRECONDITION' ? 'not_configured' : null
      if (!code || !String(req.headers.accept ?? '').includes('text/html')) throw err
      const back = reauth ? safeReturnPath(req.query.return_to) : '/sign-in'
      return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}sso_error=${code}`, 302)
    }
    const { cookie, url } = started
    reply.setCookie(LOGIN_COOKIE, cookie, { ...loginCookie, maxAge: LOGIN_TTL_MS / 1000 })
    return reply.redirect(url, 302)
  })

  r.get('/api/auth/oidc/callback', {
    config: { auth: 'none' },
    schema: {
      tags: ['auth'], summary: 'Where the identity provider returns: signs in (or confirms the sign-in) and redirects to the console; a refusal goes to /sign-in?sso_error=<code>',
      response: { 302: z.null().describe('To the console page the sign-in started from, or to the sign-in page with sso_error') },
    },
  }, async (req, reply) => {
    const raw = req.raw.url ?? ''
    const query = raw.includes('?') ? raw.slice(raw.indexOf('?')) : ''
    const outcome = await oidc.callback(req.cookies[LOGIN_COOKIE], query, auditContext(req))
    reply.clearCookie(LOGIN_COOKIE, loginCookie)
    if (!outcome.ok) {
      // A refused re-authentication returns to its page (the session still stands); a sign-in to the sign-in page.
      const to = outcome.returnTo
        ? `${outcome.returnTo}${outcome.returnTo.includes('?') ? '&' : '?'}sso_error=${outcome.code}`
        : `/sign-in?sso_error=${outcome.code}`
      return reply.redirect(to, 302)
    }
    if (outcome.kind === 'signed_in') {
      reply.setCookie(SESSION_COOKIE, outcome.session.id, { ...sessionCookie, maxAge: opts.sessionMaxAgeSeconds })
    }
    return reply.redirect(outcome.returnTo, 302)
  })

  r.get('/api/identity/oidc', {
    schema: { tags: ['identity'], summary: 'Single sign-on settings (administrators); the client secret is never returned', response: { 200: oidcSettingsResponseSchema, ...errors } },
  }, async (req) => oidc.read(requirePrincipal(req), originOf(req)))

  r.put('/api/identity/oidc', {
    config: { recentSignIn: true },
    schema: {
      tags: ['identity'], summary: 'Change the single sign-on settings (administrators); client_secret is write-only',
      body: oidcSettingsUpdateSchema, response: { 200: oidcSettingsResponseSchema, ...errors, 401: reauthErrorResponse },
    },
  }, async (req) => oidc.update(requirePrincipal(req), req.body, originOf(req), auditContext(req)))

  r.post('/api/identity/oidc/test', {
    schema: {
      tags: ['identity'], summary: 'Read an issuer\'s discovery document and say whether it works (administrators)',
      body: oidcDiscoveryTestRequestSchema, response: { 200: oidcDiscoveryTestResponseSchema, ...errors },
    },
  }, async (req) => oidc.testDiscovery(requirePrincipal(req), req.body.issuer))
})
