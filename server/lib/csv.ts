// CSV cells for the exports. csvCell is also sent as source text to the SQLite read threads, which
// format export slices there (server/db/read-pool.ts): keep it self-contained (no imports, no helpers).

/** Quotes a CSV cell; a leading = + - @ (or tab/CR) is neutralised so spreadsheets do not run it as a formula. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n']/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}
