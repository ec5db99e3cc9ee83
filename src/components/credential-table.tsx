import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react'
import { Link } from 'react-router'
import type { Credential } from '../../contract/credentials'
import { formatDate } from '../lib/format'
import { typeLabel } from '../lib/credential-types'
import { isEnded } from '../lib/token-status'
import { RelativeTime } from './ui/relative-time'
import { StatusBadge } from './ui/status-badge'
import { Select } from './ui/field'
import type { ListParams, SortKey } from '../lib/list-params'

export const scopeLabel: Record<Credential['scope'], string> = { full_access: 'Full access', read_only: 'Read-only', custom: 'Custom' }
export { typeLabel } from '../lib/credential-types'

const sortLabels: Record<SortKey, string> = {
  name: 'Name', type: 'Type', owner: 'Owner', scope: 'Scope', created: 'Created', last_used: 'Last used', expires: 'Expires', status: 'Status',
}

function SortHeader({ label, k, params, onSort, className }: { label: string; k: SortKey; params: ListParams; onSort: (k: SortKey) => void; className?: string }) {
  const active = params.sort === k
  const Icon = !active ? ArrowUpDown : params.order === 'asc' ? ArrowUp : ArrowDown
  return (
    <th scope="col" aria-sort={active ? (params.order === 'asc' ? 'ascending' : 'descending') : 'none'} className={`whitespace-nowrap px-3 py-2.5 text-left font-semibold ${className ?? ''}`}>
      <button type="button" onClick={() => onSort(k)} className="inline-flex items-center gap-1 rounded hover:text-indigo-700 dark:hover:text-indigo-300">
        {label}
        <Icon className={`size-3.5 ${active ? '' : 'opacity-40'}`} aria-hidden />
      </button>
    </th>
  )
}

/** Column headers are hidden below 640 px, so sorting gets a control of its own there. */
export function MobileSort({ params, onSort, keys }: { params: ListParams; onSort: (k: SortKey, order: 'asc' | 'desc') => void; keys: SortKey[] }) {
  return (
    <Select aria-label="Sort by" className="mb-2 sm:hidden" value={`${params.sort}:${params.order}`}
      onChange={(e) => { const [k, o] = e.target.value.split(':'); onSort(k as SortKey, o as 'asc' | 'desc') }}>
      {keys.flatMap((k) => [
        <option key={`${k}:asc`} value={`${k}:asc`}>Sort: {sortLabels[k]} ↑</option>,
        <option key={`${k}:desc`} value={`${k}:desc`}>Sort: {sortLabels[k]} ↓</option>,
      ])}
    </Select>
  )
}

/**
 * When it expires, or, for a token that has already ended (expired, revoked, leaked), that it ended:
 * "in 3 days" under a revoked token would promise a life it no longer has.
 */
export function Expires({ iso, status }: { iso: string | null; status?: Credential['status'] }) {
  if (status && isEnded({ status })) {
    return (
      <span className="whitespace-nowrap">
        Ended
        {iso && <span className="block text-xs text-slate-600 dark:text-slate-400">{status === 'expired' ? 'expired' : 'was to expire'} {formatDate(iso)}</span>}
      </span>
    )
  }
  if (!iso) return <span>Never</span>
  return (
    <span className="whitespace-nowrap">
      <RelativeTime iso={iso} />
      <span className="block text-xs text-slate-600 dark:text-slate-400">{formatDate(iso)}</span>
    </span>
  )
}

export interface Selection {
  selected: ReadonlySet<string>
  toggle: (c: Credential, on: boolean) => void
  /** Only rows that can still be revoked can be selected. */
  selectable: (c: Credential) => boolean
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
  selection?: Selection
}) {
  const { params, onSort, selection } = props
  const selectableItems = selection ? props.items.filter(selection.selectable) : []
  const allOn = selectableItems.length > 0 && selectableItems.every((c) => selection!.selected.has(c.name))
  return (
    <div className="rounded-lg border border-slate-200 bg-white sm:overflow-x-auto dark:border-slate-800 dark:bg-slate-900">
      <table className="stack-table w-full text-sm sm:min-w-[48rem]">
        <caption className="sr-only">{props.caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
          <tr>
            {selection && (
              <th scope="col" className="w-8 px-3 py-2.5">
                <input type="checkbox" className="size-4 accent-indigo-600" aria-label="Select every revocable token on this page" checked={allOn}
                  disabled={selectableItems.length === 0}
                  onChange={(e) => selectableItems.forEach((c) => selection.toggle(c, e.target.checked))} />
              </th>
            )}
            <SortHeader label="Name" k="name" params={params} onSort={onSort} className="w-full" />
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
              {selection && (
                <td className="px-3 py-2.5">
                  {selection.selectable(c) && (
                    <label className="inline-flex items-center gap-2">
                      <input type="checkbox" className="size-4 accent-indigo-600" checked={selection.selected.has(c.name)} onChange={(e) => selection.toggle(c, e.target.checked)} aria-label={`Select ${c.name}`} />
                      <span className="text-xs text-slate-600 sm:hidden dark:text-slate-400" aria-hidden>Select</span>
                    </label>
                  )}
                </td>
              )}
              <td className="min-w-48 px-3 py-2.5">
                <Link to={props.linkFor ? props.linkFor(c) : `${props.linkBase}/${encodeURIComponent(c.name)}`} className="break-all font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                  {c.name}
                </Link>
                {c.description && <span className="block max-w-md truncate text-xs text-slate-600 dark:text-slate-400">{c.description}</span>}
              </td>
              <td data-label="Type" className="whitespace-nowrap px-3 py-2.5">{typeLabel(c.type)}</td>
              {props.showOwner && <td data-label="Owner" className="break-all px-3 py-2.5 sm:break-normal sm:whitespace-nowrap">{c.owner.email}</td>}
              <td data-label="Scope" className="whitespace-nowrap px-3 py-2.5">{scopeLabel[c.scope]}</td>
              <td data-label="Created" className="whitespace-nowrap px-3 py-2.5"><RelativeTime iso={c.create_timestamp} /></td>
              <td data-label="Last used" className="whitespace-nowrap px-3 py-2.5"><RelativeTime iso={c.last_used_timestamp} /></td>
              <td data-label="Expires" className="whitespace-nowrap px-3 py-2.5"><Expires iso={c.expiry_timestamp} status={c.status} /></td>
              <td data-label="Status" className="whitespace-nowrap px-3 py-2.5"><StatusBadge credential={c} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
