// POST /api/web/namespaces/system/report_leak: authenticated by its HMAC signature, not a session.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { leakReportResponseSchema, leakReportSchema } from '../../contract/leaks.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext } from '../plugins/auth.js'
import { invalid } from '../lib/errors.js'
import type { LeakService } from './service.js'

export async function leakRoutes(app: FastifyInstance, opts: { leaks: LeakService }) {
  // The signature covers the exact bytes sent, so this plugin keeps the raw JSON text (its own scope only).
  const raw = new WeakMap<FastifyRequest, string>()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    raw.set(req, body as string)
    try { done(null, JSON.parse(body as string)) } catch { done(invalid('The body is not valid JSON'), undefined) }
  })
  const header = (req: FastifyRequest, name: string) => {
    const v = req.headers[name]
    return typeof v === 'string' ? v : undefined
  }
  app.withTypeProvider<ZodTypeProvider>().post('/api/web/namespaces/system/report_leak', {
    config: { auth: 'none' },
    // Checked before the body is validated: an unsigned request learns nothing about the format.
    preValidation: async (req) => {
      opts.leaks.verify(header(req, 'x-leak-report-timestamp'), header(req, 'x-leak-report-signature'), raw.get(req) ?? '')
    },
    schema: {
      tags: ['leaks'], summary: 'A secret scanner reports tokens found in public: live ones are revoked at once and marked leaked',
      body: leakReportSchema, response: { 200: leakReportResponseSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema },
    },
  }, async (req) => opts.leaks.report(req.body, header(req, 'x-leak-report-signature')!, auditContext(req)))
}
