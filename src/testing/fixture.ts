// A component test's stand-in for an API answer, checked against the contract schema the server
// answers with: a missing or mistyped field fails the test here, and so does a field the contract
// does not have (zod's z.object would drop it silently), so fixtures cannot drift from the API.
import type { z } from 'zod'

export function fixture<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    throw new Error(`fixture does not match the contract: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
  }
  const extra = extraKeys(value, parsed.data, '')
  if (extra.length) throw new Error(`fixture has fields the contract does not: ${extra.join(', ')}`)
  return parsed.data
}

function extraKeys(given: unknown, kept: unknown, at: string): string[] {
  if (Array.isArray(given) && Array.isArray(kept)) return given.flatMap((g, i) => extraKeys(g, kept[i], `${at}[${i}]`))
  if (!isRecord(given) || !isRecord(kept)) return []
  return Object.keys(given).flatMap((k) => (k in kept ? extraKeys(given[k], kept[k], at ? `${at}.${k}` : k) : [at ? `${at}.${k}` : k]))
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
