// The tenant policy: the stored settings an admin edits, what GET /api/policy answers, the dry run.
import { z } from 'zod'

const days = z.number().int().min(1).max(3650)

/** What an admin states once; stored as one audited document (PUT /api/policy). */
export const policySettingsSchema = z.strictObject({
  default_expiration_days: days,
  max_expiration_days: days,
  allow_never_expire: z.boolean(),
  /** Which account types may hold never-expiring tokens when they are allowed. */
  never_expire_account_types: z.array(z.enum(['user', 'service'])).max(2),
  /** Tokens unused for this many days are ended; null: off. */
  idle_timeout_days: days.nullable(),
  max_active_tokens_per_user: z.number().int().min(1).max(100_000),
  /** A regular expression every new credential name must match; null: any valid name. */
  name_pattern: z.string().max(200).nullable(),
  /** Who may create service credentials: everyone with the permission, or tenant admins only. */
  service_credential_creators: z.enum(['writers', 'admins']),
  /** How recent a sign-in must be to create, renew or rotate (minutes); null: not enforced. */
  reauth_window_minutes: z.number().int().min(1).max(10_080).nullable(),
  /** Whether an administrator may re-activate a revoked token (never a leaked one). */
  allow_reactivation: z.boolean(),
}).refine((p) => p.default_expiration_days <= p.max_expiration_days, {
  message: 'default_expiration_days must not exceed max_expiration_days', path: ['default_expiration_days'],
}).refine((p) => {
  if (p.name_pattern === null) return true
  try { new RegExp(p.name_pattern); return true } catch { return false }
}, { message: 'name_pattern is not a valid regular expression', path: ['name_pattern'] })
export type PolicySettings = z.infer<typeof policySettingsSchema>

export const policySchema = z.object({
  default_expiration_days: z.number().int(),
  max_expiration_days: z.number().int(),
  allow_never_expire: z.boolean(),
  max_active_tokens_per_user: z.number().int(),
  expiry_presets: z.array(z.number().int()),
  expiring_soon_days: z.number().int(),
  /** The full stored settings, and when and by whom they were last changed. */
  settings: policySettingsSchema,
  updated_timestamp: z.string().nullable(),
  updated_by: z.string().nullable(),
})
export type Policy = z.infer<typeof policySchema>

/** Apply to new tokens only, or to existing ones as well, their changes taking effect from `effective_from`. */
export const policyApplySchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('new_only') }),
  z.strictObject({ mode: z.literal('existing'), effective_from: z.iso.datetime({ offset: true }).max(64) }),
])
export type PolicyApply = z.infer<typeof policyApplySchema>

export const policyUpdateSchema = z.strictObject({ settings: policySettingsSchema, apply: policyApplySchema })
export type PolicyUpdate = z.infer<typeof policyUpdateSchema>

export const dryRunRequestSchema = z.strictObject({
  settings: policySettingsSchema,
  /** When the changes would take effect; default now. */
  effective_from: z.iso.datetime({ offset: true }).max(64).optional(),
})
export type DryRunRequest = z.infer<typeof dryRunRequestSchema>

export const policyChangeSchema = z.object({
  name: z.string(),
  type: z.string(),
  owner: z.object({ id: z.string(), email: z.string() }),
  last_used_timestamp: z.string().nullable(),
  current_expiry: z.string().nullable(),
  /** shorten_expiry: lifetime over the maximum (or never-expiring where not allowed); idle_disable: unused past the idle timeout. */
  change: z.enum(['shorten_expiry', 'idle_disable']),
  new_expiry: z.string(),
  reason: z.string(),
})
export type PolicyChange = z.infer<typeof policyChangeSchema>

export const dryRunResponseSchema = z.object({
  effective_from: z.string(),
  items: z.array(policyChangeSchema),
  total: z.number().int(),
})
export type DryRunResponse = z.infer<typeof dryRunResponseSchema>

export const policyUpdateResponseSchema = z.object({
  policy: policySchema,
  /** The existing tokens changed (mode "existing"); empty for "new_only". */
  changed: z.array(policyChangeSchema),
})
export type PolicyUpdateResponse = z.infer<typeof policyUpdateResponseSchema>
