// The audit log: filters in the URL, newest first, CSV export of the filtered set, chain integrity.
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Download, ShieldAlert, ShieldCheck } from 'lucide-react'
import { Link, useSearchParams } from 'react-router'
import { auditExportUrl, insightQueries, type QueryParams } from '../../../lib/api/insights'
import { useUser } from '../../../lib/api/session'
import { formatDateTime } from '../../../lib/format'
import { seesAll } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { CursorPager, useCursorStack } from '../../../components/list-controls'
import { PageHeader } from '../../../components/ui/card'
import { Input, Select } from '../../../components/ui/field'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'

const ACTIONS = [
  'credential.create', 'credential.renew', 'credential.revoke', 'credential.activate', 'credential.bulk_revoke', 'credential.roles_change',
  'credential.use_denied', 'credential.check_failed', 'login', 'login_failed', 'logout', 'user.create', 'user.role_change', 'user.disable',
  'user.enable', 'service_account.create',
]
const FILTERS = ['q', 'actor', 'credential', 'action', 'outcome', 'from', 'to'] as const
const outcomeTone = { success: 'green', failure: 'red', denied: 'amber' } as const

/** <input type="date"> gives a day; the API takes an instant: the day's start, or its end for "to". */
const dayToIso = (day: string, end: boolean) => (day ? new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined)

function ChainStatus() {
  const chain = useQuery(insightQueries.auditChain())
  if (!chain.data) return null
  return chain.data.intact ? (
    <p className="mb-4 flex items-center gap-2 text-emerald-800 dark:text-emerald-300"><ShieldCheck className="size-4" aria-hidden /> Hash chain intact across {chain.data.checked.toLocaleString()} events.</p>
  ) : (
    <p role="alert" className="mb-4 flex items-center gap-2 rounded-md bg-red-50 p-3 font-medium text-red-900 dark:bg-red-950 dark:text-red-200">
      <ShieldAlert className="size-4" aria-hidden /> The hash chain breaks at event #{chain.data.first_broken_id}: rows from there on may have been altered.
    </p>
  )
}

export function AuditPage() {
  const user = useUser()
  const [sp, setSp] = useSearchParams()
  const pages = useCursorStack()
  const cursor = pages.cursor
  const params: QueryParams = {}
  for (const k of FILTERS) params[k] = sp.get(k) || undefined
  const apiParams: QueryParams = { ...params, from: dayToIso(params.from ?? '', false), to: dayToIso(params.to ?? '', true), cursor, limit: '50' }
  const list = useQuery({ ...insightQueries.audit(apiParams), placeholderData: keepPreviousData })
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(sp)
    if (v) next.set(k, v)
    else next.delete(k)
    pages.reset()
    setSp(next, { replace: k === 'q' })
  }
  const { cursor: _c, limit: _l, ...exportParams } = apiParams
  return (
    <>
      <PageHeader
        title="Audit log"
        description={seesAll(user) ? 'Every change and every refused use of a token, in a tamper-evident chain.' : 'Events about your own account and tokens.'}
        actions={
          <a href={auditExportUrl(exportParams)} download className="inline-flex h-9 items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3.5 font-medium hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:hover:bg-slate-700">
            <Download className="size-4" aria-hidden /> Export CSV
          </a>
        }
      />
      {seesAll(user) && <ChainStatus />}
      <div className="mb-4 grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
        <Input type="search" aria-label="Search the audit log" placeholder="Search actor, token, action, details" defaultValue={params.q} onChange={(e) => set('q', e.target.value)} />
        <Input aria-label="Actor email" placeholder="Actor email" defaultValue={params.actor} onBlur={(e) => set('actor', e.target.value.trim())} />
        <Input aria-label="Token name" placeholder="Token name" defaultValue={params.credential} onBlur={(e) => set('credential', e.target.value.trim())} />
        <Select aria-label="Action" value={params.action ?? ''} onChange={(e) => set('action', e.target.value)}>
          <option value="">Any action</option>
          {ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}
        </Select>
        <Select aria-label="Outcome" value={params.outcome ?? ''} onChange={(e) => set('outcome', e.target.value)}>
          <option value="">Any outcome</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
          <option value="denied">Denied</option>
        </Select>
        <label className="flex items-center gap-2"><span className="w-10 shrink-0">From</span><Input type="date" value={params.from ?? ''} onChange={(e) => set('from', e.target.value)} /></label>
        <label className="flex items-center gap-2"><span className="w-10 shrink-0">To</span><Input type="date" value={params.to ?? ''} onChange={(e) => set('to', e.target.value)} /></label>
      </div>
      {list.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No events match">Change the filters or the time range.</EmptyState>
      ) : (
        <>
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full min-w-[52rem] text-sm">
              <caption className="sr-only">Audit events, newest first</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-left text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
                <tr>
                  {['When', 'Actor', 'Action', 'Target', 'Outcome', 'From'].map((h) => <th key={h} scope="col" className="px-3 py-2.5 font-semibold">{h}</th>)}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {list.data.items.map((e) => (
                  <tr key={e.id}>
                    <td className="whitespace-nowrap px-3 py-2">{formatDateTime(e.at)}</td>
                    <td className="px-3 py-2">{e.actor_email ?? <span className="text-slate-500 dark:text-slate-400">{e.actor_type}</span>}{e.credential_name && <span className="block text-xs text-slate-600 dark:text-slate-400">via token {e.credential_name}</span>}</td>
                    <td className="px-3 py-2 font-mono text-xs">{e.action}</td>
                    <td className="px-3 py-2">
                      {e.target_type === 'credential' && e.target_name ? <Link className="text-indigo-700 hover:underline dark:text-indigo-300" to={`/tokens/${e.target_name}`}>{e.target_name}</Link> : e.target_name ?? '—'}
                      {typeof e.details.reason === 'string' && <span className="block text-xs text-slate-600 dark:text-slate-400">{e.details.reason}</span>}
                    </td>
                    <td className="px-3 py-2"><Badge tone={outcomeTone[e.outcome as keyof typeof outcomeTone] ?? 'slate'}>{e.outcome}</Badge></td>
                    <td className="px-3 py-2 font-mono text-xs">{e.source_ip ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-3 flex justify-end">
            <CursorPager canBack={pages.depth > 0} next={list.data.next_cursor} onBack={pages.pop} onNext={pages.push} labels={['Newer', 'Older']} />
          </div>
        </>
      )}
    </>
  )
}
