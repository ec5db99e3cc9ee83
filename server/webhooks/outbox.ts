// The webhook outbox other domains write to (services.webhooks), and the worker that sends it: due
// deliveries are claimed one by one with a conditional update (attempts as the version, the next
// attempt time as a lease), so two instances on one database never send one attempt twice.
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, WebhookDeliveriesTable } from '../db/schema.js'
import { Schedule } from '../lib/schedule.js'
import { iso } from '../lib/time.js'
import { decryptSecret } from './crypto.js'
import { send, SEND_TIMEOUT_MS, type AttemptResult, type SendOptions } from './sender.js'
import { TargetPolicy } from './targets.js'

export const MAX_ATTEMPTS = 8
const BASE_DELAY_MS = 30_000
/** A claimed attempt is due again after this if its instance never records an answer (crash). */
const LEASE_MS = 2 * 60_000 + SEND_TIMEOUT_MS
const BATCH = 50
const CONCURRENCY = 8
const MAX_PAYLOAD = 64 * 1024

export interface WebhookEvent {
  type: string
  data: Record<string, unknown>
}

export interface AttemptLogEntry {
  timestamp: string
  status_code: number | null
  error: string | null
}

/** 30 s × 2^(attempt−1), ±20% so deliveries failed together do not retry together. */
export function backoffMs(attempt: number, random = Math.random()): number {
  return Math.round(BASE_DELAY_MS * 2 ** (attempt - 1) * (0.8 + 0.4 * random))
}

function body(type: string, data: Record<string, unknown>, now: number): string {
  const text = JSON.stringify({ id: crypto.randomUUID(), type, created: iso(now), data })
  if (Buffer.byteLength(text) > MAX_PAYLOAD) throw new Error(`webhook event ${type} is over ${MAX_PAYLOAD} bytes`)
  return text
}

export interface OutboxOptions {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: deliveries may go to loopback, private and unique-local addresses. */
  allowPrivateTargets?: boolean
  /** Why an attempt reached no receiver (server log only: callers get one generic reason). */
  log?: SendOptions['log']
  sender?: typeof send
}

export class WebhookOutbox {
  private readonly schedule: Schedule
  private readonly sender: typeof send
  private readonly log: SendOptions['log']
  /** Which addresses deliveries may go to; the admin rules check URLs against it at create and edit too. */
  targets: TargetPolicy

  constructor(
    private readonly db: Kysely<Database>,
    private readonly key: Buffer,
    onError: (err: unknown) => void,
    opts: OutboxOptions = {},
  ) {
    this.schedule = new Schedule(() => this.run(), onError)
    this.targets = new TargetPolicy(opts.allowPrivateTargets === true)
    this.sender = opts.sender ?? send
    this.log = opts.log
  }

  /**
   * Inside the caller's transaction: one pending delivery per enabled webhook subscribed to each
   * event's type. It commits or rolls back with the change it reports. Several events (a bulk revoke's
   * batch) cost one read of the webhooks and one insert.
   */
  async enqueue(trx: Kysely<Database>, events: WebhookEvent | readonly WebhookEvent[]): Promise<void> {
    const list = Array.isArray(events) ? events : [events as WebhookEvent]
    if (!list.length) return
    const hooks = await trx.selectFrom('webhooks').select(['id', 'events']).where('enabled', '=', 1).execute()
    if (!hooks.length) return
    const subscribed = hooks.map((h) => ({ id: h.id, types: new Set(JSON.parse(h.events) as string[]) }))
    const now = Date.now()
    const rows = list.flatMap((event) => {
      const targets = subscribed.filter((h) => h.types.has(event.type))
      if (!targets.length) return []
      const payload = body(event.type, event.data, now)
      return targets.map((h) => ({
        id: crypto.randomUUID(), webhook_id: h.id, event_type: event.type, payload, status: 'pending' as const,
        attempts: 0, next_attempt_at: now, last_status_code: null, last_error: null, attempt_log: '[]', created_at: now, delivered_at: null,
      }))
    })
    for (let i = 0; i < rows.length; i += 200) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + 200)).execute()
  }

  /** One delivery of an event to one webhook, whatever it subscribes to (the test button). Returns its id. */
  async enqueueFor(trx: Kysely<Database>, webhookId: string, event: WebhookEvent): Promise<string> {
    const now = Date.now()
    const id = crypto.randomUUID()
    await trx.insertInto('webhook_deliveries').values({
      id, webhook_id: webhookId, event_type: event.type, payload: body(event.type, event.data, now), status: 'pending',
      attempts: 0, next_attempt_at: now, last_status_code: null, last_error: null, attempt_log: '[]', created_at: now, delivered_at: null,
    }).execute()
    return id
  }

  start(intervalMs: number) {
    this.schedule.start(intervalMs)
  }

  stop() {
    return this.schedule.stop()
  }

  /** One pass: every delivery due at `now` (in batches), a few at a time. Returns the attempts this instance made. */
  async run(now = Date.now()): Promise<AttemptResult[]> {
    const results: AttemptResult[] = []
    const seen = new Set<string>()
    for (;;) {
      const due = (await this.db.selectFrom('webhook_deliveries').select(['id', 'attempts'])
        .where('status', '=', 'pending').where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at').limit(BATCH).execute()).filter((d) => !seen.has(d.id))
      if (!due.length) break
      due.forEach((d) => seen.add(d.id))
      let next = 0
      const lane = async () => {
        while (next < due.length) {
          const d = due[next++]!
          const r = await this.attempt(d.id, d.attempts, now)
          if (r) results.push(r)
        }
      }
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, lane))
      if (due.length < BATCH) break
    }
    return results
  }

  /** Attempts one pending delivery now (the test button), unless another instance holds it. */
  async attemptNow(id: string): Promise<AttemptResult | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').select(['attempts']).where('id', '=', id).executeTakeFirst()
    return row ? this.attempt(id, row.attempts, Date.now()) : undefined
  }

  private async attempt(id: string, seenAttempts: number, now: number): Promise<AttemptResult | undefined> {
    const claimed = await this.db.updateTable('webhook_deliveries')
      .set({ attempts: seenAttempts + 1, next_attempt_at: now + LEASE_MS })
      .where('id', '=', id).where('status', '=', 'pending').where('attempts', '=', seenAttempts).where('next_attempt_at', '<=', now)
      .returning(['id', 'webhook_id', 'event_type', 'payload', 'attempts', 'attempt_log'])
      .executeTakeFirst()
    if (!claimed) return undefined
    const hook = await this.db.selectFrom('webhooks').select(['id', 'url', 'enabled', 'secret_enc'])
      .where('id', '=', claimed.webhook_id).executeTakeFirst()
    let result: AttemptResult
    if (!hook) return undefined
    if (!hook.enabled) {
      result = { ok: false, statusCode: null, error: 'webhook disabled' }
    } else {
      const secret = decryptSecret(this.key, hook.id, hook.secret_enc)
      result = await this.sender({ id: claimed.id, eventType: claimed.event_type, url: hook.url, body: claimed.payload }, secret, {
        targets: this.targets, log: this.log,
      })
    }
    // A refused address is not retried: the URL has to change (or the setting) before it could be sent.
    await this.record(claimed, result, now, !hook.enabled || result.refused === true)
    return result
  }

  private async record(
    claimed: Pick<WebhookDeliveriesTable, 'id' | 'attempts' | 'attempt_log'>, r: AttemptResult, now: number, giveUp: boolean,
  ) {
    const at = Date.now()
    const log = (JSON.parse(claimed.attempt_log) as AttemptLogEntry[])
      .concat({ timestamp: iso(at), status_code: r.statusCode, error: r.error }).slice(-MAX_ATTEMPTS * 2)
    const failed = giveUp || claimed.attempts >= MAX_ATTEMPTS
    await this.db.updateTable('webhook_deliveries').set({
      status: r.ok ? 'delivered' : failed ? 'failed' : 'pending',
      next_attempt_at: r.ok || failed ? now : now + backoffMs(claimed.attempts),
      last_status_code: r.statusCode,
      last_error: r.error,
      attempt_log: JSON.stringify(log),
      delivered_at: r.ok ? at : null,
    }).where('id', '=', claimed.id).where('attempts', '=', claimed.attempts).execute()
  }
}
