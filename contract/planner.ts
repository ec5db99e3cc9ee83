// The rotation planner: live credentials grouped by when they expire, counted and paged on the server.
import { z } from 'zod'
import { credentialSchema } from './credentials.js'

export const plannerGroupSchema = z.enum(['expired', '3', '7', '14'])
export type PlannerGroup = z.infer<typeof plannerGroupSchema>

export const plannerQuerySchema = z.strictObject({
  /** expired: past expiry, not revoked (newest first); 3 / 7 / 14: expiring within 0–3, 3–7, 7–14 days. */
  group: plannerGroupSchema.optional(),
  mine: z.enum(['true', 'false']).optional(),
  account_type: z.enum(['user', 'service']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(512).optional(),
})
export type PlannerQuery = z.input<typeof plannerQuerySchema>

export const plannerResponseSchema = z.object({
  /** Exact counts per group, from maintained counters and bounded index ranges. */
  groups: z.object({ expired: z.number().int(), '3': z.number().int(), '7': z.number().int(), '14': z.number().int() }),
  group: plannerGroupSchema,
  items: z.array(credentialSchema),
  next_cursor: z.string().nullable(),
})
export type PlannerResponse = z.infer<typeof plannerResponseSchema>
