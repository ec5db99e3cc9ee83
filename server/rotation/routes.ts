// POST …/rotate/{api,service}_credentials and the rotation status of one token, as one Fastify plugin.
// 409 on rotate: the token is in a running overlap (or was rotated to a successor already).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { createCredentialResponseSchema, credentialNameSchema } from '../../contract/credentials.js'
import { rotateRequestSchema, rotationStatusSchema } from '../../contract/rotation.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { CredentialService } from '../services/credentials.js'
import type { Family } from '../db/credentials-repo.js'
import type { RotationService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 429: errorBodySchema }
const families: Array<[Family, 'api_credentials' | 'service_credentials']> = [['user', 'api_credentials'], ['service', 'service_credentials']]

export async function rotationRoutes(app: FastifyInstance, opts: { credentials: CredentialService; rotation: RotationService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  for (const [family, res] of families) {
    r.post(`/api/web/namespaces/system/rotate/${res}`, {
      schema: {
        tags: ['rotation'], summary: 'Rotate: a new secret for the same credential (or, with new_name, a successor), its value in this response only; the previous secret stays valid for overlap_seconds',
        body: rotateRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse },
      },
      config: { recentSignIn: true },
    }, async (req) => opts.credentials.rotate(requirePrincipal(req), family, req.body, auditContext(req)))

    r.get(`/api/rotation/${res}/:name`, {
      schema: {
        tags: ['rotation'], summary: 'Rotation status: overlap, and per caller of the last 30 days whether it uses the new secret (or successor)',
        params: z.strictObject({ name: credentialNameSchema }), response: { 200: rotationStatusSchema, ...errors },
      },
    }, async (req) => opts.rotation.status(requirePrincipal(req), family, req.params.name))
  }
}
