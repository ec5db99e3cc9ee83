// Token usage (seed 000 step 9): daily uses over 90 days, the sources seen, never-used and idle flags.
import { useQuery } from '@tanstack/react-query'
import type { UsageResponse } from '../../../../contract/usage'
import type { Family } from '../../../lib/api/credentials'
import { insightQueries } from '../../../lib/api/insights'
import { formatDate } from '../../../lib/format'
import { Badge } from '../../../components/ui/badge'
import { Card } from '../../../components/ui/card'
import { RelativeTime } from '../../../components/ui/relative-time'
import { ErrorState, Skeleton } from '../../../components/ui/states'

function DailyChart({ daily }: { daily: UsageResponse['daily'] }) {
  const max = Math.max(1, ...daily.map((d) => d.count))
  const w = 4
  const gap = 1
  const h = 64
  return (
    <figure>
      <svg viewBox={`0 0 ${daily.length * (w + gap)} ${h}`} className="h-20 w-full" preserveAspectRatio="none" role="img"
        aria-label={`Daily uses over the last 90 days, at most ${max} a day`}>
        {daily.map((d, i) => {
          const bh = d.count === 0 ? 1 : Math.max(3, (d.count / max) * h)
          return (
            <rect key={d.day} x={i * (w + gap)} y={h - bh} width={w} height={bh} className={d.count ? 'fill-indigo-500' : 'fill-slate-200 dark:fill-slate-800'}>
              <title>{`${formatDate(d.day)}: ${d.count} use${d.count === 1 ? '' : 's'}`}</title>
            </rect>
          )
        })}
      </svg>
      <figcaption className="mt-1 flex justify-between text-xs text-slate-600 dark:text-slate-400">
        <span>{formatDate(daily[0].day)}</span>
        <span>today</span>
      </figcaption>
    </figure>
  )
}

export function UsageCard({ family, name }: { family: Family; name: string }) {
  const q = useQuery(insightQueries.usage(family, name))
  if (q.isPending) return <Card><Skeleton className="h-24 w-full" /></Card>
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />
  const u = q.data
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <h2>Usage</h2>
        {u.never_used ? <Badge tone="amber">Never used</Badge> : u.idle_days >= 30 ? <Badge tone="amber">Idle for {u.idle_days} days</Badge> : <Badge tone="green">In use</Badge>}
      </div>
      <p className="mb-3 text-slate-600 dark:text-slate-400">
        {u.total_uses_90d.toLocaleString()} use{u.total_uses_90d === 1 ? '' : 's'} in 90 days · last used <RelativeTime iso={u.last_used_timestamp} never="never" />
        {u.last_used_ip && <> from {u.last_used_ip}</>}
      </p>
      <DailyChart daily={u.daily} />
      <h3 className="mb-2 mt-4 font-semibold">Sources</h3>
      {u.sources.length === 0 ? (
        <p className="text-slate-600 dark:text-slate-400">No calls seen yet.</p>
      ) : (
        // Focusable, so a keyboard can scroll the table where it is wider than the card.
        <div className="sm:overflow-x-auto" tabIndex={0} role="region" aria-label="Sources that used this token">
          <table className="stack-table w-full text-sm sm:min-w-[36rem]">
            <caption className="sr-only">Sources that used this token</caption>
            <thead className="text-left text-slate-600 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1.5 pr-3 font-semibold">IP address</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">User agent</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">First seen</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Last seen</th>
                <th scope="col" className="py-1.5 text-right font-semibold">Uses</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {u.sources.map((s) => (
                <tr key={`${s.ip}-${s.user_agent}`}>
                  <td data-label="IP address" className="py-1.5 pr-3 font-mono text-xs">{s.ip || '—'}</td>
                  <td data-label="User agent" className="break-all py-1.5 pr-3 sm:max-w-xs sm:truncate" title={s.user_agent}>{s.user_agent || '—'}</td>
                  <td data-label="First seen" className="whitespace-nowrap py-1.5 pr-3"><RelativeTime iso={s.first_seen} /></td>
                  <td data-label="Last seen" className="whitespace-nowrap py-1.5 pr-3"><RelativeTime iso={s.last_seen} /></td>
                  <td data-label="Uses" className="py-1.5 tabular-nums sm:text-right">{s.count.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  )
}
