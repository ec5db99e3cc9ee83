// The inventory's Removed view: what is left of credentials removed after two years unused, or with
// their owner's account. Nothing here authenticates; the names may be in use again.
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { RemovalReason } from '../../../../contract/lifecycle'
import { formatDate } from '../../../lib/format'
import { CursorPager, useCursorStack } from '../../../components/list-controls'
import { Input } from '../../../components/ui/field'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { removedQueries } from '../api/removed'

const reasonText: Record<RemovalReason, string> = {
  unused_two_years: 'Unused for two years',
  owner_deleted: 'Owner deleted',
}
const scopeText: Record<string, string> = { full_access: 'Full access', read_only: 'Read only', custom: 'Custom' }

export function RemovedTokens() {
  const pages = useCursorStack()
  const [q, setQ] = useState('')
  const list = useQuery(removedQueries.list({ q: q.trim() || undefined, cursor: pages.cursor }))
  return (
    <section aria-labelledby="removed-heading">
      <h2 id="removed-heading" className="sr-only">Removed tokens</h2>
      <p className="mb-3 text-slate-600 dark:text-slate-400">
        Tokens removed because no one used them for two years (730 days, even if set never to expire), or because their owner’s account was deleted. Each is also in the audit log.
      </p>
      <div className="mb-4 max-w-md">
        <Input type="search" aria-label="Search removed tokens by name" placeholder="Search name" value={q} onChange={(e) => { pages.reset(); setQ(e.target.value) }} />
      </div>
      {list.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No removed tokens">{q ? 'None matches this name.' : 'Tokens unused for two years, and those of deleted people, appear here.'}</EmptyState>
      ) : (
        <>
          <div className="rounded-lg border border-slate-200 bg-white sm:overflow-x-auto dark:border-slate-800 dark:bg-slate-900">
            <table className="stack-table w-full text-sm sm:min-w-[52rem]">
              <caption className="sr-only">Removed tokens</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-left text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
                <tr>
                  {['Name', 'Owner', 'Scope', 'Created', 'Last used', 'Removed', 'Reason'].map((h) => <th key={h} scope="col" className="px-3 py-2.5 font-semibold">{h}</th>)}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {list.data.items.map((t) => (
                  <tr key={t.id}>
                    <td className="break-all px-3 py-2.5 font-medium">{t.name}</td>
                    <td data-label="Owner" className="break-all px-3 py-2.5">{t.owner.email}</td>
                    <td data-label="Scope" className="px-3 py-2.5">{scopeText[t.scope] ?? t.scope}</td>
                    <td data-label="Created" className="whitespace-nowrap px-3 py-2.5">{formatDate(t.created_timestamp)}</td>
                    <td data-label="Last used" className="whitespace-nowrap px-3 py-2.5">{t.last_used_timestamp ? formatDate(t.last_used_timestamp) : 'Never'}</td>
                    <td data-label="Removed" className="whitespace-nowrap px-3 py-2.5">{formatDate(t.removed_timestamp)}</td>
                    <td data-label="Reason" className="px-3 py-2.5">{reasonText[t.reason]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-3 flex justify-end">
            <CursorPager canBack={pages.depth > 0} next={list.data.next_cursor} onBack={pages.pop} onNext={pages.push} />
          </div>
        </>
      )}
    </section>
  )
}
