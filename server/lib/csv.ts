// CSV cells for the exports, on the event loop and in the SQLite read threads that format export
// slices (server/db/read-worker.ts).

/** Quotes a CSV cell; a leading = + - @ (or tab/CR) is neutralised so spreadsheets do not run it as a formula. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n']/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}
