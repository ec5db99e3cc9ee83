// Token checks come first on a busy core. Console work that runs on the event loop in long slices
// (a CSV export formatting a page of rows, the audit chain check hashing one) asks here how long to
// step back after each slice: while checks are arriving, a slice that held the loop for t ms is
// followed by a pause of t·(1−s)/s, so such work takes at most the share s of the loop; on a server
// with no check traffic there is no pause. (The SQLite read threads are lowered by the scheduler
// instead: CONSOLE_READ_NICE.)
//
// One CheckPressure is made per app and passed to the check path (which notes checks) and to the
// console work that steps back (which asks it for pauses); it keeps no state at module level, so two
// apps in one process, or two tests with different clocks, never see each other's checks.
import { ApiError } from './errors.js'

/** Checks seen within this many milliseconds mean the check path is busy. */
const BUSY_WINDOW_MS = 250
/** The longest single pause, so an export on a saturated server still moves. */
const MAX_PAUSE_MS = 5000

/** Milliseconds on a monotonic clock (performance.now() by default). */
export type Clock = () => number

export class CheckPressure {
  private lastCheck = -Infinity
  /** Where the console's shared share of the loop is booked up to, on this clock. */
  private bookedUntil = 0
  private share: number
  readonly now: Clock

  constructor(opts: { share?: number; clock?: Clock } = {}) {
    this.now = opts.clock ?? (() => performance.now())
    this.share = CheckPressure.validShare(opts.share ?? 0.1)
  }

  private static validShare(s: number) {
    if (!(s > 0 && s <= 1)) throw new Error(`the console's share of the event loop must be above 0 and at most 1, got ${s}`)
    return s
  }

  /** Called by every token and certificate check: one clock read. */
  noteCheck() {
    this.lastCheck = this.now()
  }

  /** Whether a check was seen within the busy window before `now`. */
  busy(now = this.now()) {
    return now - this.lastCheck <= BUSY_WINDOW_MS
  }

  /** The share of the event loop console slices may take while checks arrive (0 < s ≤ 1; 1 turns pacing off). */
  setShare(s: number) {
    this.share = CheckPressure.validShare(s)
    this.bookedUntil = 0
  }

  /**
   * How long console work that just held the loop for `spentMs` should pause before its next slice.
   * The share is one for all console work together: each slice books its pause after those already
   * booked, so eight exports at once take the share between them, not eight times it.
   */
  pauseAfter(spentMs: number, now = this.now()): number {
    // Checks seen up to the slice's start count: while the slice held the loop, none could be seen.
    if (this.share >= 1 || now - spentMs - this.lastCheck > BUSY_WINDOW_MS) return 0
    this.bookedUntil = Math.max(this.bookedUntil, now) + (spentMs * (1 - this.share)) / this.share
    return Math.min(this.bookedUntil - now, MAX_PAUSE_MS)
  }

  /** Pauses console work after a slice of `spentMs` when token checks are arriving. */
  async yieldToChecks(spentMs: number): Promise<void> {
    const ms = this.pauseAfter(spentMs)
    if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms))
  }
}

/**
 * Console requests while checks arrive: each costs the event loop a few milliseconds of its own
 * (parsing PostgreSQL rows, mapping and serializing a page) besides its database work, and a few
 * people paging quickly or a script polling the console API would take that from the checks. So while
 * checks arrive, console requests start at most `rate` a second (a bucket of `burst`), in arrival
 * order; one that cannot start within `waitMs` is answered 503 with Retry-After. Without check
 * traffic they start at once.
 */
export class ConsoleGate {
  private tokens: number
  private refilledAt: number
  private readonly line: Array<{ go: () => void }> = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly pressure: CheckPressure,
    private readonly rate: number,
    private readonly burst = 5,
    private readonly waitMs = 2000,
  ) {
    this.tokens = burst
    this.refilledAt = pressure.now()
  }

  private refill(now: number) {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.rate) / 1000)
    this.refilledAt = now
  }

  /** Resolves when a console request may start; rejects with a 503 past the wait limit. */
  admit(): Promise<void> | undefined {
    if (this.rate <= 0) return undefined
    const now = this.pressure.now()
    this.refill(now)
    const busy = this.pressure.busy(now)
    if (!this.line.length && (!busy || this.tokens >= 1)) {
      if (busy) this.tokens -= 1
      return undefined
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        go: () => { clearTimeout(expire); resolve() },
      }
      const expire = setTimeout(() => {
        const i = this.line.indexOf(entry)
        if (i >= 0) this.line.splice(i, 1)
        reject(new ApiError('UNAVAILABLE', 'The server is busy answering token checks, and console requests wait their turn meanwhile; try again in a moment', [], { 'retry-after': '1' }))
      }, this.waitMs)
      this.line.push(entry)
      this.schedule()
    })
  }

  private schedule() {
    if (this.timer || !this.line.length) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      const now = this.pressure.now()
      this.refill(now)
      while (this.line.length && (!this.pressure.busy(now) || this.tokens >= 1)) {
        if (this.pressure.busy(now)) this.tokens -= 1
        this.line.shift()!.go()
      }
      this.schedule()
    }, Math.max(1, 1000 / this.rate))
    this.timer.unref()
  }
}
