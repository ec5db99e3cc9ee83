// Seed 002's organisation-wide token table: every token of every user and service account.
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Download } from 'lucide-react'
import { Link, useSearchParams } from 'react-router'
import { insightQueries } from '../../../lib/api/insights'
import { useUser } from '../../../lib/api/session'
import { parseListParams, type SortKey } from '../../../lib/list-params'
import { inventoryExportUrl } from '../../../lib/api/console'
import { isAdmin, seesAll } from '../../../lib/roles'
import { BulkRevokeBar, useSelection } from '../../../components/bulk-revoke'
import { TokenTable } from '../../../components/credential-table'
import { CursorPager, StatusSelect, useCursorStack } from '../../../components/list-controls'
import { OwnerCombobox } from '../../../components/owner-combobox'
import { PageHeader } from '../../../components/ui/card'
import { Input, Select } from '../../../components/ui/field'
import { EmptyState, ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'
import { SavedSearches } from './saved-searches'
import { RemovedTokens } from './removed-tokens'

type Key = 'q' | 'account_type' | 'usage' | 'owner' | 'status' | 'expiring'

export function InventoryPage() {
  const user = useUser()
  const [sp, setSp] = useSearchParams()
  const pages = useCursorStack()
  const params = parseListParams(sp, 'all')
  const get = (k: Key) => sp.get(k) ?? ''
  const query = {
    q: get('q') || undefined, account_type: get('account_type') || undefined, usage: get('usage') || undefined,
    owner: get('owner') || undefined, status: get('status') || undefined, expiring_within_days: get('expiring') || undefined,
    sort: params.sort, order: params.order, cursor: pages.cursor,
  }
  const removed = sp.get('view') === 'removed'
  const list = useQuery({ ...insightQueries.inventory(query), placeholderData: keepPreviousData, enabled: seesAll(user) && !removed })
  const selection = useSelection()
  if (!seesAll(user)) return <NoAccess />
  const set = (patch: Record<string, string>) => {
    const next = new URLSearchParams(sp)
    for (const [k, v] of Object.entries(patch)) if (v) next.set(k, v); else next.delete(k)
    pages.reset()
    setSp(next, { replace: 'q' in patch })
  }
  const onSort = (k: SortKey) => set({ sort: k, order: params.sort === k && params.order === 'asc' ? 'desc' : 'asc' })
  const { cursor: _c, ...exportQuery } = query
  return (
    <>
      <PageHeader
        title="Token inventory"
        description="Every token of every person and service account: find the unused and idle ones, and who owns them."
        actions={
          <a href={inventoryExportUrl(exportQuery)} download className="inline-flex h-9 items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3.5 font-medium hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:hover:bg-slate-700">
            <Download className="size-4" aria-hidden /> Export CSV
          </a>
        }
      />
      <nav aria-label="Inventory views" className="mb-4 flex gap-1 border-b border-slate-200 dark:border-slate-800">
        {([['Tokens', '/inventory', !removed], ['Removed', '/inventory?view=removed', removed]] as const).map(([label, to, current]) => (
          <Link key={label} to={to} aria-current={current ? 'page' : undefined}
            className={`-mb-px border-b-2 px-3 py-2 font-medium ${current ? 'border-indigo-600 text-indigo-700 dark:text-indigo-300' : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100'}`}>
            {label}
          </Link>
        ))}
      </nav>
      {removed ? <RemovedTokens /> : (
      <div className="grid gap-4 2xl:grid-cols-[1fr_18rem]">
        <div className="min-w-0">
          <div className="mb-4 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
            <Input type="search" aria-label="Search by name or description" placeholder="Search name or description" defaultValue={get('q')} onChange={(e) => set({ q: e.target.value })} />
            <Select aria-label="Account type" value={get('account_type')} onChange={(e) => set({ account_type: e.target.value })}>
              <option value="">People and service accounts</option>
              <option value="user">People (personal tokens)</option>
              <option value="service">Service accounts</option>
            </Select>
            <Select aria-label="Usage" value={get('usage')} onChange={(e) => set({ usage: e.target.value })}>
              <option value="">Any usage</option>
              <option value="never_used">Never used</option>
              <option value="idle_30">Idle more than 30 days</option>
              <option value="idle_90">Idle more than 90 days</option>
              <option value="idle_365">Idle more than 365 days</option>
              <option value="used_24h">Used in the last 24 hours</option>
            </Select>
            <OwnerCombobox aria-label="Owner" emptyLabel="Any owner" value={get('owner')} onChange={(u) => set({ owner: u?.id ?? '' })} />
            <StatusSelect value={get('status')} onChange={(v) => set({ status: v })} />
            <Select aria-label="Expiry window" value={get('expiring')} onChange={(e) => set({ expiring: e.target.value })}>
              <option value="">Any expiry</option>
              <option value="14">Expiring within 14 days</option>
              <option value="30">Expiring within 30 days</option>
              <option value="90">Expiring within 90 days</option>
            </Select>
            <Select aria-label="Sort by" value={`${params.sort}:${params.order}`} onChange={(e) => { const [k, o] = e.target.value.split(':'); set({ sort: k, order: o }) }}>
              <option value="last_used:asc">Least recently used first</option>
              <option value="last_used:desc">Most recently used first</option>
              <option value="owner:asc">Owner A–Z</option>
              <option value="name:asc">Name A–Z</option>
              <option value="expires:asc">Expiring soonest first</option>
              <option value="created:desc">Newest first</option>
              <option value="created:asc">Oldest first</option>
            </Select>
          </div>
          {list.isPending ? (
            <Skeleton className="h-40 w-full" />
          ) : list.isError ? (
            <ErrorState error={list.error} onRetry={() => list.refetch()} />
          ) : list.data.items.length === 0 ? (
            <EmptyState title="No tokens match">Change or clear the filters.</EmptyState>
          ) : (
            <>
              {isAdmin(user) && <BulkRevokeBar items={selection.items} onDone={selection.clear} />}
              <TokenTable items={list.data.items} params={params} onSort={onSort} showOwner linkBase="/tokens" caption="Token inventory" selection={isAdmin(user) ? selection : undefined}
                linkFor={(c) => `${c.type === 'SERVICE_API_TOKEN' ? '/service-credentials' : '/tokens'}/${encodeURIComponent(c.name)}`} />
              <div className="mt-3 flex items-center justify-between text-slate-600 dark:text-slate-400">
                <p aria-live="polite" className="mr-2">{list.data.total} token{list.data.total === 1 ? '' : 's'}</p>
                <CursorPager canBack={pages.depth > 0} next={list.data.next_cursor} onBack={pages.pop} onNext={pages.push} />
              </div>
            </>
          )}
        </div>
        <SavedSearches />
      </div>
      )}
    </>
  )
}
