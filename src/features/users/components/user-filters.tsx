// The Users page's search, filters and page live in the URL (like the token lists), so a view can be
// bookmarked, shared and reloaded; the server searches and pages.
import { Search } from 'lucide-react'
import { useEffect, useState } from 'react'
import { useSearchParams } from 'react-router'
import type { UserFilters } from '../../../lib/api/users'
import { Input, Select } from '../../../components/ui/field'

export interface UserListParams { q: string; role: string; disabled: string; cursor: string }
const KEYS = ['q', 'role', 'disabled', 'cursor'] as const

export function useUserListParams() {
  const [sp, setSp] = useSearchParams()
  const params = Object.fromEntries(KEYS.map((k) => [k, sp.get(k) ?? ''])) as unknown as UserListParams
  /** Changes some params; any change other than the page itself starts again at the first page. */
  const update = (patch: Partial<UserListParams>) => {
    const next = new URLSearchParams(sp)
    for (const [k, v] of Object.entries(patch)) {
      if (v) next.set(k, v)
      else next.delete(k)
    }
    if (!('cursor' in patch)) next.delete('cursor')
    setSp(next, { replace: 'q' in patch && !('role' in patch) })
  }
  const filters: UserFilters = { q: params.q || undefined, role: params.role || undefined, disabled: params.disabled || undefined, cursor: params.cursor || undefined }
  return { params, filters, update }
}

export function UserFilterBar({ params, update }: { params: UserListParams; update: (p: Partial<UserListParams>) => void }) {
  const [q, setQ] = useState(params.q)
  const [urlQ, setUrlQ] = useState(params.q)
  if (params.q !== urlQ) {
    // The URL changed (back button, cleared filters, a person just added): show its search text.
    setUrlQ(params.q)
    setQ(params.q)
  }
  useEffect(() => {
    if (q.trim() === params.q) return
    const t = setTimeout(() => update({ q: q.trim() }), 300)
    return () => clearTimeout(t)
  }, [q, params.q, update])
  return (
    <div className="mb-4 grid grid-cols-1 gap-2 sm:grid-cols-[2fr_1fr_1fr]">
      <div className="relative">
        <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-slate-500" aria-hidden />
        <Input type="search" aria-label="Search people by name or email" placeholder="Search name or email" className="pl-8" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      <Select aria-label="Role" value={params.role} onChange={(e) => update({ role: e.target.value })}>
        <option value="">Any role</option>
        <option value="admin">Administrators</option>
        <option value="developer">Developers</option>
        <option value="auditor">Auditors</option>
      </Select>
      <Select aria-label="Status" value={params.disabled} onChange={(e) => update({ disabled: e.target.value })}>
        <option value="">Active and disabled</option>
        <option value="false">Active</option>
        <option value="true">Disabled</option>
      </Select>
    </div>
  )
}
