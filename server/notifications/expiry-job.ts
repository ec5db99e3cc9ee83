// Lifecycle job: expiry notices 14, 7 and 1 days before a live credential expires and once when it
// has expired: to the owner; for service credentials every administrator gets one digest a day (UTC)
// listing them, updated as more come due that day, rather than a notice per credential. Each notice says
// whether the token is still in use (last use within 30 days, and from where): "rotate now" or
// "let it expire or revoke". A (credential, expiry, threshold) mark inserted-or-ignored in the
// notice's transaction makes each threshold once, even with two instances; bounded batches; one
// instance per pass on PostgreSQL; one audit row per notice (as the idle job audits each change).
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import type { AuditLog } from '../services/audit.js'
import type { UsageRecorder } from '../services/usage.js'
import { LockedJob } from '../db/job-lock.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'
import { digestText, expiryText, IN_USE_DAYS, type DigestEntry, type UsageFacts } from './messages.js'
import { insertNotices } from './queries.js'
import { familyOfType, type NotificationService } from './service.js'

const NOTICE_LOCK = 727279
const BATCH = 500
const SYSTEM = { id: null, email: null, type: 'system' as const }
/** Days before expiry, tightest first. */
export const THRESHOLDS = [0, 1, 7, 14] as const
/** An expiry older than this gets no "expired" notice (tokens that ended before notices existed). */
const EXPIRED_WINDOW_MS = DAY_MS

/** The threshold a credential is due for now: the tightest one whose moment has come, if any. */
export function dueThreshold(expiresAt: number, createdAt: number, now: number): number | undefined {
  const t = THRESHOLDS.find((d) => expiresAt - d * DAY_MS <= now)
  // A token created after that moment (a 5-day token and the 7-day notice) skips it.
  if (t === undefined || createdAt > expiresAt - t * DAY_MS) return undefined
  return t
}

export interface NoticeResult { name: string; threshold: number; recipients: number; in_use: boolean }

export class ExpiryNoticeJob extends LockedJob<NoticeResult[]> {
  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly usage: UsageRecorder,
    private readonly notifications: NotificationService,
    onError: (err: unknown) => void,
  ) {
    super(db, dialect, NOTICE_LOCK, onError)
  }

  protected async pass(now: number): Promise<NoticeResult[]> {
    const done: NoticeResult[] = []
    let after: { at: number; id: string } | undefined
    let flushed = false
    for (;;) {
      // Live credentials expiring within 14 days or expired within the window, on the (state,
      // expires_at) index, walked in (expires_at, id) order. A rotated-away token (its successor
      // exists) is ending on purpose: no notice.
      let q = this.db.selectFrom('credentials as c').innerJoin('users as u', 'u.id', 'c.owner_id')
        .select(['c.id', 'c.name', 'c.type', 'c.owner_id', 'c.created_at', 'c.expires_at', 'c.last_used_at', 'u.kind'])
        .where('c.state', '=', 'live').where('c.replaced_by', 'is', null)
        .where('c.expires_at', '>', now - EXPIRED_WINDOW_MS).where('c.expires_at', '<=', now + 14 * DAY_MS)
      const a = after
      if (a) q = q.where((eb) => eb.or([eb('c.expires_at', '>', a.at), eb.and([eb('c.expires_at', '=', a.at), eb('c.id', '>', a.id)])]))
      const rows = await q.orderBy('c.expires_at').orderBy('c.id').limit(BATCH).execute()
      if (!rows.length) break
      const last = rows.at(-1)!
      after = { at: Number(last.expires_at), id: last.id }
      const due = rows.flatMap((r) => {
        const t = dueThreshold(Number(r.expires_at), Number(r.created_at), now)
        return t === undefined ? [] : [{ ...r, expires_at: Number(r.expires_at), threshold: t }]
      })
      const marked = due.length ? await this.db.selectFrom('notice_marks').select(['credential_id', 'expires_at', 'threshold'])
        .where('credential_id', 'in', due.map((r) => r.id)).execute() : []
      const seen = new Set(marked.map((m) => `${m.credential_id}:${Number(m.expires_at)}:${m.threshold}`))
      const todo = due.filter((r) => !seen.has(`${r.id}:${r.expires_at}:${r.threshold}`))
      if (todo.length && !flushed) {
        // A use recorded on this instance but not yet written must count as "in use".
        await this.usage.flush()
        flushed = true
      }
      for (const r of todo.filter((x) => x.kind !== 'service')) {
        const made = await this.notice(r, now)
        if (made) done.push(made)
      }
      const service = todo.filter((x) => x.kind === 'service')
      if (service.length) done.push(...await this.digest(service, now))
      if (rows.length < BATCH) break
      await new Promise((res) => setImmediate(res))
    }
    return done
  }

  private async usageOf(id: string, now: number): Promise<UsageFacts> {
    const row = await this.db.selectFrom('credentials').select('last_used_at').where('id', '=', id).executeTakeFirst()
    const lastUsed = row?.last_used_at == null ? null : Number(row.last_used_at)
    const since = now - IN_USE_DAYS * DAY_MS
    const sources = await this.db.selectFrom('usage_sources').select(['ip', 'user_agent', 'last_seen'])
      .where('credential_id', '=', id).where('last_seen', '>=', since).orderBy('last_seen', 'desc').limit(10).execute()
    return {
      inUse: lastUsed !== null && lastUsed >= since,
      lastUsed: isoOrNull(lastUsed),
      sources: sources.map((s) => ({ ip: s.ip, user_agent: s.user_agent.slice(0, 200), last_seen: iso(Number(s.last_seen)) })),
    }
  }

  /**
   * Service credentials due now, in one transaction: each one's mark, audit row and webhook event as
   * before, and for every administrator today's digest, written or brought up to date (one notice
   * per admin per UTC day: an hourly pass adds the credentials that came due since, and marks it
   * unread again). A credential another pass already marked is left out.
   */
  private async digest(rows: Array<{ id: string; name: string; type: string; owner_id: string; expires_at: number; threshold: number }>, now: number) {
    const facts = new Map<string, UsageFacts>()
    for (const r of rows) facts.set(r.id, await this.usageOf(r.id, now))
    return this.audit.transact(async (trx) => {
      const admins = (await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('kind', '=', 'user').where('disabled', '=', 0).execute()).map((u) => u.id)
      const entries: DigestEntry[] = []
      const done: NoticeResult[] = []
      for (const r of rows) {
        const ins = await trx.insertInto('notice_marks').values({ credential_id: r.id, expires_at: r.expires_at, threshold: r.threshold, created_at: now })
          .onConflict((oc) => oc.doNothing()).executeTakeFirst()
        if (Number(ins.numInsertedOrUpdatedRows ?? 0) === 0) continue
        const usage = facts.get(r.id)!
        const daysLeft = Math.max(0, Math.ceil((r.expires_at - now) / DAY_MS))
        const entry: DigestEntry = {
          name: r.name, credential_type: r.type, threshold_days: r.threshold, days_left: daysLeft, expires_at: iso(r.expires_at),
          in_use: usage.inUse, last_used: usage.lastUsed, advice: usage.inUse ? 'rotate_now' : 'let_expire_or_revoke',
        }
        entries.push(entry)
        await this.audit.append(trx, { ip: null, userAgent: 'expiry notice job' }, {
          action: 'credential.expiry_notice', actor: SYSTEM, targetType: 'credential', targetName: r.name, targetOwnerId: r.owner_id,
          outcome: 'success', details: { threshold_days: r.threshold, days_left: daysLeft, in_use: usage.inUse, recipients: admins.length, expires_at: iso(r.expires_at), digest: true },
        }, now)
        await this.notifications.onNotice?.(trx, { type: 'credential.expiry_notice', data: { ...entry, family: 'service', sources: usage.sources, recipients: admins.length } })
        done.push({ name: r.name, threshold: r.threshold, recipients: admins.length, in_use: usage.inUse })
      }
      if (!entries.length || !admins.length) return done
      const day = new Date(now).toISOString().slice(0, 10)
      const dayStart = Date.parse(`${day}T00:00:00Z`)
      const today = await trx.selectFrom('notifications').select(['id', 'user_id', 'data'])
        .where('user_id', 'in', admins).where('kind', '=', 'expiry_notice').where('credential_name', 'is', null)
        .where('created_at', '>=', dayStart).where('created_at', '<', dayStart + DAY_MS).execute()
      const existing = new Map(today.filter((n) => (JSON.parse(n.data) as { digest_day?: string }).digest_day === day).map((n) => [n.user_id, n]))
      const fresh: Parameters<typeof insertNotices>[1] = []
      for (const admin of admins) {
        const had = existing.get(admin)
        const before = had ? ((JSON.parse(had.data) as { credentials?: DigestEntry[] }).credentials ?? []) : []
        // The latest threshold of a credential wins: one line per credential.
        const merged = [...new Map([...before, ...entries].map((e) => [e.name, e])).values()]
        const text = digestText(merged)
        const data = { family: 'service', digest_day: day, count: merged.length, credentials: merged }
        if (had) {
          await trx.updateTable('notifications').set({ ...text, data: JSON.stringify(data), created_at: now, read_at: null }).where('id', '=', had.id).execute()
        } else {
          fresh.push({ user_id: admin, kind: 'expiry_notice', credential_name: null, ...text, data })
        }
      }
      await insertNotices(trx, fresh, now)
      return done
    })
  }

  /** One credential's notice for one threshold, in one transaction; undefined when another pass made it. */
  private async notice(r: { id: string; name: string; type: string; owner_id: string; expires_at: number; kind: 'user' | 'service'; threshold: number }, now: number) {
    const usage = await this.usageOf(r.id, now)
    const family = familyOfType(r.type)
    const daysLeft = Math.max(0, Math.ceil((r.expires_at - now) / DAY_MS))
    const forAdmins = r.kind === 'service'
    return this.audit.transact(async (trx) => {
      const ins = await trx.insertInto('notice_marks').values({ credential_id: r.id, expires_at: r.expires_at, threshold: r.threshold, created_at: now })
        .onConflict((oc) => oc.doNothing()).executeTakeFirst()
      if (Number(ins.numInsertedOrUpdatedRows ?? 0) === 0) return undefined
      const recipients = forAdmins
        ? (await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('kind', '=', 'user').where('disabled', '=', 0).execute()).map((u) => u.id)
        : [r.owner_id]
      const data = {
        family, credential_type: r.type, threshold_days: r.threshold, days_left: daysLeft, expires_at: iso(r.expires_at),
        in_use: usage.inUse, last_used: usage.lastUsed, sources: usage.sources,
        advice: usage.inUse ? 'rotate_now' : 'let_expire_or_revoke',
      }
      const text = expiryText(r.name, daysLeft, usage, forAdmins)
      await insertNotices(trx, recipients.map((user_id) => ({ user_id, kind: 'expiry_notice' as const, credential_name: r.name, ...text, data })), now)
      await this.audit.append(trx, { ip: null, userAgent: 'expiry notice job' }, {
        action: 'credential.expiry_notice', actor: SYSTEM, targetType: 'credential', targetName: r.name, targetOwnerId: r.owner_id,
        outcome: 'success', details: { threshold_days: r.threshold, days_left: daysLeft, in_use: usage.inUse, recipients: recipients.length, expires_at: iso(r.expires_at) },
      }, now)
      await this.notifications.onNotice?.(trx, { type: 'credential.expiry_notice', data: { name: r.name, ...data, recipients: recipients.length } })
      return { name: r.name, threshold: r.threshold, recipients: recipients.length, in_use: usage.inUse }
    })
  }
}
