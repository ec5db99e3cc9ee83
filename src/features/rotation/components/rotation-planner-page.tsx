import { useQuery } from '@tanstack/react-query'
import { CalendarPlus } from 'lucide-react'
import { useState } from 'react'
import { Link } from 'react-router'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import type { PlannerGroup } from '../../../../contract/planner'
import { credentialQueries, useCredentialAction, type Family } from '../../../lib/api/credentials'
import { useUser } from '../../../lib/api/session'
import { downloadText } from '../../../lib/calendar'
import { formatDate } from '../../../lib/format'
import { typeLabel } from '../../../lib/credential-types'
import { canMutate, seesAll } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { CursorPager, useCursorStack } from '../../../components/list-controls'
import { Button } from '../../../components/ui/button'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { Card, PageHeader } from '../../../components/ui/card'
import { RelativeTime } from '../../../components/ui/relative-time'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { reminderIcs, ROTATION_STEPS } from '../planner'
import { useRotation } from './rotate-flow'
import { RevokeExpired, RevokeProgress } from './revoke-expired'

function downloadIcs(c: Credential) {
  downloadText(`rotate-${c.name}.ics`, reminderIcs(c, window.location.origin), 'text/calendar')
}

const familyOf = (c: Credential): Family => (c.type === 'SERVICE_API_TOKEN' ? 'service_credentials' : 'api_credentials')
const detailPath = (c: Credential) => `${c.type === 'SERVICE_API_TOKEN' ? '/service-credentials' : '/tokens'}/${encodeURIComponent(c.name)}`

function PlanItem({ c, tone, onRotate, rotating }: { c: Credential; tone: 'red' | 'amber' | 'slate'; onRotate?: () => void; rotating: boolean }) {
  // An expired token has nothing left to rotate or be reminded of: it is revoked (alone or with
  // "Revoke all expired") or renewed from its page.
  const expired = c.status === 'expired'
  return (
    <li className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <Link to={detailPath(c)} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">{c.name}</Link>
          <p className="text-slate-600 dark:text-slate-400">
            {c.owner.email} · {typeLabel(c.type)} · {c.status === 'expired' ? 'expired' : 'expires'} <RelativeTime iso={c.expiry_timestamp} /> ({formatDate(c.expiry_timestamp!)})
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {c.replaced_by && <Badge tone="slate">Rotated: its successor is {c.replaced_by}</Badge>}
          <Badge tone={tone}>{c.status === 'expired' ? 'Expired' : 'Expiring'}</Badge>
          {!expired && (
            <Button size="sm" variant="secondary" onClick={() => downloadIcs(c)} aria-label={`Download a calendar reminder for ${c.name}`}>
              <CalendarPlus className="size-3.5" aria-hidden /> Reminder
            </Button>
          )}
          {onRotate && !expired && (
            <Button size="sm" onClick={onRotate} disabled={rotating} aria-label={`Rotate ${c.name}`}>{rotating ? 'Rotating…' : 'Rotate'}</Button>
          )}
        </div>
      </div>
      {!expired && <details className="mt-2">
        <summary className="cursor-pointer text-slate-700 dark:text-slate-300">Rotation steps</summary>
        <ol className="mt-2 space-y-1">
          {ROTATION_STEPS.map((s, i) => (
            <li key={s}>
              <label className="flex items-center gap-2"><input type="checkbox" className="size-4 accent-indigo-600" /> {i + 1}. {s}</label>
            </li>
          ))}
        </ol>
      </details>}
    </li>
  )
}

function ReplacedItem({ c, mutate }: { c: Credential; mutate: boolean }) {
  const revoke = useCredentialAction(familyOf(c), 'revoke')
  const [confirming, setConfirming] = useState(false)
  return (
    <li className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
      <div>
        <Link to={detailPath(c)} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">{c.name}</Link>
        <p className="text-slate-600 dark:text-slate-400">
          Replaced by {c.replaced_by}, revoke when callers have switched · last used <RelativeTime iso={c.last_used_timestamp} />
        </p>
      </div>
      {mutate && (
        <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>Revoke {c.name}</Button>
      )}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Revoke ${c.name}?`}
        consequence={<>Callers still using it are refused at once (last used <RelativeTime iso={c.last_used_timestamp} />). <strong>This cannot be undone</strong> by its owner.</>}
        confirmLabel="Revoke token"
        pending={revoke.isPending}
        error={revoke.error?.message}
        onConfirm={() => revoke.mutate(c.name, { onSuccess: () => { toast.success(`${c.name} revoked`); setConfirming(false) } })}
      />
    </li>
  )
}

const GROUPS: Array<{ key: PlannerGroup; title: string; tone: 'red' | 'amber' | 'slate' }> = [
  { key: 'expired', title: 'Expired', tone: 'red' },
  { key: '3', title: 'Expires within 3 days', tone: 'amber' },
  { key: '7', title: 'Expires within 7 days', tone: 'amber' },
  { key: '14', title: 'Expires within 14 days', tone: 'slate' },
]
/** Items per page within a group: the most urgent first, the rest a page away. */
const PAGE = 20

/** One expiry group: its count (from the server's counters) and its items a page at a time. */
function PlannerGroupCard({ group, title, tone, count, mutate, rotation, families, onRevoking }: {
  group: PlannerGroup; title: string; tone: 'red' | 'amber' | 'slate'; count: number; mutate: boolean; rotation: ReturnType<typeof useRotation>
  /** The families whose expired credentials this person may revoke all at once. */
  families: Family[]
  onRevoking: (jobs: string[]) => void
}) {
  const pages = useCursorStack()
  const page = useQuery(credentialQueries.planner(group, pages.cursor, PAGE))
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <h2>{title} <span className="font-normal text-slate-600 dark:text-slate-400">({count.toLocaleString()})</span></h2>
        {count > PAGE && page.data && (
          <span className="text-slate-600 dark:text-slate-400">
            {(pages.depth * PAGE + 1).toLocaleString()}–{Math.min((pages.depth + 1) * PAGE, pages.depth * PAGE + page.data.items.length).toLocaleString()} of {count.toLocaleString()}
            {page.isFetching && ' · updating…'}
          </span>
        )}
      </div>
      {group === 'expired' && mutate && <RevokeExpired families={families} onStarted={onRevoking} />}
      {page.isPending ? (
        <Skeleton className="h-24 w-full" />
      ) : page.isError ? (
        <ErrorState error={page.error} onRetry={() => page.refetch()} />
      ) : (
        <>
          <ul className="space-y-2">
            {page.data.items.map((c) => (
              <PlanItem key={c.uid} c={c} tone={tone} onRotate={mutate && !c.replaced_by ? () => rotation.start(c) : undefined} rotating={rotation.pendingName === c.name} />
            ))}
          </ul>
          {(pages.depth > 0 || page.data.next_cursor) && (
            <div className="mt-3"><CursorPager canBack={pages.depth > 0} next={page.data.next_cursor} onBack={pages.pop} onNext={pages.push} labels={['More urgent', 'Less urgent']} /></div>
          )}
        </>
      )}
    </Card>
  )
}

export function RotationPlannerPage() {
  const user = useUser()
  const all = seesAll(user)
  // The first group's answer carries every group's count; the other groups are read when they have items.
  const first = useQuery(credentialQueries.planner('expired', undefined, PAGE))
  const replacedPersonal = useQuery(credentialQueries.list('api_credentials', { replaced: true, status: 'active', limit: 200, mine: !all }))
  const replacedService = useQuery({ ...credentialQueries.list('service_credentials', { replaced: true, status: 'active', limit: 200 }), enabled: all })
  const queries = [first, replacedPersonal, ...(all ? [replacedService] : [])]
  const failed = queries.find((q) => q.isError)
  const mutate = canMutate(user)
  const rotation = useRotation()
  const [revoking, setRevoking] = useState<string[]>([])

  return (
    <>
      <PageHeader title="Rotation planner" description="Tokens that expire within two weeks, and expired ones, most urgent first. Rotate before they expire so nothing breaks." />
      {failed?.error ? (
        <ErrorState error={failed.error} onRetry={() => queries.forEach((q) => q.refetch())} />
      ) : queries.some((q) => q.isPending) ? (
        <Skeleton className="h-40 w-full" />
      ) : (
        (() => {
          const counts = first.data!.groups
          const replaced = [...new Map([...(replacedPersonal.data?.items ?? []), ...(replacedService.data?.items ?? [])].map((c) => [c.uid, c])).values()]
          const shown = GROUPS.filter((g) => counts[g.key] > 0)
          if (!shown.length && !replaced.length) {
            return (
              <div className="space-y-4">
                <RevokeProgress jobs={revoking} />
                <EmptyState title="Nothing to rotate">No token expires in the next 14 days.</EmptyState>
              </div>
            )
          }
          return (
            <div className="space-y-4">
              <RevokeProgress jobs={revoking} />
              <p className="text-slate-700 dark:text-slate-300" data-testid="planner-counts">
                {GROUPS.map((g) => `${g.title}: ${counts[g.key].toLocaleString()}`).join(' · ')}
              </p>
              {shown.map((g) => <PlannerGroupCard key={g.key} group={g.key} title={g.title} tone={g.tone} count={counts[g.key]} mutate={mutate} rotation={rotation}
                families={all ? ['api_credentials', 'service_credentials'] : ['api_credentials']} onRevoking={setRevoking} />)}
              {replaced.length > 0 && (
                <Card>
                  <h2 className="mb-3">Replaced, still active ({replaced.length})</h2>
                  <ul className="space-y-2">{replaced.map((c) => <ReplacedItem key={c.uid} c={c} mutate={mutate} />)}</ul>
                </Card>
              )}
            </div>
          )
        })()
      )}
      {rotation.element}
    </>
  )
}
