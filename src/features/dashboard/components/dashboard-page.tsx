// Seed 003's measures for administrators and auditors: issuance, revocation, refused checks and
// validations. The check counters are read from the same counter /metrics exposes
// (tc_token_validations_total), so the two always agree; the series come from the audit log.
import { useQuery } from '@tanstack/react-query'
import type { CheckCounters } from '../../../../contract/console'
import type { MetricsSummary } from '../../../../contract/metrics'
import { consoleQueries } from '../../../lib/api/console'
import { insightQueries } from '../../../lib/api/insights'
import { useUser } from '../../../lib/api/session'
import { formatDateTime, formatDayMonth } from '../../../lib/format'
import { seesAll } from '../../../lib/roles'
import { Card, PageHeader } from '../../../components/ui/card'
import { ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'

type Series = MetricsSummary['hourly']
type Key = 'issued' | 'revoked' | 'refused_checks' | 'failed_logins'
const labels: Record<Key, string> = { issued: 'Issued', revoked: 'Revoked', refused_checks: 'Refused checks (audited)', failed_logins: 'Failed sign-ins' }
const colours: Record<Key, string> = { issued: 'fill-indigo-500', revoked: 'fill-slate-500', refused_checks: 'fill-red-500', failed_logins: 'fill-amber-500' }

/** Bars with a y-axis maximum and dated x-axis ticks (first, middle, last). */
export function Bars({ values, starts, label, colour, unit }: { values: number[]; starts: string[]; label: string; colour: string; unit: 'hour' | 'day' }) {
  const max = Math.max(1, ...values)
  const tick = (iso: string) => (unit === 'day' ? formatDayMonth(iso) : new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }))
  const ticks = [0, Math.floor((values.length - 1) / 2), values.length - 1]
  return (
    <figure>
      <div className="flex gap-1.5">
        <div className="flex h-12 flex-col justify-between text-right text-[0.65rem] leading-none tabular-nums text-slate-600 dark:text-slate-400" aria-hidden>
          <span>{max}</span><span>0</span>
        </div>
        <svg viewBox={`0 0 ${values.length * 6} 40`} className="h-12 w-full border-b border-l border-slate-300 dark:border-slate-700" preserveAspectRatio="none" role="img"
          aria-label={`${label}: ${values.map((v, i) => `${tick(starts[i])} ${v}`).join(', ')}`}>
          {values.map((v, i) => <rect key={i} x={i * 6} y={40 - Math.max(v ? 3 : 1, (v / max) * 40)} width={5} height={Math.max(v ? 3 : 1, (v / max) * 40)} className={v ? colour : 'fill-slate-200 dark:fill-slate-800'}><title>{`${tick(starts[i])}: ${v}`}</title></rect>)}
        </svg>
      </div>
      <figcaption className="mt-1 flex justify-between pl-5 text-xs text-slate-600 dark:text-slate-400" data-testid="x-axis">
        {ticks.map((i) => <span key={i}>{tick(starts[i])}</span>)}
      </figcaption>
    </figure>
  )
}

function SeriesCard({ title, series, unit }: { title: string; series: Series; unit: 'hour' | 'day' }) {
  return (
    <Card>
      <h2 className="mb-3">{title}</h2>
      <div className="grid gap-4 sm:grid-cols-2">
        {(Object.keys(labels) as Key[]).map((k) => (
          <div key={k}>
            <p className="flex justify-between"><span className="font-medium">{labels[k]}</span><span className="tabular-nums">{series.reduce((s, b) => s + b[k], 0)}</span></p>
            <Bars values={series.map((b) => b[k])} starts={series.map((b) => b.start)} label={`${labels[k]} per ${unit}`} colour={colours[k]} unit={unit} />
          </div>
        ))}
      </div>
    </Card>
  )
}

const reasonLabel: Array<[Exclude<keyof CheckCounters['outcomes'], 'valid'>, string, string]> = [
  ['unknown', 'Unknown token', 'a well-formed value that matches no token'],
  ['malformed', 'Malformed', 'not a token at all (wrong prefix or checksum); never audited'],
  ['expired', 'Expired', ''],
  ['revoked', 'Revoked', ''],
  ['disabled', 'Owner disabled', ''],
]

export function CheckCountersCard({ c }: { c: CheckCounters }) {
  const refused = reasonLabel.reduce((s, [k]) => s + c.outcomes[k], 0)
  return (
    <Card>
      <h2 className="mb-1">Token checks since {formatDateTime(c.since)}</h2>
      <p className="mb-3 text-slate-600 dark:text-slate-400">
        This instance’s counters, exactly as <code className="font-mono text-xs">/metrics</code> reports <code className="font-mono text-xs">tc_token_validations_total</code>.
      </p>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 sm:grid-cols-3">
        <div><dt className="text-slate-600 dark:text-slate-400">Accepted</dt><dd className="text-lg font-semibold tabular-nums">{c.outcomes.valid.toLocaleString()}</dd></div>
        <div><dt className="text-slate-600 dark:text-slate-400">Refused</dt><dd className="text-lg font-semibold tabular-nums" data-testid="refused-total">{refused.toLocaleString()}</dd></div>
        {reasonLabel.map(([k, label, help]) => (
          <div key={k}><dt className="text-slate-600 dark:text-slate-400" title={help || undefined}>Refused: {label}</dt><dd className="font-semibold tabular-nums" data-testid={`refused-${k}`}>{c.outcomes[k].toLocaleString()}</dd></div>
        ))}
      </dl>
    </Card>
  )
}

export function DashboardPage() {
  const user = useUser()
  const q = useQuery({ ...insightQueries.metrics(), enabled: seesAll(user) })
  const checks = useQuery({ ...consoleQueries.checks(), enabled: seesAll(user) })
  if (!seesAll(user)) return <NoAccess />
  if (q.isPending) return <Skeleton className="h-64 w-full" />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />
  const m = q.data
  const refusedSinceStart = checks.data ? Object.entries(checks.data.outcomes).reduce((s, [k, v]) => s + (k === 'valid' ? 0 : v), 0) : undefined
  const tiles: Array<[string, number | undefined]> = [
    ['Active personal tokens', m.active_tokens.API_TOKEN],
    ['Active service credentials', m.active_tokens.SERVICE_API_TOKEN],
    ['Token uses today (recorded)', m.totals_24h.validations],
    ['Refused checks since start', refusedSinceStart],
  ]
  return (
    <>
      <PageHeader title="Dashboard" description="Token issuance, revocation and checks. Prometheus scrapes the same counters from /metrics." />
      <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {tiles.map(([label, v]) => (
          <Card key={label}><p className="text-slate-600 dark:text-slate-400">{label}</p><p className="mt-1 text-2xl font-semibold tabular-nums">{v === undefined ? '…' : v.toLocaleString()}</p></Card>
        ))}
      </div>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
        {checks.data && <CheckCountersCard c={checks.data} />}
        <Card>
          <h2 className="mb-3">Token uses per day (last 14 days)</h2>
          <Bars values={m.validations_daily.map((d) => d.count)} starts={m.validations_daily.map((d) => d.day)} label="Token uses per day" colour="fill-emerald-500" unit="day" />
        </Card>
        <SeriesCard title="Last 24 hours" series={m.hourly} unit="hour" />
        <SeriesCard title="Last 14 days" series={m.daily} unit="day" />
      </div>
    </>
  )
}
