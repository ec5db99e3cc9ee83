// GET|PUT /api/policy and POST /api/policy/dry_run, registered as one Fastify plugin.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { dryRunRequestSchema, dryRunResponseSchema, policySchema, policyUpdateResponseSchema, policyUpdateSchema } from '../../contract/policy.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { PolicyService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }

export async function policyRoutes(app: FastifyInstance, opts: { policy: PolicyService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { policy } = opts

  r.get('/api/policy', {
    schema: { tags: ['policy'], summary: 'The tenant policy in force', response: { 200: policySchema, ...errors } },
  }, async (req) => (requirePrincipal(req), policy.get()))

  r.put('/api/policy', {
    schema: {
      tags: ['policy'], summary: 'Change the policy (administrators), for new tokens only or existing ones too from a date',
      body: policyUpdateSchema, response: { 200: policyUpdateResponseSchema, ...errors, 401: reauthErrorResponse },
    },
    // Switching the window off is itself gated: the check reads the window in force before the change.
    config: { recentSignIn: true },
  }, async (req) => policy.update(requirePrincipal(req), req.body, auditContext(req)))

  r.post('/api/policy/dry_run', {
    schema: {
      tags: ['policy'], summary: 'Every existing token a proposed policy would change, and how (administrators)',
      body: dryRunRequestSchema, response: { 200: dryRunResponseSchema, ...errors },
    },
  }, async (req) => policy.dryRun(requirePrincipal(req), req.body.settings, req.body.effective_from))
}
