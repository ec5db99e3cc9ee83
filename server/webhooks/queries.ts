// SQL for webhooks and their delivery log.
import type { Kysely } from 'kysely'
import type { Database, WebhookDeliveriesTable } from '../db/schema.js'
import type { Webhook, WebhookDelivery } from '../../contract/webhooks.js'
import { iso, isoOrNull } from '../lib/time.js'

/** The columns an answer shows: never secret_enc. */
export function webhookRows(db: Kysely<Database>) {
  return db.selectFrom('webhooks').leftJoin('users', 'users.id', 'webhooks.created_by')
    .select(['webhooks.id', 'webhooks.url', 'webhooks.description', 'webhooks.events', 'webhooks.enabled', 'webhooks.created_at', 'users.email as created_by'])
}

type WebhookRow = Awaited<ReturnType<ReturnType<typeof webhookRows>['executeTakeFirstOrThrow']>>

export function toWebhook(r: WebhookRow): Webhook {
  return {
    id: r.id, url: r.url, description: r.description, events: JSON.parse(r.events) as string[], enabled: r.enabled === 1,
    created_timestamp: iso(r.created_at), created_by: r.created_by,
  }
}

export type DeliveryRow = Pick<WebhookDeliveriesTable, 'id' | 'event_type' | 'status' | 'attempts' | 'last_status_code' | 'last_error'
  | 'created_at' | 'delivered_at' | 'next_attempt_at' | 'attempt_log'>

export const deliveryColumns = ['id', 'event_type', 'status', 'attempts', 'last_status_code', 'last_error', 'created_at', 'delivered_at',
  'next_attempt_at', 'attempt_log'] as const

export function toDelivery(r: DeliveryRow): WebhookDelivery {
  return {
    id: r.id, event_type: r.event_type, status: r.status, attempts: r.attempts, last_status_code: r.last_status_code,
    last_error: r.last_error, created_timestamp: iso(r.created_at), delivered_timestamp: isoOrNull(r.delivered_at),
    next_attempt_timestamp: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    attempt_log: JSON.parse(r.attempt_log) as WebhookDelivery['attempt_log'],
  }
}

/** Newest first, keyset on (created_at, id). */
export async function deliveryPage(db: Kysely<Database>, webhookId: string, limit: number, after?: { at: number; id: string }) {
  let q = db.selectFrom('webhook_deliveries').select(deliveryColumns).where('webhook_id', '=', webhookId)
  if (after) {
    q = q.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]))
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
}
