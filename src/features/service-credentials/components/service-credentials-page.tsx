import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Plus } from 'lucide-react'
import { useState } from 'react'
import { Link } from 'react-router'
import { credentialQueries } from '../../../lib/api/credentials'
import { useUser } from '../../../lib/api/session'
import { toFilters, useListParams, type SortKey } from '../../../lib/list-params'
import { isAdmin } from '../../../lib/roles'
import { Button } from '../../../components/ui/button'
import { PageHeader } from '../../../components/ui/card'
import { Input, Select } from '../../../components/ui/field'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { TokenTable } from '../../../components/credential-table'

export function ServiceCredentialsPage() {
  const user = useUser()
  const { params, update } = useListParams('all')
  const [history, setHistory] = useState<string[]>([])
  const list = useQuery({ ...credentialQueries.list('service_credentials', { ...toFilters(params, true), mine: false }), placeholderData: keepPreviousData })
  const onSort = (k: SortKey) => { setHistory([]); update({ sort: k, order: params.sort === k && params.order === 'asc' ? 'desc' : 'asc' }) }
  return (
    <>
      <PageHeader
        title="Service Credentials"
        description="Tokens of service accounts: the non-human identities behind CI pipelines, Terraform and integrations."
        actions={isAdmin(user) && (
          <Link to="/tokens/new?type=service" className="inline-flex h-9 items-center gap-1.5 rounded-md bg-indigo-600 px-3.5 font-medium text-white hover:bg-indigo-500">
            <Plus className="size-4" aria-hidden /> Add service credential
          </Link>
        )}
      />
      <div className="mb-4 grid gap-2 sm:grid-cols-[2fr_1fr]">
        <Input type="search" aria-label="Search by name or description" placeholder="Search name or description" defaultValue={params.q} onChange={(e) => update({ q: e.target.value })} />
        <Select aria-label="Status" value={params.status} onChange={(e) => update({ status: e.target.value })}>
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="expired">Expired</option>
          <option value="revoked">Revoked</option>
          <option value="disabled">Disabled</option>
        </Select>
      </div>
      {list.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No service credentials">Create one for each machine that calls the API, with only the roles it needs.</EmptyState>
      ) : (
        <>
          <TokenTable items={list.data.items} params={params} onSort={onSort} showOwner linkBase="/service-credentials" caption="Service credentials" />
          <div className="mt-3 flex items-center justify-between text-slate-600 dark:text-slate-400">
            <p>{list.data.total} credential{list.data.total === 1 ? '' : 's'}</p>
            <div className="flex gap-2">
              <Button variant="secondary" size="sm" disabled={!history.length} onClick={() => { setHistory(history.slice(0, -1)); update({ cursor: history[history.length - 1] }) }}>Previous</Button>
              <Button variant="secondary" size="sm" disabled={!list.data.next_cursor} onClick={() => { setHistory([...history, params.cursor]); update({ cursor: list.data.next_cursor ?? '' }) }}>Next</Button>
            </div>
          </div>
        </>
      )}
    </>
  )
}
