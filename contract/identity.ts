// Single sign-on (OpenID Connect) settings, shared by the API (server/oidc) and the console's Identity page.
import { z } from 'zod'
import { roleSchema } from './users.js'

const httpUrl = z.string().trim().max(500).refine((v) => {
  try {
    const u = new URL(v)
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash && !u.username && !u.password
  } catch {
    return false
  }
}, { message: 'Enter the issuer URL, e.g. https://login.example.com/realms/acme' })

export const oidcSettingsSchema = z.object({
  /** The provider's issuer URL; discovery reads {issuer}/.well-known/openid-configuration. null: single sign-on is off. */
  issuer: httpUrl.nullable(),
  client_id: z.string().trim().max(255).nullable(),
  /** Whether a client secret is stored; the secret itself is never returned. */
  client_secret_set: z.boolean(),
  /** The ID token claim whose value (a string or an array of strings) maps to a role, e.g. groups. */
  role_claim: z.string().trim().min(1, { message: 'Name the claim' }).max(100),
  /** A value of role_claim → the role it gives; the strongest match wins (admin, then auditor, then developer). */
  role_map: z.record(z.string().min(1).max(200), roleSchema),
  /** A first sign-in creates the person (just-in-time); off: only people who already exist may sign in. */
  jit: z.boolean(),
  /** The role of a person created just in time when no value of their role claim maps to one. */
  default_role: roleSchema,
  /** Off: only administrators may still sign in with a password (a break-glass); everyone else uses single sign-on. */
  passwords_for_non_admins: z.boolean(),
})
export type OidcSettings = z.infer<typeof oidcSettingsSchema>

export const oidcSettingsResponseSchema = z.object({
  settings: oidcSettingsSchema,
  /** 'environment': nothing saved yet, the values come from OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET. */
  source: z.enum(['environment', 'stored']),
  updated_at: z.string().nullable(),
  updated_by: z.string().nullable(),
  /** The console's redirect URI to register with the provider. */
  redirect_uri: z.string(),
})
export type OidcSettingsResponse = z.infer<typeof oidcSettingsResponseSchema>

export const oidcSettingsUpdateSchema = z.strictObject({
  issuer: httpUrl.nullable(),
  client_id: z.string().trim().max(255).nullable(),
  /** Write-only: a new secret; omitted keeps the stored one; null removes it (a public client using PKCE alone). */
  client_secret: z.string().min(1).max(1000).nullable().optional(),
  role_claim: oidcSettingsSchema.shape.role_claim,
  role_map: z.record(z.string().trim().min(1, { message: 'Enter the claim value' }).max(200), roleSchema)
    .refine((m) => Object.keys(m).length <= 100, { message: 'At most 100 mappings' }),
  jit: z.boolean(),
  default_role: roleSchema,
  passwords_for_non_admins: z.boolean(),
}).refine((v) => (v.issuer === null) === (v.client_id === null || v.client_id === ''), {
  message: 'Set both the issuer and the client id, or neither', path: ['client_id'],
})
export type OidcSettingsUpdate = z.infer<typeof oidcSettingsUpdateSchema>

export const oidcDiscoveryTestRequestSchema = z.strictObject({ issuer: httpUrl })
export const oidcDiscoveryTestResponseSchema = z.object({
  ok: z.boolean(),
  /** On success, the issuer and endpoints the provider advertises; on failure, what went wrong. */
  issuer: z.string().optional(),
  authorization_endpoint: z.string().optional(),
  token_endpoint: z.string().optional(),
  code_challenge_methods: z.array(z.string()).optional(),
  error: z.string().optional(),
})
export type OidcDiscoveryTestResponse = z.infer<typeof oidcDiscoveryTestResponseSchema>

/** GET /api/auth/oidc/status: public, so the sign-in page knows whether to offer single sign-on. */
export const oidcStatusSchema = z.object({
  configured: z.boolean(),
  /** null: not tried yet; false: the last discovery failed (sign-in tries again). */
  reachable: z.boolean().nullable(),
  passwords_for_non_admins: z.boolean(),
})
export type OidcStatus = z.infer<typeof oidcStatusSchema>

/** The codes the callback puts in /sign-in?sso_error=…, and what the sign-in page says for each. */
export const ssoErrorMessages = {
  not_configured: 'Single sign-on is not set up for this console.',
  unavailable: 'The identity provider could not be reached. Try again in a moment.',
  expired: 'That sign-in took too long or was already used. Start again.',
  invalid_response: 'The identity provider\'s answer could not be verified. Start again.',
  denied: 'The identity provider did not sign you in.',
  email_unverified: 'Your identity provider has not verified your email address, so it cannot sign you in here.',
  no_account: 'There is no account for you here yet. Ask an administrator to add you.',
  disabled: 'Your account is disabled. Ask an administrator.',
  stale_authentication: 'The identity provider did not ask for your sign-in again. Try again.',
  different_person: 'You confirmed as a different person than the one signed in here.',
} as const
export type SsoErrorCode = keyof typeof ssoErrorMessages
