// Medians, number formatting and the target check printed beside every figure.
export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : 'n/a')
export const fixed = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a')

export interface Target {
  op: '>=' | '<=' | '<' | '='
  value: number
  unit: string
}

export function targetText(t: Target): string {
  const op = { '>=': '≥', '<=': '≤', '<': '<', '=': '=' }[t.op]
  return `${op} ${t.value}${t.unit}`
}

export function meets(value: number, t: Target): boolean {
  if (!Number.isFinite(value)) return false
  switch (t.op) {
    case '>=': return value >= t.value
    case '<=': return value <= t.value
    case '<': return value < t.value
    case '=': return value === t.value
  }
}

export interface Verdict {
  line: string
  figure: string
  target: string
  met: boolean
}

/** Every verdict printed so far, for the closing summary. */
export const verdicts: Verdict[] = []
let scope = ''
/** Names the database (or part) the following lines belong to, in the closing summary. */
export function setScope(s: string): void {
  scope = s
}

/** Prints one line: label, the figure(s), the target and met/MISSED; remembers the verdict. */
export function line(label: string, figure: string, value: number, target?: Target, note = ''): void {
  let tail = ''
  if (target) {
    const met = meets(value, target)
    verdicts.push({ line: scope ? `${scope}: ${label}` : label, figure, target: targetText(target), met })
    tail = `target ${targetText(target).padEnd(8)} ${met ? 'met' : 'MISSED'}`
  }
  console.log(`  ${label.padEnd(46)} ${figure.padEnd(34)} ${tail.padEnd(22)}${note ? `  ${note}` : ''}`.trimEnd())
}

export function printSummary(): void {
  if (verdicts.length === 0) return
  const met = verdicts.filter((v) => v.met).length
  console.log(`\nTargets: ${met} of ${verdicts.length} met`)
  for (const v of verdicts) console.log(`  ${v.met ? 'met   ' : 'MISSED'} ${v.line.padEnd(58)} ${v.figure.padEnd(34)} target ${v.target}`)
}
