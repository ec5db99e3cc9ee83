// Token checks come first on a busy core. Console work that runs on the event loop in long slices
// (a CSV export formatting a page of rows, the audit chain check hashing one) asks here how long to
// step back after each slice: while checks are arriving, a slice that held the loop for t ms is
// followed by a pause of t·(1−s)/s, so such work takes at most the share s of the loop; on a server
// with no check traffic there is no pause. (The SQLite read threads are lowered by the scheduler
// instead: CONSOLE_READ_NICE.)
import { ApiError } from './errors.js'

/** Checks seen within this many milliseconds mean the check path is busy. */
const BUSY_WINDOW_MS = 250
/** The longest single pause, so an export on a saturated server still moves. */
const MAX_PAUSE_MS = 5000

let lastCheck = -Infinity
let share = 0.1

/** Called by every token and certificate check: one clock read. */
export function noteCheck() {
  lastCheck = performance.now()
}

/** The share of the event loop console slices may take while checks arrive (0 < s ≤ 1; 1 turns pacing off). */
export function setConsoleLoopShare(s: number) {
  if (!(s > 0 && s <= 1)) throw new Error(`the console's share of the event loop must be above 0 and at most 1, got ${s}`)
  share = s
  bookedUntil = 0
}

/** Where the console's shared share of the loop is booked up to (performance.now() time). */
let bookedUntil = 0

/**
 * How long console work that just held the loop for `spentMs` should pause before its next slice.
 * The share is one for all console work together: each slice books its pause after those already
 * booked, so eight exports at once take the share between them, not eight times it.
 */
export function pauseAfter(spentMs: number, now = performance.now()): number {
  // Checks seen up to the slice's start count: while the slice held the loop, none could be seen.
  if (share >= 1 || now - spentMs - lastCheck > BUSY_WINDOW_MS) return 0
  bookedUntil = Math.max(bookedUntil, now) + (spentMs * (1 - share)) / share
  return Math.min(bookedUntil - now, MAX_PAUSE_MS)
}

/** Pauses console work after a slice of `spentMs` when token checks are arriving. */
export async function yieldToChecks(spentMs: number): Promise<void> {
  const ms = pauseAfter(spentMs)
  if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms))
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
  private refilledAt = performance.now()
  private readonly line: Array<{ go: () => void }> = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly rate: number,
    private readonly burst = 5,
    private readonly waitMs = 2000,
  ) {
    this.tokens = burst
  }

  private refill(now: number) {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.rate) / 1000)
    this.refilledAt = now
  }

  private busy(now: number) {
    return now - lastCheck <= BUSY_WINDOW_MS
  }

  /** Resolves when a console request may start; rejects with a 503 past the wait limit. */
  admit(): Promise<void> | undefined {
    if (this.rate <= 0) return undefined
    const now = performance.now()
    this.refill(now)
    if (!this.line.length && (!this.busy(now) || this.tokens >= 1)) {
      if (this.busy(now)) this.tokens -= 1
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
      const now = performance.now()
      this.refill(now)
      while (this.line.length && (!this.busy(now) || this.tokens >= 1)) {
        if (this.busy(now)) this.tokens -= 1
        this.line.shift()!.go()
      }
      this.schedule()
    }, Math.max(1, 1000 / this.rate))
    this.timer.unref()
  }
}
