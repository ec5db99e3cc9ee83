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
})
export type SessionResponse = z.infer<typeof sessionResponseSchema>

export const changePasswordRequestSchema = z
  .strictObject({
    current_password: z.string().min(1, { message: 'Enter your current password' }).max(256),
    new_password: passwordSchema,
  })
  .refine((v) => v.current_password !== v.new_password, { message: 'Choose a password different from the current one', path: ['new_password'] })
export type ChangePasswordRequest = z.infer<typeof changePasswordRequestSchema>
