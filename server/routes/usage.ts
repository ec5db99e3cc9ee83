import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { credentialNameParamsSchema } from '../../contract/credentials.js'
import { errorBodySchema } from '../../contract/errors.js'
import { usageResponseSchema } from '../../contract/usage.js'
import { requirePrincipal } from '../plugins/auth.js'
import { requirePermission } from '../services/principal.js'
import { readUsage } from '../services/usage-query.js'
import type { Family } from '../db/credentials-repo.js'
import type { Services } from '../app.js'

export function usageRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  for (const [family, res] of [['user', 'api_credentials'], ['service', 'service_credentials']] as Array<[Family, string]>) {
    r.get(`/api/web/namespaces/system/${res}/:name/usage`, {
      schema: {
        tags: ['usage'], summary: 'Daily uses over 90 days, sources seen, and idle flags',
        params: credentialNameParamsSchema, response: { 200: usageResponseSchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema },
      },
    }, async (req) => {
      const p = requirePrincipal(req)
      requirePermission(p, family === 'user' ? 'credentials:read' : 'service_credentials:read')
      // Uses gathered in memory are written first, so the figures are exact.
      await s.usage.flush()
      const row = await s.credentials.visible(p, family, req.params.name)
      return readUsage(s.db.db, row)
    })
  }
}
