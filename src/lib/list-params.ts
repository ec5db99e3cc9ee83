// Filters, sort and page live in the URL, so a view can be bookmarked and shared.
import { useSearchParams } from 'react-router'
import type { ListFilters } from './api/credentials'

export const SORTABLE = ['name', 'type', 'owner', 'scope', 'created', 'last_used', 'expires', 'status'] as const
export type SortKey = (typeof SORTABLE)[number]

export interface ListParams {
  q: string
  status: string
  type: string
  owner: string
  expiring: string
  sort: SortKey
  order: 'asc' | 'desc'
  cursor: string
  view: 'mine' | 'all'
}

export function parseListParams(sp: URLSearchParams, defaultView: 'mine' | 'all'): ListParams {
  const sort = (SORTABLE as readonly string[]).includes(sp.get('sort') ?? '') ? (sp.get('sort') as SortKey) : 'created'
  const order = sp.get('order') === 'asc' || sp.get('order') === 'desc' ? (sp.get('order') as 'asc' | 'desc') : sort === 'created' ? 'desc' : 'asc'
  const view = sp.get('view') === 'mine' || sp.get('view') === 'all' ? (sp.get('view') as 'mine' | 'all') : defaultView
  return {
    q: sp.get('q') ?? '', status: sp.get('status') ?? '', type: sp.get('type') ?? '', owner: sp.get('owner') ?? '',
    expiring: sp.get('expiring') ?? '', sort, order, cursor: sp.get('cursor') ?? '', view,
  }
}

export function toFilters(p: ListParams, canSeeAll: boolean): ListFilters {
  return {
    q: p.q || undefined,
    status: p.status || undefined,
    type: p.type || undefined,
    owner: canSeeAll && p.view === 'all' ? p.owner || undefined : undefined,
    mine: !canSeeAll || p.view === 'mine',
    expiring_within_days: p.expiring ? Number(p.expiring) : undefined,
    sort: p.sort,
    order: p.order,
    cursor: p.cursor || undefined,
  }
}

export function useListParams(defaultView: 'mine' | 'all') {
  const [sp, setSp] = useSearchParams()
  const params = parseListParams(sp, defaultView)
  /** Changes some params; any change other than the page itself starts again at the first page. */
  const update = (patch: Partial<ListParams>) => {
    const next = new URLSearchParams(sp)
    for (const [k, v] of Object.entries(patch)) {
      if (v === '' || v === undefined) next.delete(k)
      else next.set(k, String(v))
    }
    if (!('cursor' in patch)) next.delete('cursor')
    setSp(next, { replace: 'q' in patch })
  }
  return { params, update }
}
