// The admin rules for webhooks: list, create (the secret shown once), change, delete, test, and the
// delivery log; every change audited in its own transaction. Audit rows name the URL's origin only,
// since some receivers put a capability in the path (auditors read the log).
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type {
  CreateWebhook, CreatedWebhook, DeliveriesPage, DeliveriesQuery, UpdateWebhook, Webhook, WebhookTestResult,
} from '../../contract/webhooks.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import { actorOf } from '../services/actor.js'
import { requirePermissionFor, type Principal } from '../services/principal.js'
import { ApiError, invalid, notFound } from '../lib/errors.js'
import { encryptSecret, newSigningSecret } from './crypto.js'
import type { WebhookOutbox } from './outbox.js'
import { TargetRefused } from './targets.js'
import { deliveryColumns, deliveryPage, toDelivery, toWebhook, webhookRows } from './queries.js'

const MAX_WEBHOOKS = 50


const originOf = (url: string) => new URL(url).origin

function encodeCursor(at: number, id: string) {
  return Buffer.from(`${at}.${id}`, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('.', 2)
  if (!at || !id || !/^\d+$/.test(at)) throw invalid('cursor is not one this API gave', 'cursor')
  return { at: Number(at), id }
}

export class WebhookService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly outbox: WebhookOutbox,
    private readonly key: Buffer,
  ) {}

  /** Refuses (400, on the url field) a URL that is or resolves to an address deliveries may not go to. */
  private async checkTarget(url: string) {
    try {
      await this.outbox.targets.check(url)
    } catch (err) {
      if (err instanceof TargetRefused) throw invalid(err.message, 'url')
      throw err
    }
  }

  private requireAdmin(p: Principal) {
    requirePermissionFor(p, 'users:write', 'Only a tenant administrator can manage webhooks')
  }

  private async one(id: string): Promise<Webhook> {
    const row = await webhookRows(this.db).where('webhooks.id', '=', id).executeTakeFirst()
    if (!row) throw notFound('Webhook')
    return toWebhook(row)
  }

  async list(p: Principal): Promise<{ items: Webhook[] }> {
    this.requireAdmin(p)
    const rows = await webhookRows(this.db).orderBy('webhooks.created_at').orderBy('webhooks.id').limit(MAX_WEBHOOKS).execute()
    return { items: rows.map(toWebhook) }
  }

  async get(p: Principal, id: string): Promise<Webhook> {
    this.requireAdmin(p)
    return this.one(id)
  }

  async create(p: Principal, body: CreateWebhook, ctx: AuditContext): Promise<CreatedWebhook> {
    this.requireAdmin(p)
    await this.checkTarget(body.url)
    const id = crypto.randomUUID()
    const secret = newSigningSecret()
    const now = Date.now()
    const events = [...new Set(body.events)]
    await this.audit.transact(async (trx) => {
      const count = await trx.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      if (Number(count.n) >= MAX_WEBHOOKS) throw new ApiError('FAILED_PRECONDITION', `At most ${MAX_WEBHOOKS} webhooks`)
      await trx.insertInto('webhooks').values({
        id, url: body.url, description: body.description ?? '', events: JSON.stringify(events), enabled: body.enabled === false ? 0 : 1,
        secret_enc: encryptSecret(this.key, id, secret), created_at: now, created_by: p.account.id, updated_at: now,
      }).execute()
      await this.audit.append(trx, ctx, {
        action: 'webhook.create', actor: actorOf(p), targetType: 'webhook', targetName: id, outcome: 'success',
        details: { origin: originOf(body.url), events, enabled: body.enabled !== false },
      }, now)
    })
    return { ...(await this.one(id)), secret }
  }

  async update(p: Principal, id: string, body: UpdateWebhook, ctx: AuditContext): Promise<Webhook> {
    this.requireAdmin(p)
    if (body.url !== undefined) await this.checkTarget(body.url)
    const now = Date.now()
    await this.audit.transact(async (trx) => {
      const before = await trx.selectFrom('webhooks').select(['url', 'events', 'enabled', 'description']).where('id', '=', id).executeTakeFirst()
      if (!before) throw notFound('Webhook')
      const set = {
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.events !== undefined ? { events: JSON.stringify([...new Set(body.events)]) } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled ? 1 : 0 } : {}),
      }
      await trx.updateTable('webhooks').set({ ...set, updated_at: now }).where('id', '=', id).execute()
      const changes: Record<string, unknown> = {}
      if (body.url !== undefined && body.url !== before.url) changes.origin = { from: originOf(before.url), to: originOf(body.url) }
      if (set.events !== undefined && set.events !== before.events) changes.events = { from: JSON.parse(before.events), to: JSON.parse(set.events) }
      if (set.enabled !== undefined && set.enabled !== before.enabled) changes.enabled = { from: before.enabled === 1, to: set.enabled === 1 }
      if (body.description !== undefined && body.description !== before.description) changes.description = 'changed'
      await this.audit.append(trx, ctx, {
        action: 'webhook.update', actor: actorOf(p), targetType: 'webhook', targetName: id, outcome: 'success', details: changes,
      }, now)
    })
    return this.one(id)
  }

  async remove(p: Principal, id: string, ctx: AuditContext): Promise<void> {
    this.requireAdmin(p)
    await this.audit.transact(async (trx) => {
      const before = await trx.selectFrom('webhooks').select(['url', 'events']).where('id', '=', id).executeTakeFirst()
      if (!before) throw notFound('Webhook')
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute()
      await trx.deleteFrom('webhooks').where('id', '=', id).execute()
      await this.audit.append(trx, ctx, {
        action: 'webhook.delete', actor: actorOf(p), targetType: 'webhook', targetName: id, outcome: 'success',
        details: { origin: originOf(before.url), events: JSON.parse(before.events) },
      })
    })
  }

  /** Enqueues a 'webhook.test' event for this webhook alone and attempts it at once; answers the outcome. */
  async test(p: Principal, id: string, ctx: AuditContext): Promise<WebhookTestResult> {
    this.requireAdmin(p)
    const deliveryId = await this.audit.transact(async (trx) => {
      const hook = await trx.selectFrom('webhooks').select(['id', 'url']).where('id', '=', id).executeTakeFirst()
      if (!hook) throw notFound('Webhook')
      const d = await this.outbox.enqueueFor(trx, id, {
        type: 'webhook.test', data: { webhook_id: id, message: 'A test event from Token Console', requested_by: p.account.email },
      })
      await this.audit.append(trx, ctx, {
        action: 'webhook.test', actor: actorOf(p), targetType: 'webhook', targetName: id, outcome: 'success',
        details: { origin: originOf(hook.url), delivery: d },
      })
      return d
    })
    await this.outbox.attemptNow(deliveryId)
    const row = await this.db.selectFrom('webhook_deliveries').select(deliveryColumns).where('id', '=', deliveryId).executeTakeFirstOrThrow()
    return { delivery: toDelivery(row) }
  }

  async deliveries(p: Principal, id: string, q: DeliveriesQuery): Promise<DeliveriesPage> {
    this.requireAdmin(p)
    await this.one(id)
    const limit = Number(q.limit ?? 20)
    const rows = await deliveryPage(this.db, id, limit, q.cursor ? decodeCursor(q.cursor) : undefined)
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return { items: page.map(toDelivery), next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null }
  }
}
