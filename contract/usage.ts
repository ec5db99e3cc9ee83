import { z } from 'zod'

export const usageResponseSchema = z.object({
  name: z.string(),
  last_used_timestamp: z.string().nullable(),
  last_used_ip: z.string().nullable(),
  last_used_user_agent: z.string().nullable(),
  never_used: z.boolean(),
  /** Whole days since the last use (or since creation when never used). */
  idle_days: z.number().int(),
  total_uses_90d: z.number().int(),
  daily: z.array(z.object({ day: z.string(), count: z.number().int() })),
  sources: z.array(z.object({
    ip: z.string(), user_agent: z.string(), first_seen: z.string(), last_seen: z.string(), count: z.number().int(),
  })),
})
export type UsageResponse = z.infer<typeof usageResponseSchema>
