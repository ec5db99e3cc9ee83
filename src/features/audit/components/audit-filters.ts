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
  if (appliedKey !== seenKey) {
    // The URL changed from elsewhere (back button, saved link): show what it says.
    setSeenKey(appliedKey)
    setDraft({ q: applied.q ?? '', actor: applied.actor ?? '', credential: applied.credential ?? '' })
  }
  const pending = TEXT_FILTERS.some((k) => draft[k].trim() !== (applied[k] ?? ''))
  const latest = useRef({ draft, apply })
  useEffect(() => { latest.current = { draft, apply } })
  const flush = () => {
    const d = latest.current.draft
    latest.current.apply(Object.fromEntries(TEXT_FILTERS.map((k) => [k, d[k].trim()])))
  }
  useEffect(() => {
    if (!pending) return
    const t = setTimeout(flush, delay)
    return () => clearTimeout(t)
  }, [draft, pending, delay])
  return { draft, setDraft: (k: TextFilter, v: string) => setDraft((d) => ({ ...d, [k]: v })), flush, pending }
}
