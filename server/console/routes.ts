// Console-only endpoints, registered by server/app.ts with consoleRoutes(app, services).
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  checkCountersResponseSchema, credentialParamsSchema, creditsResponseSchema, nameAvailableQuerySchema, nameAvailableResponseSchema,
  testTokenRequestSchema, testTokenResponseSchema, updateDescriptionRequestSchema,
} from '../../contract/console.js'
import { sessionResponseSchema } from '../../contract/auth.js'
import { leakTimelineResponseSchema } from '../../contract/leaks.js'
import { inventoryQuerySchema } from '../../contract/credentials.js'
import { z } from 'zod'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import type { Services } from '../app.js'
import { ConsoleService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }

export function consoleRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const svc = new ConsoleService(s)

  // The console's first question on every load: 200 either way, so a signed-out visit to the sign-in
  // page logs no failed request (/api/auth/session answers 401 for API clients).
  r.get('/api/console/session', {
    schema: { tags: ['console'], summary: 'The console session, or null when signed out', response: { 200: z.object({ session: sessionResponseSchema.nullable() }) } },
  }, async (req) => {
    const p = req.principal
    if (!p || p.via !== 'session') return { session: null }
    const method = await s.db.db.selectFrom('sessions').select('sign_in_method').where('id_hash', '=', p.sessionIdHash!).executeTakeFirst()
    return {
      session: {
        user: { id: p.account.id, email: p.account.email, name: p.account.name, role: p.account.role, kind: p.account.kind },
        csrf_token: s.sessions.csrfTokenFor(p.sessionIdHash!),
        expires_at: new Date(req.sessionExpiresAt!).toISOString(),
        credential_types: svc.credentialTypes(),
        signed_in_with: method?.sign_in_method === 'sso' ? 'sso' as const : 'password' as const,
      },
    }
  })

  r.get('/api/inventory/export.csv', {
    schema: { tags: ['inventory'], summary: 'The filtered inventory as CSV, streamed', querystring: inventoryQuerySchema },
  }, async (req, reply) => {
    const p = requirePrincipal(req)
    const { cursor: _c, limit: _l, ...filter } = req.query
    const csv = svc.inventoryCsv(p, filter)
    // Run up to the first chunk here, so a refusal is a normal error answer rather than a broken stream.
    const first = await csv.next()
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="token-inventory-${stamp}.csv"`)
    return reply.send(Readable.from((async function* () {
      if (!first.done) yield first.value
      yield* csv
    })(), { highWaterMark: 1 }))
  })

  r.get('/api/console/credentials/:family/:name', {
    schema: { tags: ['console'], summary: 'Who created a credential, and its description', params: credentialParamsSchema, response: { 200: creditsResponseSchema, ...errors } },
  }, async (req) => svc.credits(requirePrincipal(req), req.params.family, req.params.name))

  r.patch('/api/console/credentials/:family/:name', {
    schema: { tags: ['console'], summary: 'Change a credential\'s description (owner or administrator), audited', params: credentialParamsSchema, body: updateDescriptionRequestSchema, response: { 200: updateDescriptionRequestSchema, ...errors } },
  }, async (req) => svc.updateDescription(requirePrincipal(req), req.params.family, req.params.name, req.body.description, auditContext(req)))

  r.get('/api/console/credentials/:family/:name/leak_timeline', {
    schema: { tags: ['console'], summary: 'A leaked credential\'s timeline: last use before the report, the report, the revoke, refused uses since', params: credentialParamsSchema, response: { 200: leakTimelineResponseSchema, ...errors } },
  }, async (req) => svc.leakTimeline(requirePrincipal(req), req.params.family, req.params.name))

  r.post('/api/console/test-token', {
    schema: { tags: ['console'], summary: 'Whose token this is; does not count as a use of it', body: testTokenRequestSchema, response: { 200: testTokenResponseSchema, ...errors } },
  }, async (req) => svc.testToken(requirePrincipal(req), req.body.token, auditContext(req)))

  r.get('/api/console/name-available', {
    schema: { tags: ['console'], summary: 'Whether a credential name is free', querystring: nameAvailableQuerySchema, response: { 200: nameAvailableResponseSchema, ...errors } },
  }, async (req) => svc.nameAvailable(requirePrincipal(req), req.query.name))

  r.get('/api/console/checks', {
    schema: { tags: ['console'], summary: 'Token checks by outcome since this instance started, as /metrics counts them', response: { 200: checkCountersResponseSchema, ...errors } },
  }, async (req) => svc.checkCounters(requirePrincipal(req)))
}
