// Failed checks of well-formed tokens, counted per source in memory: the audit log gets one row per
// source, credential and reason per interval (with the count, first and last time) instead of one
// per attempt, and a source past the failure limit gets 429 with Retry-After on its failures while
// valid checks, its own included, keep answering. A flood therefore costs a map update, not a
// hash-chained, fsync'd row per request.
import type { AuditContext, AuditLog } from './audit.js'

/** not_yet_valid and address_not_allowed: a valid token used before its start or from outside its allowlist. */
export type FailureReason = 'unknown' | 'expired' | 'revoked' | 'disabled' | 'not_yet_valid' | 'address_not_allowed'

interface Aggregate {
  ip: string | null
  userAgent: string | null
  reason: FailureReason
  credential: { id: string; name: string; ownerId: string; ownerEmail: string } | null
  prefix: string
  count: number
  first: number
  last: number
}

/** A credential's refused checks counted since the last write, as the audit row will hold them. */
export interface PendingFailure {
  ip: string | null
  userAgent: string | null
  reason: FailureReason
  count: number
  first: number
  last: number
}

interface Window {
  start: number
  count: number
}

export interface FailureLimits {
  /** Failures one source may have per window before its failures get 429; 0 turns the limit off. */
  limit: number
  windowMs: number
  /** How often aggregated rows are written. */
  intervalMs: number
  /** Most distinct (source, credential, reason) keys kept between flushes; past it, one overflow row. */
  maxKeys?: number
}

export class FailedChecks {
  private aggregates = new Map<string, Aggregate>()
  /** The batch a flush is writing: until it commits, its rows are in neither the map nor the log. */
  private writing: Aggregate[] = []
  private windows = new Map<string, Window>()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  readonly stats = { failures: 0, limited: 0, rowsWritten: 0 }
  /** Counted by reason since start, for /metrics and the dashboard. */
  readonly byReason: Record<FailureReason, number> = { unknown: 0, expired: 0, revoked: 0, disabled: 0, not_yet_valid: 0, address_not_allowed: 0 }

  constructor(
    private readonly audit: AuditLog,
    private readonly limits: FailureLimits,
    private readonly onError: (err: unknown) => void,
  ) {}

  start() {
    this.timer = setInterval(() => void this.flush(), this.limits.intervalMs)
    this.timer.unref()
  }

  /**
   * Records one failure; returns the seconds until the source may fail again when it is over its
   * limit (the caller answers 429), else undefined (the caller answers 401).
   */
  record(ctx: AuditContext, reason: FailureReason, credential: Aggregate['credential'], prefix: string, now = Date.now()): number | undefined {
    this.stats.failures++
    this.byReason[reason]++
    const source = ctx.ip ?? ''
    const max = this.limits.maxKeys ?? 10_000
    let key = `${source}\u0000${credential?.id ?? ''}\u0000${reason}`
    let agg = this.aggregates.get(key)
    if (!agg && this.aggregates.size >= max) {
      key = `\u0000overflow\u0000${reason}`
      agg = this.aggregates.get(key)
    }
    if (agg) {
      agg.count++
      agg.last = now
    } else {
      const overflow = key.startsWith('\u0000overflow')
      this.aggregates.set(key, {
        ip: overflow ? null : ctx.ip, userAgent: overflow ? null : ctx.userAgent, reason,
        credential: overflow ? null : credential, prefix, count: 1, first: now, last: now,
      })
    }
    if (!this.limits.limit) return undefined
    let w = this.windows.get(source)
    if (!w || now - w.start >= this.limits.windowMs) {
      if (!w && this.windows.size >= max) this.windows.clear()
      w = { start: now, count: 0 }
      this.windows.set(source, w)
    }
    w.count++
    if (w.count <= this.limits.limit) return undefined
    this.stats.limited++
    return Math.max(1, Math.ceil((w.start + this.limits.windowMs - now) / 1000))
  }

  /**
   * One credential's failures not yet in the audit log (counted, or being written), so a view of its
   * refused uses (the leak timeline) is current within seconds rather than one interval behind. A
   * reader may see a row both here and in the log while a write commits: the row's first time and
   * source tell them apart.
   */
  pendingFor(credentialId: string): PendingFailure[] {
    const out: PendingFailure[] = []
    for (const a of [...this.writing, ...this.aggregates.values()]) {
      if (a.credential?.id !== credentialId) continue
      out.push({ ip: a.ip, userAgent: a.userAgent, reason: a.reason, count: a.count, first: a.first, last: a.last })
    }
    return out
  }

  /** Writes the aggregated rows gathered so far in one transaction; calls queue behind one another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch(this.onError)
    return this.flushing
  }

  private async write() {
    if (this.aggregates.size === 0) return
    const batch = [...this.aggregates.values()]
    this.aggregates = new Map()
    this.writing = batch
    const now = Date.now()
    for (const [source, w] of this.windows) if (now - w.start >= this.limits.windowMs) this.windows.delete(source)
    try {
      await this.audit.transact(async (trx) => {
        for (const a of batch) {
          const details = { reason: a.reason === 'unknown' ? 'unknown_token' : a.reason, count: a.count, first: new Date(a.first).toISOString(), last: new Date(a.last).toISOString(), prefix: a.prefix }
          if (a.credential) {
            await this.audit.append(trx, { ip: a.ip, userAgent: a.userAgent }, {
              action: 'credential.use_denied', actor: { id: a.credential.ownerId, email: a.credential.ownerEmail, type: 'token', credentialName: a.credential.name },
              targetType: 'credential', targetName: a.credential.name, targetOwnerId: a.credential.ownerId, outcome: 'denied', details,
            }, a.last)
          } else {
            await this.audit.append(trx, { ip: a.ip, userAgent: a.userAgent }, {
              action: 'credential.check_failed', actor: { id: null, email: null, type: 'anonymous' }, outcome: 'failure', details,
            }, a.last)
          }
        }
      })
    } finally {
      this.writing = []
    }
    this.stats.rowsWritten += batch.length
  }

  async stop() {
    clearInterval(this.timer)
    await this.flush()
  }
}
