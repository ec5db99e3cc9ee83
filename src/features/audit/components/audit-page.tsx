// The audit log: filters in the URL, newest first, CSV export of the filtered set, chain integrity.
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Download, ShieldAlert, ShieldCheck } from 'lucide-react'
import { useState } from 'react'
import { auditActions, type AuditEvent } from '../../../../contract/audit'
import { Link, useSearchParams } from 'react-router'
import { auditExportUrl, insightQueries, type QueryParams } from '../../../lib/api/insights'
import { useUser } from '../../../lib/api/session'
import { formatDateTimeSeconds } from '../../../lib/format'
import { seesAll } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { CursorPager, useCursorStack } from '../../../components/list-controls'
import { PageHeader } from '../../../components/ui/card'
import { Input, Select } from '../../../components/ui/field'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { AuditEventDialog } from './audit-event-dialog'
import { useTextFilters } from './audit-filters'

const ACTIONS = [...auditActions].sort()
const FILTERS = ['q', 'actor', 'credential', 'action', 'outcome', 'from', 'to'] as const
const outcomeTone = { success: 'green', failure: 'red', denied: 'amber' } as const

/** The family is known for creations; otherwise /credentials/<name> finds it. */
export function credentialLink(e: Pick<AuditEvent, 'target_name' | 'details'>): string {
  const name = encodeURIComponent(e.target_name ?? '')
  if (e.details.type === 'SERVICE_API_TOKEN') return `/service-credentials/${name}`
  if (e.details.type === 'API_TOKEN') return `/tokens/${name}`
  return `/credentials/${name}`
}

/** <input type="date"> gives a day; the API takes an instant: the day's start, or its end for "to". */
const dayToIso = (day: string, end: boolean) => (day ? new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined)

function ChainStatus() {
  const chain = useQuery(insightQueries.auditChain())
  if (!chain.data) return null
  return chain.data.intact ? (
    <p className="mb-4 flex items-center gap-2 text-emerald-800 dark:text-emerald-300"><ShieldCheck className="size-4" aria-hidden /> Hash chain intact across {chain.data.checked.toLocaleString()} events{chain.data.checkpoint
        ? <> since the archive checkpoint after event #{chain.data.checkpoint.last_id} (archived {new Date(chain.data.checkpoint.archived_at).toLocaleDateString()}; older events verify offline with npm run audit:verify)</>
        : null}.</p>
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
  const setMany = (patch: Record<string, string>) => {
    const next = new URLSearchParams(sp)
    let changed = false
    for (const [k, v] of Object.entries(patch)) {
      if ((next.get(k) ?? '') === v) continue
      changed = true
      if (v) next.set(k, v)
      else next.delete(k)
    }
    if (!changed) return
    pages.reset()
    setSp(next, { replace: true })
  }
  const set = (k: string, v: string) => setMany({ [k]: v })
  const text = useTextFilters(params, setMany)
  const [open, setOpen] = useState<AuditEvent | null>(null)
  // Built from what the table will show once the typed text applies: the export never differs from it.
  const typed: QueryParams = { ...apiParams, q: text.draft.q.trim() || undefined, actor: text.draft.actor.trim() || undefined, credential: text.draft.credential.trim() || undefined }
  const { cursor: _c, limit: _l, ...exportParams } = typed
  return (
    <>
      <PageHeader
        title="Audit log"
        description={seesAll(user) ? 'Every change and every refused use of a token, in a tamper-evident chain.' : 'Events about your own account and tokens.'}
        actions={
          <a href={auditExportUrl(exportParams)} download onClick={text.flush} className="inline-flex h-9 items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3.5 font-medium hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:hover:bg-slate-700">
            <Download className="size-4" aria-hidden /> Export CSV
          </a>
        }
      />
      {seesAll(user) && <ChainStatus />}
      <form className="mb-4 grid gap-2 sm:grid-cols-2 lg:grid-cols-4" role="search" aria-label="Filter the audit log" onSubmit={(e) => { e.preventDefault(); text.flush() }}>
        <Input type="search" aria-label="Search the audit log" placeholder="Search actor, token, action, details" value={text.draft.q} onChange={(e) => text.setDraft('q', e.target.value)} onBlur={text.flush} />
        <Input type="search" aria-label="Actor email" placeholder="Actor email" value={text.draft.actor} onChange={(e) => text.setDraft('actor', e.target.value)} onBlur={text.flush} />
        <Input type="search" aria-label="Token name" placeholder="Token name" value={text.draft.credential} onChange={(e) => text.setDraft('credential', e.target.value)} onBlur={text.flush} />
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
        <button type="submit" className="sr-only">Apply filters</button>
      </form>
      {list.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No events match">Change the filters or the time range.</EmptyState>
      ) : (
        <>
          <div className="rounded-lg border border-slate-200 bg-white sm:overflow-x-auto dark:border-slate-800 dark:bg-slate-900">
            <table className="stack-table w-full text-sm sm:min-w-[52rem]">
              <caption className="sr-only">Audit events, newest first</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-left text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
                <tr>
                  {['When', 'Actor', 'Action', 'Target', 'Outcome', 'From'].map((h) => <th key={h} scope="col" className="whitespace-nowrap px-3 py-2.5 font-semibold">{h}</th>)}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {list.data.items.map((e) => (
                  <tr key={e.id} className="cursor-pointer hover:bg-slate-50 dark:hover:bg-slate-800/50" onClick={(ev) => { if (!(ev.target as HTMLElement).closest('a,button')) setOpen(e) }}>
                    <td data-label="When" className="whitespace-nowrap px-3 py-2">
                      <button type="button" className="text-left tabular-nums text-indigo-700 hover:underline dark:text-indigo-300" onClick={() => setOpen(e)} aria-label={`Details of event ${e.id}, ${formatDateTimeSeconds(e.at)}`}>
                        <time dateTime={e.at}>{formatDateTimeSeconds(e.at)}</time>
                      </button>
                    </td>
                    <td data-label="Actor" className="break-all px-3 py-2">{e.actor_email ?? <span className="text-slate-500 dark:text-slate-400">{e.actor_type}</span>}{e.credential_name && <span className="block text-xs text-slate-600 dark:text-slate-400">via token {e.credential_name}</span>}</td>
                    <td data-label="Action" className="px-3 py-2 font-mono text-xs">{e.action}</td>
                    <td data-label="Target" className="break-all px-3 py-2">
                      {e.target_type === 'credential' && e.target_name ? <Link className="text-indigo-700 hover:underline dark:text-indigo-300" to={credentialLink(e)}>{e.target_name}</Link> : e.target_name ?? '—'}
                      {typeof e.details.reason === 'string' && <span className="block text-xs text-slate-600 dark:text-slate-400">{e.details.reason}</span>}
                    </td>
                    <td data-label="Outcome" className="px-3 py-2"><Badge tone={outcomeTone[e.outcome as keyof typeof outcomeTone] ?? 'slate'}>{e.outcome}</Badge></td>
                    <td data-label="From" className="px-3 py-2 font-mono text-xs">{e.source_ip ?? '—'}</td>
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
      <AuditEventDialog event={open} onClose={() => setOpen(null)} />
    </>
  )
}
