import { z } from 'zod'
import { roleSchema, accountKindSchema, passwordSchema } from './users.js'

export const loginRequestSchema = z.strictObject({
  email: z.string().trim().min(1, { message: 'Email is required' }).max(254),
  password: z.string().min(1, { message: 'Password is required' }).max(256),
})
export type LoginRequest = z.infer<typeof loginRequestSchema>

export const sessionUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  kind: accountKindSchema,
})
export type SessionUser = z.infer<typeof sessionUserSchema>

/** The personal credential types this server can issue: the console offers only these. */
export const consoleCredentialTypeSchema = z.enum(['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG'])
export type ConsoleCredentialType = z.infer<typeof consoleCredentialTypeSchema>

export const sessionResponseSchema = z.object({
  user: sessionUserSchema,
  csrf_token: z.string(),
  expires_at: z.string(),
  /** Absent from older servers and from the sign-in answer: the console then offers API tokens only. */
  credential_types: z.array(consoleCredentialTypeSchema).optional(),
  /** How this session signed in: 'sso' re-authenticates at the identity provider, not with a password. Absent: a password. */
  signed_in_with: z.enum(['password', 'sso']).optional(),
})
export type SessionResponse = z.infer<typeof sessionResponseSchema>

export const changePasswordRequestSchema = z
  .strictObject({
    current_password: z.string().min(1, { message: 'Enter your current password' }).max(256),
    new_password: passwordSchema,
  })
  .refine((v) => v.current_password !== v.new_password, { message: 'Choose a password different from the current one', path: ['new_password'] })
export type ChangePasswordRequest = z.infer<typeof changePasswordRequestSchema>

/** POST /api/auth/reauthenticate: the signed-in person confirms their password. */
export const reauthenticateRequestSchema = z.strictObject({
  password: z.string().min(1, { message: 'Enter your password' }).max(256),
})
export type ReauthenticateRequest = z.infer<typeof reauthenticateRequestSchema>

export const reauthenticateResponseSchema = z.object({
  /** When the password was confirmed; creating, renewing and rotating count their window from it. */
  authenticated_at: z.string(),
})

/**
 * The reason in the details of the 401 that create, renew and rotate answer a console session whose
 * last sign-in is older than the policy's reauth_window_minutes; the console asks for the password.
 */
export { REAUTHENTICATION_REQUIRED } from './reasons.js'
