// A token a secret scanner reported shows what happened, in order: its last accepted
// use before the report, the report (where it was found), the revoke, and every use refused since.
import { useQuery } from '@tanstack/react-query'
import { ShieldAlert } from 'lucide-react'
import type { LeakTimelineEvent } from '../../../../contract/leaks'
import type { Family } from '../../../lib/api/credentials'
import { consoleQueries } from '../../../lib/api/console'
import { formatDateTime } from '../../../lib/format'
import { Card } from '../../../components/ui/card'
import { ErrorState, Skeleton } from '../../../components/ui/states'

const source = (e: LeakTimelineEvent) => [e.ip, e.user_agent].filter(Boolean).join(' · ')

function describe(e: LeakTimelineEvent): { title: string; detail?: string } {
  switch (e.kind) {
    case 'last_use':
      return { title: 'Last accepted use before the report', detail: source(e) || undefined }
    case 'reported':
      return { title: 'Reported as leaked', detail: [e.source && `found by ${e.source}`, e.url].filter(Boolean).join(' at ') || undefined }
    case 'revoked':
      return { title: e.by === 'leak report' ? 'Revoked by the leak report, at once' : `Revoked${e.by ? ` by ${e.by}` : ''}`, detail: source(e) || undefined }
    case 'refused_use': {
      const n = e.count ?? 1
      const until = e.last_at && e.last_at !== e.at ? `, last at ${formatDateTime(e.last_at)}` : ''
      return { title: `${n} use${n === 1 ? '' : 's'} refused${until}`, detail: source(e) || 'unknown source' }
    }
  }
}

/** While the page is open, refused uses keep arriving: the server counts them as they happen. */
export const LEAK_TIMELINE_REFRESH_MS = 3000

export function LeakTimelineCard({ family, name }: { family: Family; name: string }) {
  const q = useQuery({ ...consoleQueries.leakTimeline(family, name), refetchInterval: LEAK_TIMELINE_REFRESH_MS })
  return (
    <Card className="border-red-300 dark:border-red-900">
      <h2 className="mb-3 flex items-center gap-2 text-red-800 dark:text-red-300">
        <ShieldAlert className="size-5" aria-hidden /> Leak timeline
      </h2>
      {q.isPending ? <Skeleton className="h-24 w-full" /> : q.isError ? <ErrorState error={q.error} onRetry={() => q.refetch()} /> : (
        <>
          <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">
            A secret scanner reported this token on {formatDateTime(q.data.leaked_timestamp)}. It can never be re-activated;
            {' '}{q.data.events.some((e) => e.kind === 'refused_use') ? 'someone is still trying to use it: the sources below were refused.' : 'no use has been attempted since.'}
          </p>
          <ol className="relative space-y-3 border-s border-slate-200 ps-4 dark:border-slate-700" aria-label="Leak timeline, oldest first">
            {q.data.events.map((e, i) => {
              const { title, detail } = describe(e)
              return (
                <li key={`${e.kind}-${e.at}-${i}`} className="relative">
                  <span aria-hidden className={`absolute -start-[1.3rem] top-1.5 size-2.5 rounded-full ${e.kind === 'refused_use' || e.kind === 'reported' ? 'bg-red-500' : 'bg-slate-400'}`} />
                  <p className="font-medium">{title}</p>
                  <p className="text-xs text-slate-600 dark:text-slate-400">
                    <time dateTime={e.at}>{formatDateTime(e.at)}</time>{detail ? <> · <span className="break-all">{detail}</span></> : null}
                  </p>
                </li>
              )
            })}
          </ol>
          {q.data.truncated && <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">Older refused uses are in the audit log.</p>}
        </>
      )}
    </Card>
  )
}
