// Audit filters: typed text applies on Enter, on leaving the field, or after a pause; the export link
// is built from the same values, so the table and the CSV always show the same set.
import { useEffect, useRef, useState } from 'react'
import type { QueryParams } from '../../../lib/api/insights'

export const TEXT_FILTERS = ['q', 'actor', 'credential'] as const
export type TextFilter = (typeof TEXT_FILTERS)[number]

export function useTextFilters(applied: QueryParams, apply: (patch: Record<string, string>) => void, delay = 500) {
  const [draft, setDraft] = useState<Record<TextFilter, string>>(() => ({ q: applied.q ?? '', actor: applied.actor ?? '', credential: applied.credential ?? '' }))
  const appliedKey = TEXT_FILTERS.map((k) => applied[k] ?? '').join('\u0000')
  const [seenKey, setSeenKey] = useState(appliedKey)
  /** The filters this hook last applied: when the URL arrives at them, the fields already say so. */
  const [ours, setOurs] = useState<string | null>(null)
  if (appliedKey !== seenKey) {
    setSeenKey(appliedKey)
    // The URL changed from elsewhere (back button, saved link): show what it says. Our own apply
    // (say, on leaving a field) can land after more typing in the next field: keep that typing.
    if (appliedKey !== ours) setDraft({ q: applied.q ?? '', actor: applied.actor ?? '', credential: applied.credential ?? '' })
  }
  const pending = TEXT_FILTERS.some((k) => draft[k].trim() !== (applied[k] ?? ''))
  const latest = useRef({ draft, apply })
  useEffect(() => { latest.current = { draft, apply } })
  const flush = () => {
    const d = latest.current.draft
    const patch = Object.fromEntries(TEXT_FILTERS.map((k) => [k, d[k].trim()])) as Record<TextFilter, string>
    setOurs(TEXT_FILTERS.map((k) => patch[k]).join('\u0000'))
    latest.current.apply(patch)
  }
  useEffect(() => {
    if (!pending) return
    const t = setTimeout(flush, delay)
    return () => clearTimeout(t)
  }, [draft, pending, delay])
  return { draft, setDraft: (k: TextFilter, v: string) => setDraft((d) => ({ ...d, [k]: v })), flush, pending }
}
