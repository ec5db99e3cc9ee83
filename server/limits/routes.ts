// A token's limits under /api/console/credentials/:family/:name: read and change them (PATCH), suggest
// an allowlist from recent uses, and dry-run a proposed one. Create takes the same fields.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { credentialParamsSchema } from '../../contract/console.js'
import { errorBodySchema } from '../../contract/errors.js'
import { allowlistSuggestionSchema, dryRunQuerySchema, dryRunResponseSchema, limitsResponseSchema, updateLimitsRequestSchema } from '../../contract/limits.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import type { LimitService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
const base = '/api/console/credentials/:family/:name'

export async function limitRoutes(app: FastifyInstance, opts: { limits: LimitService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { limits } = opts

  r.get(`${base}/limits`, {
    schema: { tags: ['limits'], summary: 'A token\'s allowed addresses, rate limit and start', params: credentialParamsSchema, response: { 200: limitsResponseSchema, ...errors } },
  }, async (req) => limits.get(requirePrincipal(req), req.params.family, req.params.name))

  r.patch(`${base}/limits`, {
    schema: {
      tags: ['limits'], summary: 'Change a token\'s allowed addresses or rate limit (owner or administrator), audited; null removes one',
      params: credentialParamsSchema, body: updateLimitsRequestSchema, response: { 200: limitsResponseSchema, ...errors },
    },
  }, async (req) => limits.update(requirePrincipal(req), req.params.family, req.params.name, req.body, auditContext(req)))

  r.get(`${base}/allowlist_suggestion`, {
    schema: { tags: ['limits'], summary: 'An allowlist from the addresses that used the token in the last 30 days', params: credentialParamsSchema, response: { 200: allowlistSuggestionSchema, ...errors } },
  }, async (req) => limits.suggestion(requirePrincipal(req), req.params.family, req.params.name))

  r.get(`${base}/allowlist_dry_run`, {
    schema: {
      tags: ['limits'], summary: 'Which of the last 30 days\' uses a proposed allowlist would have refused',
      params: credentialParamsSchema, querystring: dryRunQuerySchema, response: { 200: dryRunResponseSchema, ...errors },
    },
  }, async (req) => limits.dryRun(requirePrincipal(req), req.params.family, req.params.name, req.query.cidrs))
}
