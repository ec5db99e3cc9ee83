import { z } from 'zod'

const series = z.array(z.object({ start: z.string(), issued: z.number().int(), revoked: z.number().int(), refused_checks: z.number().int(), failed_logins: z.number().int() }))

export const metricsSummarySchema = z.object({
  generated_at: z.string(),
  active_tokens: z.object({ API_TOKEN: z.number().int(), SERVICE_API_TOKEN: z.number().int() }),
  hourly: series,
  daily: series,
  validations_daily: z.array(z.object({ day: z.string(), count: z.number().int() })),
  totals_24h: z.object({ issued: z.number().int(), revoked: z.number().int(), refused_checks: z.number().int(), failed_logins: z.number().int(), validations: z.number().int() }),
})
export type MetricsSummary = z.infer<typeof metricsSummarySchema>
