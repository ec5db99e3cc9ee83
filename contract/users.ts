import { z } from 'zod'
import { normalizeEmail } from './identifiers.js'

export const roleSchema = z.enum(['admin', 'developer', 'auditor'])
export type Role = z.infer<typeof roleSchema>

export const accountKindSchema = z.enum(['user', 'service'])
export type AccountKind = z.infer<typeof accountKindSchema>

export const emailSchema = z.email({ message: 'Enter a valid email address' }).max(254).transform(normalizeEmail)

export const passwordSchema = z
  .string()
  .min(12, { message: 'Password must be at least 12 characters' })
  .max(256, { message: 'Password must be at most 256 characters' })

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  kind: accountKindSchema,
  disabled: z.boolean(),
  created_at: z.string(),
  last_login_at: z.string().nullable(),
  active_tokens: z.number().int(),
  /** Who keeps the profile: null (this console), 'sso' (created at first single sign-on) or 'scim' (provisioned). */
  managed_by: z.enum(['sso', 'scim']).nullable(),
})
export type User = z.infer<typeof userSchema>

/**
 * GET /api/users: one page of people in email order. `q` matches a substring of the name or email,
 * case-insensitively and literally (% and _ are plain characters). Without `limit` a page holds 50.
 */
export const userListQuerySchema = z.strictObject({
  q: z.string().trim().max(200, { message: 'q must be at most 200 characters' }).optional(),
  role: roleSchema.optional(),
  disabled: z.enum(['true', 'false'], { message: 'disabled must be true or false' }).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number({ message: 'limit must be a number' }).int().min(1).max(200, { message: 'limit must be at most 200' }).optional(),
})
export type UserListQuery = z.input<typeof userListQuerySchema>
export const USER_PAGE_DEFAULT = 50

/** `next_cursor`: pass it back as `cursor` for the next page; null on the last one. */
export const userListResponseSchema = z.object({ items: z.array(userSchema), next_cursor: z.string().nullable() })
export type UserListResponse = z.infer<typeof userListResponseSchema>

export const createUserRequestSchema = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1, { message: 'Name is required' }).max(128),
  role: roleSchema,
  password: passwordSchema,
})
export type CreateUserRequest = z.input<typeof createUserRequestSchema>

export const updateUserRequestSchema = z
  .strictObject({ role: roleSchema.optional(), disabled: z.boolean().optional(), password: passwordSchema.optional() })
  .refine((v) => v.role !== undefined || v.disabled !== undefined || v.password !== undefined, { message: 'Give role, disabled or password' })
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>

export const userIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) })

/** Service accounts: non-human identities that own service credentials. */
export const serviceAccountSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  disabled: z.boolean(),
  created_at: z.string(),
  active_tokens: z.number().int(),
})
export type ServiceAccount = z.infer<typeof serviceAccountSchema>
export const serviceAccountListResponseSchema = z.object({ items: z.array(serviceAccountSchema) })

/** DELETE /api/users/:id: the person is gone; their revoked and expired tokens became tombstones. */
export const deleteUserResponseSchema = z.object({ status: z.boolean(), tokens_removed: z.number().int() })
export type DeleteUserResponse = z.infer<typeof deleteUserResponseSchema>
