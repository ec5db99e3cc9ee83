// Console-only endpoints (server/console): description edits, test-a-token, name availability,
// who created a credential, and token-check counters as /metrics reports them.
import { z } from 'zod'
import { credentialNameSchema } from './credentials.js'

export const consoleFamilySchema = z.enum(['api_credentials', 'service_credentials'])
export type ConsoleFamily = z.infer<typeof consoleFamilySchema>

export const descriptionSchema = z.string().max(1024, { message: 'Description must be at most 1024 characters' })
export const DESCRIPTION_MAX = 1024

export const updateDescriptionRequestSchema = z.strictObject({ description: descriptionSchema })
export type UpdateDescriptionRequest = z.infer<typeof updateDescriptionRequestSchema>

export const credentialParamsSchema = z.strictObject({ family: consoleFamilySchema, name: z.string().min(1).max(128) })

export const creditsResponseSchema = z.object({
  description: z.string(),
  created_by: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
})
export type CreditsResponse = z.infer<typeof creditsResponseSchema>

/** The token goes in the body, never the URL; the answer never carries it back. */
export const testTokenRequestSchema = z.strictObject({ token: z.string().min(1).max(512) })
export const testTokenResponseSchema = z.discriminatedUnion('valid', [
  z.object({
    valid: z.literal(true),
    token: z.object({
      name: z.string(),
      type: z.string(),
      family: consoleFamilySchema,
      scope: z.string(),
      expiry_timestamp: z.string().nullable(),
    }),
    owner: z.object({ email: z.string(), name: z.string(), kind: z.enum(['user', 'service']) }),
    yours: z.boolean(),
  }),
  // A test records no use, so the address and the quota are not checked: of the limits only not_yet_valid can answer here.
  z.object({ valid: z.literal(false), reason: z.enum(['malformed', 'unknown', 'expired', 'revoked', 'disabled', 'not_yet_valid', 'address_not_allowed', 'rate_limited']) }),
])
export type TestTokenResponse = z.infer<typeof testTokenResponseSchema>

export const nameAvailableQuerySchema = z.strictObject({ name: credentialNameSchema })
export const nameAvailableResponseSchema = z.object({ available: z.boolean() })

export const checkOutcomeSchema = z.enum(['valid', 'malformed', 'unknown', 'expired', 'revoked', 'disabled'])
export const checkCountersResponseSchema = z.object({
  since: z.string(),
  /** tc_token_validations_total by outcome, read from the same counter /metrics exposes. */
  outcomes: z.record(checkOutcomeSchema, z.number().int()),
})
export type CheckCounters = z.infer<typeof checkCountersResponseSchema>

export const inventoryExportColumns = [
  'name', 'type', 'owner_email', 'owner_kind', 'status', 'scope', 'created', 'last_used', 'expires', 'description',
] as const
