// Leak reports from a secret scanner (GitHub secret scanning's shape): tokens found in public places.
import { z } from 'zod'

export const leakReportSchema = z.array(z.object({
  token: z.string().min(1).max(256),
  type: z.string().max(64).optional(),
  url: z.string().max(2048).optional(),
  source: z.string().max(64).optional(),
})).min(1).max(100)
export type LeakReport = z.infer<typeof leakReportSchema>

export const leakReportResponseSchema = z.object({
  /** Tokens of this tenant that were live and are now revoked. */
  revoked: z.number().int(),
  /** Per reported entry, in order; never names or values. */
  results: z.array(z.object({
    label: z.enum(['true_positive', 'false_positive']),
    status: z.enum(['revoked', 'already_ended', 'unknown']),
  })),
})
export type LeakReportResponse = z.infer<typeof leakReportResponseSchema>

/**
 * A leaked token's timeline (its detail page): the last accepted use before the report, the report,
 * the revoke, and every use refused since (one entry per source and interval, with the count).
 */
export const leakTimelineEventSchema = z.object({
  at: z.string(),
  kind: z.enum(['last_use', 'reported', 'revoked', 'refused_use']),
  /** refused_use: how many attempts this entry stands for, and the last one's time. */
  count: z.number().int().optional(),
  last_at: z.string().optional(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  /** reported: where the scanner found it. revoked: who revoked it ("leak report" when it did). */
  url: z.string().optional(),
  source: z.string().optional(),
  by: z.string().optional(),
})
export type LeakTimelineEvent = z.infer<typeof leakTimelineEventSchema>

export const leakTimelineResponseSchema = z.object({
  leaked_timestamp: z.string(),
  /** Oldest first; refused uses are the newest 200 entries. */
  events: z.array(leakTimelineEventSchema).max(210),
  /** true when there were more refused-use entries than shown. */
  truncated: z.boolean(),
})
export type LeakTimelineResponse = z.infer<typeof leakTimelineResponseSchema>
