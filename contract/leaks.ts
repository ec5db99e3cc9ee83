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
