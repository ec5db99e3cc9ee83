// Following and resuming bulk revokes of expired credentials (started by POST …/bulk_revoke/* with
// expired_selector, whose answer carries the job's address in Location).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  bulkRevokeJobParamsSchema, bulkRevokeJobSchema, bulkRevokeListQuerySchema, bulkRevokeListResponseSchema,
} from '../../contract/bulk-revokes.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { BulkRevokes, toJob } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 503: errorBodySchema }

export async function bulkRevokeRoutes(app: FastifyInstance, opts: { bulkRevokes: BulkRevokes }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const jobs = opts.bulkRevokes
  r.get('/api/bulk_revokes', {
    schema: {
      tags: ['bulk revoke'], summary: 'Bulk revokes of expired credentials, newest first (your own; every one for administrators and auditors)',
      querystring: bulkRevokeListQuerySchema, response: { 200: bulkRevokeListResponseSchema, ...errors },
    },
  }, async (req) => ({ items: await jobs.list(requirePrincipal(req), req.query.limit) }))

  r.get('/api/bulk_revokes/:id', {
    schema: {
      tags: ['bulk revoke'], summary: 'One bulk revoke: its state and progress (revoked of total, batches committed)',
      params: bulkRevokeJobParamsSchema, response: { 200: bulkRevokeJobSchema, ...errors },
    },
  }, async (req) => jobs.get(requirePrincipal(req), req.params.id))

  r.post('/api/bulk_revokes/:id/resume', {
    schema: {
      tags: ['bulk revoke'], summary: 'Resume a failed or interrupted bulk revoke from where it stopped, with its original cutoff; 202 while it runs',
      params: bulkRevokeJobParamsSchema, response: { 202: bulkRevokeJobSchema, 200: bulkRevokeJobSchema, ...errors },
    },
  }, async (req, reply) => {
    const row = await jobs.resume(requirePrincipal(req), req.params.id, auditContext(req))
    const job = toJob(row, Date.now())
    return reply.code(job.state === 'done' ? 200 : 202).header('location', BulkRevokes.location(job.id)).send(job)
  })
}
