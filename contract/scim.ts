// Requests of the F5 XC scim_token operations: one SCIM token per tenant (create or replace, status, revoke).
import { z } from 'zod'
import { expirationDaysSchema, namespaceSchema } from './credentials.js'

export const recreateScimTokenRequestSchema = z.strictObject({
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
})
export type RecreateScimTokenRequest = z.infer<typeof recreateScimTokenRequestSchema>

export const scimTokenRequestSchema = z.strictObject({ namespace: namespaceSchema.optional() })

/** Where the SCIM 2.0 service (RFC 7644) answers, under the console's origin; the SCIM token is its only credential. */
export const SCIM_BASE_PATH = '/scim/v2'
