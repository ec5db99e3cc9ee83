import { useQuery } from '@tanstack/react-query'
import { CalendarPlus } from 'lucide-react'
import { useState } from 'react'
import { Link } from 'react-router'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import { credentialQueries, useCredentialAction, type Family } from '../../../lib/api/credentials'
import { useUser } from '../../../lib/api/session'
import { downloadText } from '../../../lib/calendar'
import { formatDate } from '../../../lib/format'
import { canMutate, seesAll } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { Card, PageHeader } from '../../../components/ui/card'
import { RelativeTime } from '../../../components/ui/relative-time'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { groupTitles, planRotation, reminderIcs, ROTATION_STEPS, type GroupKey } from '../planner'
import { useRotation } from './rotate-flow'

function downloadIcs(c: Credential) {
  downloadText(`rotate-${c.name}.ics`, reminderIcs(c, window.location.origin), 'text/calendar')
}

const familyOf = (c: Credential): Family => (c.type === 'SERVICE_API_TOKEN' ? 'service_credentials' : 'api_credentials')
const detailPath = (c: Credential) => `${c.type === 'SERVICE_API_TOKEN' ? '/service-credentials' : '/tokens'}/${encodeURIComponent(c.name)}`

function PlanItem({ c, tone, onRotate, rotating }: { c: Credential; tone: 'red' | 'amber' | 'slate'; onRotate?: () => void; rotating: boolean }) {
  return (
    <li className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <Link to={detailPath(c)} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">{c.name}</Link>
          <p className="text-slate-600 dark:text-slate-400">
            {c.owner.email} · {c.status === 'expired' ? 'expired' : 'expires'} <RelativeTime iso={c.expiry_timestamp} /> ({formatDate(c.expiry_timestamp!)})
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <Badge tone={tone}>{c.status === 'expired' ? 'Expired' : 'Expiring'}</Badge>
          <Button size="sm" variant="secondary" onClick={() => downloadIcs(c)} aria-label={`Download a calendar reminder for ${c.name}`}>
            <CalendarPlus className="size-3.5" aria-hidden /> Reminder
          </Button>
          {onRotate && (
            <Button size="sm" onClick={onRotate} disabled={rotating} aria-label={`Rotate ${c.name}`}>{rotating ? 'Rotating…' : 'Rotate'}</Button>
          )}
        </div>
      </div>
      <details className="mt-2">
        <summary className="cursor-pointer text-slate-700 dark:text-slate-300">Rotation steps</summary>
        <ol className="mt-2 space-y-1">
          {ROTATION_STEPS.map((s, i) => (
            <li key={s}>
              <label className="flex items-center gap-2"><input type="checkbox" className="size-4 accent-indigo-600" /> {i + 1}. {s}</label>
            </li>
          ))}
        </ol>
      </details>
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

export function RotationPlannerPage() {
  const user = useUser()
  const all = seesAll(user)
  const common = { expiring_within_days: 14, status: 'active,expired', sort: 'expires', order: 'asc' as const, limit: 200, mine: !all }
  const personal = useQuery(credentialQueries.list('api_credentials', common))
  const service = useQuery({ ...credentialQueries.list('service_credentials', common), enabled: all })
  const replacedPersonal = useQuery(credentialQueries.list('api_credentials', { replaced: true, status: 'active', limit: 200, mine: !all }))
  const replacedService = useQuery({ ...credentialQueries.list('service_credentials', { replaced: true, status: 'active', limit: 200 }), enabled: all })
  const queries = [personal, replacedPersonal, ...(all ? [service, replacedService] : [])]
  const failed = queries.find((q) => q.isError)
  const mutate = canMutate(user)
  const rotation = useRotation()

  return (
    <>
      <PageHeader title="Rotation planner" description="Tokens that expire within two weeks, and expired ones, most urgent first. Rotate before they expire so nothing breaks." />
      {failed?.error ? (
        <ErrorState error={failed.error} onRetry={() => queries.forEach((q) => q.refetch())} />
      ) : queries.some((q) => q.isPending) ? (
        <Skeleton className="h-40 w-full" />
      ) : (
        (() => {
          const items = [...(personal.data?.items ?? []), ...(service.data?.items ?? []), ...(replacedPersonal.data?.items ?? []), ...(replacedService.data?.items ?? [])]
          const unique = [...new Map(items.map((c) => [c.uid, c])).values()]
          const { groups, replaced } = planRotation(unique)
          const empty = Object.values(groups).every((g) => g.length === 0) && replaced.length === 0
          if (empty) return <EmptyState title="Nothing to rotate">No token expires in the next 14 days.</EmptyState>
          return (
            <div className="space-y-4">
              {(Object.keys(groups) as GroupKey[]).filter((k) => groups[k].length).map((k) => (
                <Card key={k}>
                  <h2 className="mb-3">{groupTitles[k]} <span className="font-normal text-slate-600 dark:text-slate-400">({groups[k].length})</span></h2>
                  <ul className="space-y-2">
                    {groups[k].map((c) => <PlanItem key={c.uid} c={c} tone={k === 'expired' ? 'red' : k === 'd14' ? 'slate' : 'amber'} onRotate={mutate ? () => rotation.start(c) : undefined} rotating={rotation.pendingName === c.name} />)}
                  </ul>
                </Card>
              ))}
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
