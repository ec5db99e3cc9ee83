// Token checks come first on a busy core. Console work that runs on the event loop in long slices
// (a CSV export formatting a page of rows, the audit chain check hashing one) asks here how long to
// step back after each slice: while checks are arriving, a slice that held the loop for t ms is
// followed by a pause of t·(1−s)/s, so such work takes at most the share s of the loop; on a server
// with no check traffic there is no pause. (The SQLite read threads are lowered by the scheduler
// instead: CONSOLE_READ_NICE.)

/** Checks seen within this many milliseconds mean the check path is busy. */
const BUSY_WINDOW_MS = 250
/** The longest single pause, so an export on a saturated server still moves. */
const MAX_PAUSE_MS = 1000

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
}

/** How long console work that just held the loop for `spentMs` should pause before its next slice. */
export function pauseAfter(spentMs: number, now = performance.now()): number {
  if (share >= 1 || now - lastCheck > BUSY_WINDOW_MS) return 0
  return Math.min((spentMs * (1 - share)) / share, MAX_PAUSE_MS)
}

/** Pauses console work after a slice of `spentMs` when token checks are arriving. */
export async function yieldToChecks(spentMs: number): Promise<void> {
  const ms = pauseAfter(spentMs)
  if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms))
}
