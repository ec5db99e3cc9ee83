// Seed 003's measures for administrators: issuance, revocation, refused checks and validations over
// the last hours and days. Prometheus scrapes the same figures from /metrics.
import { useQuery } from '@tanstack/react-query'
import { Navigate } from 'react-router'
import type { MetricsSummary } from '../../../../contract/metrics'
import { insightQueries } from '../../../lib/api/insights'
import { useUser } from '../../../lib/api/session'
import { seesAll } from '../../../lib/roles'
import { Card, PageHeader } from '../../../components/ui/card'
import { ErrorState, Skeleton } from '../../../components/ui/states'

type Series = MetricsSummary['hourly']
type Key = 'issued' | 'revoked' | 'refused_checks' | 'failed_logins'
const labels: Record<Key, string> = { issued: 'Issued', revoked: 'Revoked', refused_checks: 'Refused checks', failed_logins: 'Failed sign-ins' }
const colours: Record<Key, string> = { issued: 'fill-indigo-500', revoked: 'fill-slate-500', refused_checks: 'fill-red-500', failed_logins: 'fill-amber-500' }

function Bars({ values, label, colour }: { values: number[]; label: string; colour: string }) {
  const max = Math.max(1, ...values)
  return (
    <svg viewBox={`0 0 ${values.length * 6} 40`} className="h-12 w-full" preserveAspectRatio="none" role="img" aria-label={`${label}: ${values.join(', ')}`}>
      {values.map((v, i) => <rect key={i} x={i * 6} y={40 - Math.max(v ? 3 : 1, (v / max) * 40)} width={5} height={Math.max(v ? 3 : 1, (v / max) * 40)} className={v ? colour : 'fill-slate-200 dark:fill-slate-800'} />)}
    </svg>
  )
}

function SeriesCard({ title, series, unit }: { title: string; series: Series; unit: string }) {
  return (
    <Card>
      <h2 className="mb-3">{title}</h2>
      <div className="grid gap-4 sm:grid-cols-2">
        {(Object.keys(labels) as Key[]).map((k) => (
          <div key={k}>
            <p className="flex justify-between"><span className="font-medium">{labels[k]}</span><span className="tabular-nums">{series.reduce((s, b) => s + b[k], 0)}</span></p>
            <Bars values={series.map((b) => b[k])} label={`${labels[k]} per ${unit}`} colour={colours[k]} />
          </div>
        ))}
      </div>
    </Card>
  )
}

export function DashboardPage() {
  const user = useUser()
  const q = useQuery({ ...insightQueries.metrics(), enabled: seesAll(user) })
  if (!seesAll(user)) return <Navigate to="/tokens" replace />
  if (q.isPending) return <Skeleton className="h-64 w-full" />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />
  const m = q.data
  const tiles: Array<[string, number]> = [
    ['Active personal tokens', m.active_tokens.API_TOKEN],
    ['Active service credentials', m.active_tokens.SERVICE_API_TOKEN],
    ['Token checks today', m.totals_24h.validations],
    ['Refused checks (24 h)', m.totals_24h.refused_checks],
  ]
  return (
    <>
      <PageHeader title="Dashboard" description="Token issuance, revocation and checks. Prometheus can scrape the same measures from /metrics." />
      <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {tiles.map(([label, v]) => (
          <Card key={label}><p className="text-slate-600 dark:text-slate-400">{label}</p><p className="mt-1 text-2xl font-semibold tabular-nums">{v.toLocaleString()}</p></Card>
        ))}
      </div>
      <div className="grid gap-4 xl:grid-cols-2">
        <SeriesCard title="Last 24 hours" series={m.hourly} unit="hour" />
        <SeriesCard title="Last 14 days" series={m.daily} unit="day" />
        <Card>
          <h2 className="mb-3">Token checks per day</h2>
          <Bars values={m.validations_daily.map((d) => d.count)} label="Token checks per day, last 14 days" colour="fill-emerald-500" />
        </Card>
      </div>
    </>
  )
}
