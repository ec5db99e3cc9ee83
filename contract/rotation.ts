// Server-side rotation: the request, and the cut-over status of a rotated-away token.
import { z } from 'zod'
import { credentialNameSchema, expirationDaysSchema } from './credentials.js'

export const rotateRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: z.literal('system').optional(),
  /** How long the old token stays valid beside the new one; 0 ends it now. At most 30 days. */
  overlap_seconds: z.number().int().min(0).max(30 * 86_400),
  /** The new secret's (or successor's) lifetime; default: the tenant policy's default. */
  expiration_days: expirationDaysSchema.optional(),
  /**
   * Without it the credential keeps its name, id and history and gets a new secret; the previous
   * secret stays valid for the overlap. With it: a successor credential of that name.
   */
  new_name: credentialNameSchema.optional(),
  /** End the old secret (or token) as soon as every caller of the last 30 days has used the new one. */
  cutover_on_switch: z.boolean().optional(),
})
export type RotateRequest = z.infer<typeof rotateRequestSchema>

export const rotationSourceSchema = z.object({
  ip: z.string(),
  user_agent: z.string(),
  /** When this source last used the old secret (or the rotated-away token). */
  old_last_used_timestamp: z.string(),
  /** Whether it has used the new token yet, and when last. */
  switched: z.boolean(),
  new_last_used_timestamp: z.string().nullable(),
})
export type RotationSource = z.infer<typeof rotationSourceSchema>

export const rotationStatusSchema = z.object({
  name: z.string(),
  /** new_secret: the credential got a new secret and kept its name; successor: rotated to replaced_by. */
  mode: z.enum(['new_secret', 'successor']),
  /** new_secret: the last four of the current secret and of the previous one (while known). */
  secret_hint: z.string(),
  previous_secret_hint: z.string().nullable(),
  replaced_by: z.string().nullable(),
  overlap_ends_timestamp: z.string().nullable(),
  cutover_on_switch: z.boolean(),
  /** live: in the overlap; ended: refused from now on; none: not rotated server-side. */
  state: z.enum(['none', 'overlap', 'ended']),
  sources: z.array(rotationSourceSchema),
  all_switched: z.boolean(),
})
export type RotationStatus = z.infer<typeof rotationStatusSchema>

/** terraform-prod → terraform-prod-r2 → terraform-prod-r3, always within the 64-character limit. */
export function lineageName(name: string): string {
  const m = /^(.*)-r(\d+)$/.exec(name)
  const stem = m ? m[1] : name
  const suffix = `-r${m ? Number(m[2]) + 1 : 2}`
  return `${stem.slice(0, 64 - suffix.length).replace(/-+$/, '')}${suffix}`
}
