import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Plus } from 'lucide-react'
import { Link } from 'react-router'
import { credentialQueries } from '../../../lib/api/credentials'
import { useUser } from '../../../lib/api/session'
import { toFilters, useListParams, type SortKey } from '../../../lib/list-params'
import { isAdmin, seesAll } from '../../../lib/roles'
import { PageHeader } from '../../../components/ui/card'
import { Input } from '../../../components/ui/field'
import { CursorPager, StatusSelect, useCursorStack } from '../../../components/list-controls'
import { EmptyState, ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'
import { MobileSort, TokenTable } from '../../../components/credential-table'

export function ServiceCredentialsPage() {
  const user = useUser()
  const { params, update } = useListParams('all')
  const pages = useCursorStack()
  const list = useQuery({ ...credentialQueries.list('service_credentials', { ...toFilters(params, true), mine: false, cursor: pages.cursor }), placeholderData: keepPreviousData, enabled: seesAll(user) })
  const onSort = (k: SortKey) => { pages.reset(); update({ sort: k, order: params.sort === k && params.order === 'asc' ? 'desc' : 'asc' }) }
  if (!seesAll(user)) return <NoAccess />
  return (
    <>
      <PageHeader
        title="Service Credentials"
        description="Tokens of service accounts: the non-human identities behind CI pipelines, Terraform and integrations."
        actions={isAdmin(user) && (
          <Link to="/service-credentials/new" className="inline-flex h-9 items-center gap-1.5 rounded-md bg-indigo-600 px-3.5 font-medium text-white hover:bg-indigo-500">
            <Plus className="size-4" aria-hidden /> Add service credential
          </Link>
        )}
      />
      <div className="mb-4 grid gap-2 sm:grid-cols-[2fr_1fr]">
        <Input type="search" aria-label="Search by name or description" placeholder="Search name or description" defaultValue={params.q} onChange={(e) => { pages.reset(); update({ q: e.target.value }) }} />
        <StatusSelect value={params.status} onChange={(v) => { pages.reset(); update({ status: v }) }} />
      </div>
      {list.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No service credentials">Create one for each machine that calls the API, with only the roles it needs.</EmptyState>
      ) : (
        <>
          <MobileSort params={params} keys={['created', 'name', 'last_used', 'expires']} onSort={(k, order) => { pages.reset(); update({ sort: k, order }) }} />
          <TokenTable items={list.data.items} params={params} onSort={onSort} showOwner linkBase="/service-credentials" caption="Service credentials" />
          <div className="mt-3 flex items-center justify-between text-slate-600 dark:text-slate-400">
            <p>{list.data.total} credential{list.data.total === 1 ? '' : 's'}</p>
            <CursorPager canBack={pages.depth > 0} next={list.data.next_cursor} onBack={pages.pop} onNext={pages.push} />
          </div>
        </>
      )}
    </>
  )
}
