// Notifications: each person's notice list, unread count and mark-read; and the hook AuditLog calls
// on every append, which tells a token's owner when someone else acted on it (same transaction).
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { MarkReadRequest, NotificationListQuery, NotificationListResponse } from '../../contract/notifications.js'
import type { AuditEvent, AuditLog } from '../services/audit.js'
import type { Principal } from '../services/principal.js'
import { familyTypes } from '../db/credentials-repo.js'
import { invalid } from '../lib/errors.js'
import { actionText, idleEndText, leakText, NOTIFYING_ACTIONS } from './messages.js'
import { countUnread, decodeCursor, insertNotices, listNotices, markRead, type NewNotice } from './queries.js'

/**
 * Called inside the transaction of the change, once per event (an expiry notice once, not once per
 * recipient): where the webhook outbox plugs in. `type` is the event name a webhook carries.
 */
export type NoticeEvent = { type: string; data: Record<string, unknown> }
export type OnNotice = (trx: Transaction<Database>, events: NoticeEvent | NoticeEvent[]) => Promise<void>

const REVOKES = new Set(['credential.revoke', 'credential.bulk_revoke'])

export const familyOfType = (type: string): 'user' | 'service' => (familyTypes.service.includes(type) ? 'service' : 'user')

export class NotificationService {
  onNotice: OnNotice | undefined

  constructor(
    /** Console reads (off the event loop on SQLite, statement time limit on PostgreSQL). */
    private readonly read: Kysely<Database>,
    private readonly audit: AuditLog,
  ) {}

  async list(p: Principal, q: NotificationListQuery): Promise<NotificationListResponse> {
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined
    if (q.cursor && !cursor) throw invalid('cursor is not one this list gave', 'cursor')
    return listNotices(this.read, p.account.id, { unread: q.unread === 'true', limit: Number(q.limit ?? 50), cursor })
  }

  async unreadCount(p: Principal) {
    return { unread: await countUnread(this.read, p.account.id) }
  }

  /** Only the caller's own notices change; ids of others' notices are ignored, not revealed. */
  async markRead(p: Principal, body: MarkReadRequest) {
    const ids = 'ids' in body ? [...new Set(body.ids)] : 'all'
    const marked = await this.audit.transact((trx) => markRead(trx, p.account.id, ids, Date.now()))
    return { marked }
  }

  /**
   * The audit hook. A token's owner (a person, not a service account) is told when:
   * - a person or one of their tokens acts on it and is not the owner (revoke, renew, rotate…);
   * - the idle job ends it (system), or a secret scanner's report revokes it (anonymous).
   * Other system work (rotation cut-over the owner asked for, expiry notices) tells no one here.
   * Events appended together (one, or a bulk revoke's batch) are handled together: owners and
   * credentials are read in one query each, and the notices and webhook deliveries written in one
   * insert each, so a batch costs a few round trips, not four per credential.
   */
  fromAudit = async (trx: Transaction<Database>, events: readonly AuditEvent[], now: number): Promise<void> => {
    const told = events.flatMap((e) => {
      if (e.targetType !== 'credential' || e.outcome !== 'success' || !e.targetOwnerId || !e.targetName) return []
      const byPerson = (e.actor.type === 'user' || e.actor.type === 'token') && NOTIFYING_ACTIONS.has(e.action)
      const idle = e.action === 'credential.idle_end' && e.actor.type === 'system'
      const leak = e.action === 'credential.leak_report' && e.actor.type === 'anonymous'
      if (!byPerson && !idle && !leak) return []
      if (byPerson && e.actor.id === e.targetOwnerId) return []
      return [{ e, ownerId: e.targetOwnerId, name: e.targetName, byPerson, idle, leak }]
    })
    if (!told.length) return
    const ownerIds = [...new Set(told.map((t) => t.ownerId))]
    const names = [...new Set(told.map((t) => t.name))]
    const owners = new Map((await trx.selectFrom('users').select(['id', 'kind']).where('id', 'in', ownerIds).execute()).map((r) => [r.id, r.kind]))
    const creds = new Map((await trx.selectFrom('credentials').select(['id', 'name', 'type', 'expires_at']).where('name', 'in', names).execute()).map((r) => [r.name, r]))
    const hooks: NoticeEvent[] = []
    const notices: NewNotice[] = []
    for (const { e, ownerId, name, byPerson, idle, leak } of told) {
      const cred = creds.get(name)
      if (idle && cred?.expires_at != null) {
        // Ended now: the expiry job must not also send an "expired" notice for this expiry.
        await trx.insertInto('notice_marks').values({ credential_id: cred.id, expires_at: Number(cred.expires_at), threshold: 0, created_at: now })
          .onConflict((oc) => oc.doNothing()).execute()
      }
      const family = cred ? familyOfType(cred.type) : 'user'
      // Webhooks hear of a leak, and of a revoke by someone other than the owner, whoever the owner is.
      if (leak) {
        hooks.push({ type: 'credential.leaked', data: { name, family, revoked: e.details?.revoked === true, found_at: e.details?.url ?? null, source: e.details?.source ?? null } })
      } else if (byPerson && REVOKES.has(e.action)) {
        hooks.push({ type: 'credential.revoked_by_admin', data: { name, family, revoked_by: e.actor.email } })
      }
      if (owners.get(ownerId) !== 'user') continue
      const base = { user_id: ownerId, credential_name: name }
      if (idle) {
        notices.push({ ...base, kind: 'idle_end', ...idleEndText(name, e.details?.idle_timeout_days), data: { family, action: e.action } })
      } else if (leak) {
        // The console page of the leaked token, opened on its "Create a replacement with the same settings".
        const link = `/${family === 'service' ? 'service-credentials' : 'tokens'}/${encodeURIComponent(name)}?replace=1`
        notices.push({ ...base, kind: 'leak_report', ...leakText(name, e.details ?? {}), data: { family, action: e.action, revoked: e.details?.revoked === true, link } })
      } else {
        notices.push({ ...base, kind: 'admin_action', ...actionText(e, name), data: { family, action: e.action, actor_email: e.actor.email, actor_type: e.actor.type } })
      }
    }
    if (hooks.length) await this.onNotice?.(trx, hooks)
    await insertNotices(trx, notices, now)
  }
}
