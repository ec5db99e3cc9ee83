import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Plus } from 'lucide-react'
import { useCallback, useState } from 'react'
import { Link } from 'react-router'
import { credentialQueries } from '../../../lib/api/credentials'
import { useUser } from '../../../lib/api/session'
import { canMutate, isAdmin, seesAll } from '../../../lib/roles'
import { Button } from '../../../components/ui/button'
import { PageHeader } from '../../../components/ui/card'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { TokenFilters } from './token-filters'
import { CursorPager } from '../../../components/list-controls'
import { MobileSort, TokenTable } from '../../../components/credential-table'
import { BulkRevokeBar, useSelection } from '../../../components/bulk-revoke'
import { toFilters, useListParams, type ListParams, type SortKey } from '../../../lib/list-params'

function ViewSwitch({ view, onChange }: { view: 'mine' | 'all'; onChange: (v: 'mine' | 'all') => void }) {
  return (
    <div role="group" aria-label="Which tokens" className="inline-flex rounded-md border border-slate-300 p-0.5 dark:border-slate-600">
      {(['mine', 'all'] as const).map((v) => (
        <button
          key={v}
          type="button"
          aria-pressed={view === v}
          onClick={() => onChange(v)}
          className={`rounded px-3 py-1.5 font-medium ${view === v ? 'bg-indigo-600 text-white' : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'}`}
        >
          {v === 'mine' ? 'My tokens' : 'All tokens'}
        </button>
      ))}
    </div>
  )
}

export function TokensPage() {
  const user = useUser()
  const all = seesAll(user)
  const { params, update: rawUpdate } = useListParams(isAdmin(user) ? 'mine' : all ? 'all' : 'mine')
  const update = useCallback((p: Partial<ListParams>) => rawUpdate(p), [rawUpdate])
  const [history, setHistory] = useState<string[]>([])
  const list = useQuery({ ...credentialQueries.list('api_credentials', toFilters(params, all)), placeholderData: keepPreviousData })
  const showOwner = all && params.view === 'all'
  const selection = useSelection()
  const filtered = Boolean(params.q || params.status || params.type || params.owner || params.expiring)

  const onSort = (k: SortKey) => {
    setHistory([])
    update({ sort: k, order: params.sort === k && params.order === 'asc' ? 'desc' : 'asc' })
  }

  return (
    <>
      <PageHeader
        title="API Tokens"
        description={isAdmin(user) ? 'Tokens people in this tenant use to call the API.' : user.role === 'auditor' ? 'Every token in the tenant (read-only).' : 'Your personal tokens for the API and CLI.'}
        actions={
          <>
            {isAdmin(user) && <ViewSwitch view={params.view} onChange={(v) => { setHistory([]); update({ view: v, owner: '' }) }} />}
            {canMutate(user) && (
              <Link to="/tokens/new" className="inline-flex h-9 items-center gap-1.5 rounded-md bg-indigo-600 px-3.5 font-medium text-white hover:bg-indigo-500">
                <Plus className="size-4" aria-hidden /> Add API token
              </Link>
            )}
          </>
        }
      />
      <TokenFilters params={params} update={(p) => { setHistory([]); update(p) }} showOwner={showOwner} />
      {list.isPending ? (
        <div className="space-y-2" aria-busy="true" aria-label="Loading tokens">
          {Array.from({ length: 5 }, (_, i) => <Skeleton key={i} className="h-10 w-full" />)}
        </div>
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No tokens match" action={<Button variant="secondary" onClick={() => update({ q: '', status: '', type: '', owner: '', expiring: '' })}>Clear filters</Button>}>
            Try another search or clear the filters.
          </EmptyState>
        ) : (
          <EmptyState title="No API tokens yet" action={canMutate(user) && <Link to="/tokens/new" className="font-medium text-indigo-700 underline dark:text-indigo-300">Create your first token</Link>}>
            Tokens let scripts, CLIs and CI pipelines call the API as you, with the scope you choose.
          </EmptyState>
        )
      ) : (
        <>
          {canMutate(user) && <BulkRevokeBar items={selection.items} onDone={selection.clear} />}
          <MobileSort params={params} keys={['created', 'name', 'last_used', 'expires']} onSort={(k, order) => { setHistory([]); update({ sort: k, order }) }} />
          <TokenTable items={list.data.items} params={params} onSort={onSort} showOwner={showOwner} linkBase="/tokens" caption="API tokens"
            selection={canMutate(user) ? selection : undefined} />
          <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-slate-600 dark:text-slate-400">
            <p aria-live="polite">
              {list.data.total ?? list.data.items.length} token{(list.data.total ?? 0) === 1 ? '' : 's'}
              {list.isFetching && ' · updating…'}
            </p>
            <CursorPager
              canBack={history.length > 0}
              next={list.data.next_cursor}
              onBack={() => { setHistory(history.slice(0, -1)); update({ cursor: history[history.length - 1] }) }}
              onNext={(next) => { setHistory([...history, params.cursor]); update({ cursor: next }) }}
            />
          </div>
        </>
      )}
    </>
  )
}
