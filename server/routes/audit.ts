// The audit log: admins and auditors read all of it; everyone else only the events about themselves.
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { auditListResponseSchema, auditQuerySchema, auditVerifyResponseSchema } from '../../contract/audit.js'
import { errorBodySchema } from '../../contract/errors.js'
import { requirePrincipal } from '../plugins/auth.js'
import { requirePermission } from '../services/principal.js'
import { auditCsv, listAudit, verifyChain } from '../services/audit-query.js'
import type { Services } from '../app.js'

export function auditRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()

  r.get('/api/audit', {
    schema: { tags: ['audit'], summary: 'Audit events, newest first, filtered', querystring: auditQuerySchema, response: { 200: auditListResponseSchema, 400: errorBodySchema, 401: errorBodySchema } },
  }, async (req) => listAudit(s.db.db, requirePrincipal(req), req.query))

  r.get('/api/audit/export.csv', {
    schema: { tags: ['audit'], summary: 'The filtered audit log as CSV, streamed', querystring: auditQuerySchema },
  }, async (req, reply) => {
    const p = requirePrincipal(req)
    const { cursor: _c, limit: _l, ...filter } = req.query
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-log-${stamp}.csv"`)
    // One slice read ahead of the socket: memory stays flat however long the export and however slow the reader.
    return reply.send(Readable.from(auditCsv(s.db.db, s.pressure, p, filter), { highWaterMark: 1 }))
  })

  r.get('/api/audit/verify', {
    schema: { tags: ['audit'], summary: 'Recompute the hash chain and report where it breaks', response: { 200: auditVerifyResponseSchema, 401: errorBodySchema, 403: errorBodySchema } },
  }, async (req) => {
    requirePermission(requirePrincipal(req), 'audit:read')
    return verifyChain(s.db.db, s.pressure)
  })
}
