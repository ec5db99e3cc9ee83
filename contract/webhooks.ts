// Outgoing webhooks: what an admin configures, the one-time secret, the delivery log.
import { z } from 'zod'

/** Events a webhook can subscribe to. 'webhook.test' is sent only by the test button, to one webhook. */
export const webhookEventTypes = ['credential.expiry_notice', 'credential.leaked', 'credential.revoked_by_admin'] as const
export const webhookEventSchema = z.enum(webhookEventTypes)
export type WebhookEventType = z.infer<typeof webhookEventSchema>
export const webhookEventLabels: Record<WebhookEventType, string> = {
  'credential.expiry_notice': 'Expiry notices (14, 7 and 1 days before)',
  'credential.leaked': 'Token reported leaked',
  'credential.revoked_by_admin': 'Token revoked by an administrator',
}

const MAX_URL = 2048

/** http(s) only, and never with a user name or password in it (it would be stored and shown). */
export const webhookUrlSchema = z.string().trim().min(1, { message: 'URL is required' }).max(MAX_URL).refine((value) => {
  try {
    const u = new URL(value)
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password
  } catch {
    return false
  }
}, { message: 'Enter an http:// or https:// URL without a user name or password in it' })

const events = z.array(webhookEventSchema).min(1, { message: 'Choose at least one event' }).max(webhookEventTypes.length)
const description = z.string().trim().max(200)

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()).max(16),
  enabled: z.boolean(),
  created_timestamp: z.string(),
  created_by: z.string().nullable(),
})
export type Webhook = z.infer<typeof webhookSchema>

export const webhookListSchema = z.object({ items: z.array(webhookSchema).max(100) })

export const createWebhookSchema = z.strictObject({
  url: webhookUrlSchema,
  description: description.optional(),
  events: z.array(webhookEventSchema).min(1, { message: 'Choose at least one event' }).max(webhookEventTypes.length),
  enabled: z.boolean().optional(),
})
export type CreateWebhook = z.input<typeof createWebhookSchema>

/** The answer to create: the only time the signing secret is shown. */
export const createdWebhookSchema = webhookSchema.extend({ secret: z.string().max(128) })
export type CreatedWebhook = z.infer<typeof createdWebhookSchema>

export const updateWebhookSchema = z.strictObject({
  url: webhookUrlSchema.optional(),
  description: description.optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
})
export type UpdateWebhook = z.input<typeof updateWebhookSchema>

export const webhookIdParamsSchema = z.strictObject({ id: z.uuid().max(36) })

export const deliveryAttemptSchema = z.object({
  timestamp: z.string(),
  status_code: z.number().int().min(100).max(599).nullable(),
  error: z.string().nullable(),
})

export const webhookDeliverySchema = z.object({
  id: z.string(),
  event_type: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int().min(0).max(100),
  last_status_code: z.number().int().min(100).max(599).nullable(),
  last_error: z.string().nullable(),
  created_timestamp: z.string(),
  delivered_timestamp: z.string().nullable(),
  next_attempt_timestamp: z.string().nullable(),
  attempt_log: z.array(deliveryAttemptSchema).max(16),
})
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>

export const deliveriesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  /** Opaque: the next_cursor of the previous page. */
  cursor: z.string().max(200).optional(),
})
export type DeliveriesQuery = z.input<typeof deliveriesQuerySchema>

export const deliveriesPageSchema = z.object({ items: z.array(webhookDeliverySchema).max(100), next_cursor: z.string().nullable() })
export type DeliveriesPage = z.infer<typeof deliveriesPageSchema>

export const webhookTestResultSchema = z.object({ delivery: webhookDeliverySchema })
export type WebhookTestResult = z.infer<typeof webhookTestResultSchema>
