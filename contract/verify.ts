// Token checks for other services: RFC 7662 introspection and a gateway auth_request endpoint.
import { z } from 'zod'
import { errorBodySchema } from './errors.js'

export const introspectRequestSchema = z.object({
  token: z.string().max(512),
  token_type_hint: z.string().max(64).optional(),
  /** client_secret_post (RFC 6749 section 2.3.1): the service credential's name and its token. */
  client_id: z.string().max(128).optional(),
  client_secret: z.string().max(512).optional(),
})

/** RFC 8414 authorization server metadata, as far as this server is one: an introspection endpoint. */
export const authorizationServerMetadataSchema = z.object({
  issuer: z.string(),
  introspection_endpoint: z.string(),
  introspection_endpoint_auth_methods_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  grant_types_supported: z.array(z.string()),
  service_documentation: z.string(),
})

export const introspectResponseSchema = z.union([
  z.strictObject({ active: z.literal(false) }),
  z.object({
    active: z.literal(true),
    scope: z.string(),
    sub: z.string(),
    username: z.string(),
    client_id: z.string(),
    token_type: z.literal('Bearer'),
    exp: z.number().int().optional(),
    iat: z.number().int(),
  }),
])
export type IntrospectResponse = z.infer<typeof introspectResponseSchema>


/**
 * The introspection endpoint's 401 and 403: the OAuth error body (RFC 6749 section 5.2, RFC 6750
 * section 3.1) its clients read, alongside the API's own error envelope.
 */
export const introspectErrorSchema = errorBodySchema.extend({
  error: z.enum(['invalid_request', 'invalid_token', 'invalid_client', 'insufficient_scope']),
  error_description: z.string(),
})
