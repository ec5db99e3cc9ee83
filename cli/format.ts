// --output table: aligned columns for lists, key/value rows for one object.
export function table(headers: string[], rows: Array<Array<string | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => c ?? '-'))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n'
}

export function keyValues(entries: Array<[string, string | number | boolean | null | undefined]>): string {
  const width = Math.max(...entries.map(([k]) => k.length))
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${v ?? '-'}`).join('\n') + '\n'
}
