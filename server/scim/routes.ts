// The scim_token operations of the F5 XC API as one Fastify plugin.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { createCredentialResponseSchema, getResponseSchema, statusResponseSchema } from '../../contract/credentials.js'
import { recreateScimTokenRequestSchema, scimTokenRequestSchema } from '../../contract/scim.js'
import { errorBodySchema } from '../../contract/errors.js'
import type { Services } from '../app.js'
import type { ValidityBus } from '../services/check-cache.js'
import { invalid } from '../lib/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { ScimTokenService } from './service.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import { SCIM_BASE_PATH } from '../../contract/scim.js'
import { scimV2 } from './v2.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 429: errorBodySchema }
const nsParams = z.strictObject({ namespace: z.string().max(64) })
const tags = ['SCIM token']

function checkNamespace(ns: string, bodyNs?: string) {
  if (ns !== 'system') throw invalid('namespace must be "system"', 'namespace')
  if (bodyNs !== undefined && bodyNs !== ns) throw invalid('namespace in the body must match the path', 'namespace')
}

export async function scimRoutes(app: FastifyInstance, opts: { services: Services; validity: ValidityBus }) {
  const s = opts.services
  const scim = new ScimTokenService(s.db.db, s.secret, s.audit, opts.validity, () => s.policy.current(), s.config.tenant)
  const r = app.withTypeProvider<ZodTypeProvider>()
  // SCIM 2.0 itself, in a context of its own: its content type, error format and authentication.
  await app.register(scimV2, { prefix: SCIM_BASE_PATH, ...opts })

  r.post('/api/web/namespaces/:namespace/scim_token', {
    schema: { tags, summary: 'Create the tenant\'s SCIM token, or replace it (the previous one is revoked); its value is in this response only', params: nsParams, body: recreateScimTokenRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse } },
    config: { recentSignIn: true },
  }, async (req) => {
    checkNamespace(req.params.namespace, req.body.namespace)
    return scim.recreate(requirePrincipal(req), req.body, auditContext(req))
  })
  r.get('/api/web/namespaces/:namespace/scim_token', {
    schema: { tags, summary: 'Status of the tenant\'s SCIM token (never its value)', params: nsParams, response: { 200: getResponseSchema, ...errors } },
  }, async (req) => {
    checkNamespace(req.params.namespace)
    return scim.status(requirePrincipal(req))
  })
  r.post('/api/web/namespaces/:namespace/revoke/scim_token', {
    schema: { tags, summary: 'Revoke the tenant\'s SCIM token', params: nsParams, body: scimTokenRequestSchema, response: { 200: statusResponseSchema, ...errors } },
  }, async (req) => {
    checkNamespace(req.params.namespace, req.body.namespace)
    return scim.revoke(requirePrincipal(req), auditContext(req))
  })
}
