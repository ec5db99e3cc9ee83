import { z } from 'zod'

export const policySchema = z.object({
  default_expiration_days: z.number().int(),
  max_expiration_days: z.number().int(),
  allow_never_expire: z.boolean(),
  max_active_tokens_per_user: z.number().int(),
  expiry_presets: z.array(z.number().int()),
  expiring_soon_days: z.number().int(),
})
export type Policy = z.infer<typeof policySchema>
