// Following and resuming bulk revokes of expired credentials (started by POST …/bulk_revoke/* with
// expired_selector, whose answer carries the job's address in Location).
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  bulkRevokeJobParamsSchema, bulkRevokeJobSchema, bulkRevokeListQuerySchema, bulkRevokeListResponseSchema,
  bulkRevokePreviewQuerySchema, bulkRevokePreviewSchema,
} from '../../contract/bulk-revokes.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { BulkRevokes, toJob } from './service.js'

const families = { api_credentials: 'user', service_credentials: 'service' } as const

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

  r.get('/api/bulk_revokes/preview', {
    schema: {
      tags: ['bulk revoke'], summary: 'What revoking every expired credential would revoke now: count, owners, the first names, who can undo it. '
        + 'Start with expired_selector.expected_count set to this count',
      querystring: bulkRevokePreviewQuerySchema, response: { 200: bulkRevokePreviewSchema, ...errors },
    },
  }, async (req) => jobs.preview(requirePrincipal(req), families[req.query.family], req.query.credential_type))

  r.get('/api/bulk_revokes/preview.csv', {
    schema: { tags: ['bulk revoke'], summary: 'The whole set the preview counts, as CSV (name, type, owner, expiry), streamed', querystring: bulkRevokePreviewQuerySchema },
  }, async (req, reply) => {
    const csv = jobs.previewCsv(requirePrincipal(req), families[req.query.family], req.query.credential_type)
    // Up to the header row here, so a refusal is a normal error answer rather than a broken stream.
    const first = await csv.next()
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="expired-to-revoke-${stamp}.csv"`)
    return reply.send(Readable.from((async function* () {
      if (!first.done) yield first.value
      yield* csv
    })(), { highWaterMark: 1 }))
  })

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
