import { Search } from 'lucide-react'
import { useEffect, useState } from 'react'
import { Input, Select } from '../../../components/ui/field'
import { StatusSelect } from '../../../components/list-controls'
import { OwnerCombobox } from '../../../components/owner-combobox'
import type { ListParams } from '../../../lib/list-params'
import { typeLabel } from '../../../lib/credential-types'

export function TokenFilters({ params, update, showOwner }: { params: ListParams; update: (p: Partial<ListParams>) => void; showOwner: boolean }) {
  const [q, setQ] = useState(params.q)
  const [urlQ, setUrlQ] = useState(params.q)
  if (params.q !== urlQ) {
    // The URL changed (back button, cleared filters): show its search text.
    setUrlQ(params.q)
    setQ(params.q)
  }
  useEffect(() => {
    if (q === params.q) return
    const t = setTimeout(() => update({ q }), 300)
    return () => clearTimeout(t)
  }, [q, params.q, update])

  return (
    <div className="mb-4 grid grid-cols-1 gap-2 sm:grid-cols-2 lg:grid-cols-[2fr_1fr_1fr_1fr]">
      <div className="relative">
        <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-slate-500" aria-hidden />
        <Input type="search" aria-label="Search by name or description" placeholder="Search name or description" className="pl-8" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      <StatusSelect value={params.status} onChange={(v) => update({ status: v })} />
      <Select aria-label="Expiring within" value={params.expiring} onChange={(e) => update({ expiring: e.target.value })}>
        <option value="">Any expiry</option>
        <option value="7">Expiring within 7 days</option>
        <option value="14">Expiring within 14 days</option>
        <option value="30">Expiring within 30 days</option>
        <option value="90">Expiring within 90 days</option>
      </Select>
      {showOwner ? (
        <OwnerCombobox aria-label="Owner" emptyLabel="Any owner" value={params.owner} onChange={(u) => update({ owner: u?.id ?? '' })} />
      ) : (
        <Select aria-label="Type" value={params.type} onChange={(e) => update({ type: e.target.value })}>
          <option value="">Any type</option>
          <option value="API_TOKEN">{typeLabel('API_TOKEN')}</option>
        </Select>
      )}
    </div>
  )
}
