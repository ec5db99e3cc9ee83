// Token uses gathered in memory and written in batches: a check never waits on, or fails because of,
// this bookkeeping. At most one write per token per flush interval; flushed again at shutdown.
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import { isTransient } from './audit.js'

/**
 * Transaction-level advisory lock for a flush on PostgreSQL. Every flush adds to the day's row of
 * usage_day_totals (a trigger on usage_daily), so instances flushing at once would each hold some
 * credential rows and wait for the day's row the other holds: a deadlock aborts one of them. One
 * flush at a time across instances, each well under a second, costs nothing a check waits on.
 */
const USAGE_FLUSH_LOCK = 727290

interface Pending {
  lastUsedAt: number
  ip: string
  userAgent: string
  days: Map<string, number>
  sources: Map<string, Source>
}

interface Source {
  ip: string
  userAgent: string
  first: number
  last: number
  count: number
  /** Last use per current-secret issue time (a rotation between two uses changes it). */
  current: Map<number, number>
  /** Last use of the secret a rotation replaced; 0: none. */
  previous: number
}

/** Credential ids per read of the current secrets' issue times at flush. */
const ISSUED_CHUNK = 500

export interface UsageStats {
  recorded: number
  flushes: number
  writes: number
}

export class UsageRecorder {
  private pending = new Map<string, Pending>()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  readonly stats: UsageStats = { recorded: 0, flushes: 0, writes: 0 }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  start() {
    this.timer = setInterval(() => void this.flush(), this.intervalMs)
    this.timer.unref()
  }

  // The UTC day of the last use, so a check does not build an ISO string each time.
  private dayStart = 0
  private dayEnd = 0
  private day = ''

  private dayOf(now: number): string {
    if (now < this.dayStart || now >= this.dayEnd) {
      this.day = new Date(now).toISOString().slice(0, 10)
      this.dayStart = Date.parse(`${this.day}T00:00:00Z`)
      this.dayEnd = this.dayStart + 86_400_000
    }
    return this.day
  }

  /**
   * One use. `secretIssuedAt`: when the secret used was issued if it was the credential's current one
   * at check time, null for the previous secret. Which secret that is gets decided at the write, by
   * the issue time: a use of a secret that a rotation made previous before the flush counts as previous.
   */
  record(credentialId: string, ip: string | null, userAgent: string | null, now = Date.now(), secretIssuedAt: number | null = null) {
    this.stats.recorded++
    const ipv = ip ?? ''
    const ua = (userAgent ?? '').slice(0, 256)
    let p = this.pending.get(credentialId)
    if (!p) {
      p = { lastUsedAt: now, ip: ipv, userAgent: ua, days: new Map(), sources: new Map() }
      this.pending.set(credentialId, p)
    }
    p.lastUsedAt = Math.max(p.lastUsedAt, now)
    p.ip = ipv
    p.userAgent = ua
    const day = this.dayOf(now)
    p.days.set(day, (p.days.get(day) ?? 0) + 1)
    const key = `${ipv}\u0000${ua}`
    let s = p.sources.get(key)
    if (s) {
      s.last = now
      s.count++
    } else {
      s = { ip: ipv, userAgent: ua, first: now, last: now, count: 1, current: new Map(), previous: 0 }
      p.sources.set(key, s)
    }
    if (secretIssuedAt === null) s.previous = Math.max(s.previous, now)
    else s.current.set(secretIssuedAt, Math.max(s.current.get(secretIssuedAt) ?? 0, now))
  }

  /** Writes everything gathered so far; calls queue behind one another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch((err) => this.onError(err))
    return this.flushing
  }

  private async write() {
    if (this.pending.size === 0) return
    const batch = this.pending
    this.pending = new Map()
    this.stats.flushes++
    try {
      await this.writeBatch(batch)
    } catch (err) {
      // Nothing of the batch was committed. A passing conflict (deadlock, serialization, lock
      // timeout, busy database) puts its uses back for the next flush; any other error would fail
      // again the same way (and a lost connection may have committed), so the batch is dropped
      // rather than block every later use or count it twice.
      if (isTransient(err)) this.requeue(batch)
      throw err
    }
  }

  private requeue(batch: Map<string, Pending>) {
    for (const [id, b] of batch) {
      const p = this.pending.get(id)
      if (!p) {
        this.pending.set(id, b)
        continue
      }
      if (b.lastUsedAt > p.lastUsedAt) Object.assign(p, { lastUsedAt: b.lastUsedAt, ip: b.ip, userAgent: b.userAgent })
      for (const [day, n] of b.days) p.days.set(day, (p.days.get(day) ?? 0) + n)
      for (const [key, bs] of b.sources) {
        const ps = p.sources.get(key)
        if (!ps) {
          p.sources.set(key, bs)
          continue
        }
        ps.first = Math.min(ps.first, bs.first)
        ps.last = Math.max(ps.last, bs.last)
        ps.count += bs.count
        ps.previous = Math.max(ps.previous, bs.previous)
        for (const [at, last] of bs.current) ps.current.set(at, Math.max(ps.current.get(at) ?? 0, last))
      }
    }
  }

  private async writeBatch(batch: Map<string, Pending>) {
    await this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${sql.lit(USAGE_FLUSH_LOCK)})`.execute(trx)
      const ids = [...batch.keys()]
      const issued = new Map<string, number>()
      for (let i = 0; i < ids.length; i += ISSUED_CHUNK) {
        const rows = await trx.selectFrom('credentials').select(['id', 'created_at', 'secret_created_at'])
          .where('id', 'in', ids.slice(i, i + ISSUED_CHUNK)).execute()
        for (const r of rows) issued.set(r.id, r.secret_created_at ?? r.created_at)
      }
      for (const id of ids) {
        // A credential removed since its use (the removal job, a deleted owner) has nothing to update.
        if (!issued.has(id)) continue
        const p = batch.get(id)!
        this.stats.writes++
        await trx
          .updateTable('credentials')
          .set({
            last_used_at: sql`CASE WHEN last_used_at IS NULL OR last_used_at < ${p.lastUsedAt} THEN ${p.lastUsedAt} ELSE last_used_at END`,
            last_used_ip: p.ip || null,
            last_used_user_agent: p.userAgent || null,
          })
          .where('id', '=', id)
          .execute()
        for (const [day, count] of p.days) {
          await trx
            .insertInto('usage_daily')
            .values({ credential_id: id, day, count })
            .onConflict((oc) => oc.columns(['credential_id', 'day']).doUpdateSet({ count: sql`usage_daily.count + excluded.count` }))
            .execute()
        }
        for (const s of p.sources.values()) {
          let current = 0
          let previous = s.previous
          for (const [at, last] of s.current) {
            if (at === issued.get(id)) current = Math.max(current, last)
            else previous = Math.max(previous, last)
          }
          const later = (col: 'current_last_seen' | 'previous_last_seen') =>
            sql<number | null>`CASE WHEN excluded.${sql.ref(col)} IS NULL THEN usage_sources.${sql.ref(col)} WHEN usage_sources.${sql.ref(col)} IS NULL OR usage_sources.${sql.ref(col)} < excluded.${sql.ref(col)} THEN excluded.${sql.ref(col)} ELSE usage_sources.${sql.ref(col)} END`
          await trx
            .insertInto('usage_sources')
            .values({
              credential_id: id, ip: s.ip, user_agent: s.userAgent, first_seen: s.first, last_seen: s.last, count: s.count,
              current_last_seen: current || null, previous_last_seen: previous || null,
            })
            .onConflict((oc) =>
              oc.columns(['credential_id', 'ip', 'user_agent']).doUpdateSet({
                last_seen: sql`CASE WHEN usage_sources.last_seen < excluded.last_seen THEN excluded.last_seen ELSE usage_sources.last_seen END`,
                count: sql`usage_sources.count + excluded.count`,
                current_last_seen: later('current_last_seen'),
                previous_last_seen: later('previous_last_seen'),
              }),
            )
            .execute()
        }
      }
    })
  }

  async stop() {
    if (this.timer) clearInterval(this.timer)
    await this.flush()
  }
}

