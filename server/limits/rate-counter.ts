// Per-token request quotas: a fixed window aligned on the epoch (floor(now / window) * window) and a
// count of the checks and API calls in it.
//
// SQLite runs one instance: the count is kept in memory. On PostgreSQL several instances share the
// quota through one row per limited credential (rate_limit_windows), counted by an atomic upsert:
// each allowed request is one increment that PostgreSQL serialises on the row, so the instances
// together never allow more than the limit in a window (no overshoot; the bound is 0). Once a window
// is known to be used up, this instance refuses the rest of it from memory, so a flood past the
// limit costs no database round trip. Windows are aligned on the epoch, so instances agree on them up
// to their clock difference: a request counted by an instance whose clock is behind goes to the
// newer window, never to a fresh one (the upsert keeps the later window_start).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface RateQuota { limit: number; windowSeconds: number }

/** The state after one request: what the RateLimit fields report. */
export interface RateDecision {
  allowed: boolean
  limit: number
  windowSeconds: number
  /** Requests left in this window after this one. */
  remaining: number
  /** Whole seconds until the window ends (at least 1 when refused, so Retry-After is never 0). */
  reset: number
}

export interface RateCounter {
  take(credentialId: string, quota: RateQuota, now: number): RateDecision | Promise<RateDecision>
  /** Forgets a credential's window (its quota changed). */
  reset(credentialId: string): void
}

const windowStart = (now: number, windowSeconds: number) => Math.floor(now / (windowSeconds * 1000)) * windowSeconds * 1000

function decision(quota: RateQuota, start: number, count: number, now: number): RateDecision {
  const allowed = count <= quota.limit
  const left = Math.ceil((start + quota.windowSeconds * 1000 - now) / 1000)
  return { allowed, limit: quota.limit, windowSeconds: quota.windowSeconds, remaining: Math.max(0, quota.limit - count), reset: Math.max(allowed ? 0 : 1, left) }
}

/** Most windows kept in memory; past it, ended ones are dropped. */
const MAX_WINDOWS = 100_000

/** One instance (SQLite): counts in memory. */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { start: number; count: number; windowSeconds: number }>()

  take(credentialId: string, quota: RateQuota, now: number): RateDecision {
    const start = windowStart(now, quota.windowSeconds)
    let w = this.windows.get(credentialId)
    if (!w || w.start !== start || w.windowSeconds !== quota.windowSeconds) {
      if (!w && this.windows.size >= MAX_WINDOWS) this.prune(now)
      w = { start, count: 0, windowSeconds: quota.windowSeconds }
      this.windows.set(credentialId, w)
    }
    // A refused request is not counted: the count stays at the limit and the window's end is the same.
    if (w.count < quota.limit) w.count++
    else return decision(quota, start, quota.limit + 1, now)
    return decision(quota, start, w.count, now)
  }

  reset(credentialId: string) {
    this.windows.delete(credentialId)
  }

  private prune(now: number) {
    for (const [id, w] of this.windows) if (w.start + w.windowSeconds * 1000 <= now) this.windows.delete(id)
  }
}

/** Several instances (PostgreSQL): one atomic upsert per allowed request; a used-up window refused from memory. */
export class SharedRateCounter implements RateCounter {
  /** Credential → the end of a window this instance saw used up, and its quota's key. */
  private readonly exhausted = new Map<string, { until: number; key: string }>()

  constructor(private readonly db: Kysely<Database>) {}

  async take(credentialId: string, quota: RateQuota, now: number): Promise<RateDecision> {
    const start = windowStart(now, quota.windowSeconds)
    const key = `${quota.limit}/${quota.windowSeconds}`
    const known = this.exhausted.get(credentialId)
    if (known && known.key === key && now < known.until) return decision(quota, known.until - quota.windowSeconds * 1000, quota.limit + 1, now)
    const row = await this.db.insertInto('rate_limit_windows')
      .values({ credential_id: credentialId, window_start: start, count: 1 })
      .onConflict((oc) => oc.column('credential_id').doUpdateSet({
        count: sql<number>`CASE WHEN rate_limit_windows.window_start < excluded.window_start THEN 1 ELSE rate_limit_windows.count + 1 END`,
        window_start: sql<number>`GREATEST(rate_limit_windows.window_start, excluded.window_start)`,
      }))
      .returning(['count', 'window_start'])
      .executeTakeFirstOrThrow()
    const d = decision(quota, Number(row.window_start), Number(row.count), now)
    if (d.remaining === 0) {
      if (this.exhausted.size >= MAX_WINDOWS) this.exhausted.clear()
      this.exhausted.set(credentialId, { until: Number(row.window_start) + quota.windowSeconds * 1000, key })
    }
    return d
  }

  reset(credentialId: string) {
    this.exhausted.delete(credentialId)
  }
}

/**
 * The RateLimit-Policy and RateLimit fields as draft-ietf-httpapi-ratelimit-headers-10 (September
 * 2025; -08 onwards) defines them, replacing the RateLimit-Limit/-Remaining/-Reset trio of -06 and
 * before: structured-field lists of quota policy items, here one policy named "default" with q (the
 * quota) and w (the window in seconds); and its live state, r (remaining) and t (seconds until reset).
 */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  return {
    'ratelimit-policy': `"default";q=${d.limit};w=${d.windowSeconds}`,
    ratelimit: `"default";r=${d.remaining};t=${d.reset}`,
  }
}
