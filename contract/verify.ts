// Token checks for other services: RFC 7662 introspection and a gateway auth_request endpoint.
import { z } from 'zod'

export const introspectRequestSchema = z.object({
  token: z.string().max(512),
  token_type_hint: z.string().max(64).optional(),
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

