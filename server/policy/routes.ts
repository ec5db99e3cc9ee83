// GET|PUT /api/policy and POST /api/policy/dry_run, registered as one Fastify plugin.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { dryRunRequestSchema, dryRunResponseSchema, policySchema, policyUpdateResponseSchema, policyUpdateSchema } from '../../contract/policy.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { PolicyService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }
const stale = errorBodySchema.describe('Precondition Failed: If-Match names a version of the policy that is no longer stored (another administrator changed it); details [{ field: "If-Match", reason: "etag_mismatch" }]. Read it again (GET /api/policy, its ETag) and reapply the change')

export async function policyRoutes(app: FastifyInstance, opts: { policy: PolicyService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { policy } = opts

  r.get('/api/policy', {
    schema: {
      tags: ['policy'], summary: 'The tenant policy in force',
      description: 'The ETag header is the policy\'s version (a strong entity tag): send it back in If-Match with PUT to change the policy only if no one has since.',
      response: { 200: policySchema, ...errors },
    },
  }, async (req, reply) => {
    requirePrincipal(req)
    const { policy: current, etag } = await policy.read()
    reply.header('etag', etag)
    return current
  })

  r.put('/api/policy', {
    schema: {
      tags: ['policy'], summary: 'Change the policy (administrators), for new tokens only or existing ones too from a date',
      description: 'With If-Match (the ETag of GET /api/policy, or *), the change is made only while that version is the one stored; otherwise 412 and nothing changes. Without it, the change is made whatever was stored. The answer\'s ETag is the new version.',
      body: policyUpdateSchema, response: { 200: policyUpdateResponseSchema, ...errors, 401: reauthErrorResponse, 412: stale },
    },
    // Switching the window off is itself gated: the check reads the window in force before the change.
    config: { recentSignIn: true },
  }, async (req, reply) => {
    const { etag, ...res } = await policy.update(requirePrincipal(req), req.body, auditContext(req), req.headers['if-match'])
    reply.header('etag', etag)
    return res
  })

  r.post('/api/policy/dry_run', {
    schema: {
      tags: ['policy'], summary: 'Every existing token a proposed policy would change, and how (administrators)',
      body: dryRunRequestSchema, response: { 200: dryRunResponseSchema, ...errors },
    },
  }, async (req) => policy.dryRun(requirePrincipal(req), req.body.settings, req.body.effective_from))
}
