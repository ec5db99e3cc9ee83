import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react'
import { Link } from 'react-router'
import type { Credential } from '../../contract/credentials'
import { formatDate } from '../lib/format'
import { RelativeTime } from './ui/relative-time'
import { StatusBadge } from './ui/status-badge'
import type { ListParams, SortKey } from '../lib/list-params'

export const scopeLabel: Record<Credential['scope'], string> = { full_access: 'Full access', read_only: 'Read-only', custom: 'Custom' }
export const typeLabel = (t: string) => (t === 'API_TOKEN' ? 'Personal' : t === 'SERVICE_API_TOKEN' ? 'Service' : t)

function SortHeader({ label, k, params, onSort }: { label: string; k: SortKey; params: ListParams; onSort: (k: SortKey) => void }) {
  const active = params.sort === k
  const Icon = !active ? ArrowUpDown : params.order === 'asc' ? ArrowUp : ArrowDown
  return (
    <th scope="col" aria-sort={active ? (params.order === 'asc' ? 'ascending' : 'descending') : 'none'} className="px-3 py-2.5 text-left font-semibold">
      <button type="button" onClick={() => onSort(k)} className="inline-flex items-center gap-1 rounded hover:text-indigo-700 dark:hover:text-indigo-300">
        {label}
        <Icon className={`size-3.5 ${active ? '' : 'opacity-40'}`} aria-hidden />
      </button>
    </th>
  )
}

export function Expires({ iso }: { iso: string | null }) {
  if (!iso) return <span>never</span>
  return (
    <span>
      <RelativeTime iso={iso} />
      <span className="block text-xs text-slate-600 dark:text-slate-400">{formatDate(iso)}</span>
    </span>
  )
}

export function TokenTable(props: {
  items: Credential[]
  params: ListParams
  onSort: (k: SortKey) => void
  showOwner: boolean
  linkBase: string
  caption: string
  /** Where a row links; defaults to linkBase/name. */
  linkFor?: (c: Credential) => string
}) {
  const { params, onSort } = props
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <table className="w-full min-w-[48rem] text-sm">
        <caption className="sr-only">{props.caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
          <tr>
            <SortHeader label="Name" k="name" params={params} onSort={onSort} />
            <SortHeader label="Type" k="type" params={params} onSort={onSort} />
            {props.showOwner && <SortHeader label="Owner" k="owner" params={params} onSort={onSort} />}
            <SortHeader label="Scope" k="scope" params={params} onSort={onSort} />
            <SortHeader label="Created" k="created" params={params} onSort={onSort} />
            <SortHeader label="Last used" k="last_used" params={params} onSort={onSort} />
            <SortHeader label="Expires" k="expires" params={params} onSort={onSort} />
            <SortHeader label="Status" k="status" params={params} onSort={onSort} />
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {props.items.map((c) => (
            <tr key={c.uid} className="hover:bg-slate-50 dark:hover:bg-slate-800/50">
              <td className="px-3 py-2.5">
                <Link to={props.linkFor ? props.linkFor(c) : `${props.linkBase}/${encodeURIComponent(c.name)}`} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                  {c.name}
                </Link>
                {c.description && <span className="block max-w-xs truncate text-xs text-slate-600 dark:text-slate-400">{c.description}</span>}
              </td>
              <td className="px-3 py-2.5">{typeLabel(c.type)}</td>
              {props.showOwner && <td className="px-3 py-2.5">{c.owner.email}</td>}
              <td className="px-3 py-2.5">{scopeLabel[c.scope]}</td>
              <td className="px-3 py-2.5"><RelativeTime iso={c.create_timestamp} /></td>
              <td className="px-3 py-2.5"><RelativeTime iso={c.last_used_timestamp} /></td>
              <td className="px-3 py-2.5"><Expires iso={c.expiry_timestamp} /></td>
              <td className="px-3 py-2.5"><StatusBadge credential={c} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
