// GET /api/inventory/removed: tombstones of removed credentials, registered as one Fastify plugin.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { removedListQuerySchema, removedListResponseSchema } from '../../contract/lifecycle.js'
import { errorBodySchema } from '../../contract/errors.js'
import { requirePrincipal } from '../plugins/auth.js'
import type { LifecycleService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }

export async function lifecycleRoutes(app: FastifyInstance, opts: { lifecycle: LifecycleService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  r.get('/api/inventory/removed', {
    schema: {
      tags: ['inventory'], summary: 'Removed credentials (unused for two years, or their owner deleted): tombstones, newest first',
      querystring: removedListQuerySchema, response: { 200: removedListResponseSchema, ...errors },
    },
  }, async (req) => opts.lifecycle.removed(requirePrincipal(req), req.query))
}
