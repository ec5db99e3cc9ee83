// "Revoke all expired" on the planner's Expired group: one bulk revoke job a family (personal tokens,
// and service credentials for those who see the tenant), each followed with a progress bar while its
// batches commit. A job that stopped part-way says why and offers to resume from where it stopped.
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { toast } from 'sonner'
import { BULK_BATCH, type BulkRevokeJob } from '../../../../contract/bulk-revokes'
import { bulkRevokeQueries, refreshAfterRevoke, useResumeRevoke, useStartExpiredRevoke } from '../../../lib/api/bulk-revokes'
import type { Family } from '../../../lib/api/credentials'
import { Button } from '../../../components/ui/button'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { Card } from '../../../components/ui/card'

const familyLabel: Record<BulkRevokeJob['family'], string> = { api_credentials: 'Personal tokens', service_credentials: 'Service credentials' }

function JobProgress({ id }: { id: string }) {
  const qc = useQueryClient()
  const job = useQuery(bulkRevokeQueries.job(id))
  const resume = useResumeRevoke()
  const state = job.data?.state
  const announced = useRef<string | undefined>(undefined)
  useEffect(() => {
    if (!job.data || state === 'running' || announced.current === state) return
    announced.current = state
    void refreshAfterRevoke(qc)
    if (state === 'done') toast.success(`${familyLabel[job.data.family]}: ${job.data.revoked.toLocaleString()} expired revoked`)
  }, [job.data, state, qc])
  if (!job.data) return job.isError ? <p role="alert" className="text-red-800 dark:text-red-300">{job.error.message}</p> : null
  const j = job.data
  const pct = j.total ? Math.round((j.revoked / j.total) * 100) : 100
  return (
    <div className="space-y-1" data-testid="bulk-revoke-job">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <span className="font-medium">{familyLabel[j.family]}</span>
        <span className="text-slate-700 dark:text-slate-300" aria-live="polite">
          {j.state === 'done' ? `Done: ${j.revoked.toLocaleString()} revoked` : `Revoked ${j.revoked.toLocaleString()} of ${j.total.toLocaleString()}`}
          {j.state === 'running' && ` · batch ${j.batches + 1} of ${Math.max(1, Math.ceil(j.total / j.batch_size))}`}
        </span>
      </div>
      <div role="progressbar" aria-label={`${familyLabel[j.family]}: expired revoked`} aria-valuemin={0} aria-valuemax={j.total} aria-valuenow={j.revoked}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
        <div className={j.state === 'failed' || j.state === 'interrupted' ? 'h-full bg-red-600' : 'h-full bg-indigo-600'} style={{ width: `${pct}%` }} />
      </div>
      {(j.state === 'failed' || j.state === 'interrupted') && (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p role="alert" className="text-red-800 dark:text-red-300">Stopped: {j.error}</p>
          <Button size="sm" disabled={resume.isPending} onClick={() => resume.mutate(j.id, { onError: (e) => toast.error(e.message) })}>
            {resume.isPending ? 'Resuming…' : 'Resume'}
          </Button>
        </div>
      )}
    </div>
  )
}

/** The jobs started on this page, followed above the groups: they outlive the Expired group they empty. */
export function RevokeProgress({ jobs }: { jobs: string[] }) {
  if (!jobs.length) return null
  return (
    <Card>
      <h2 className="mb-3">Revoking expired tokens</h2>
      <div className="space-y-3">{jobs.map((id) => <JobProgress key={id} id={id} />)}</div>
    </Card>
  )
}

/** The Expired group's action: confirms, then starts one job a family and hands their ids up. */
export function RevokeExpired({ count, families, onStarted }: { count: number; families: Family[]; onStarted: (ids: string[]) => void }) {
  const [confirming, setConfirming] = useState(false)
  const start = useStartExpiredRevoke()
  const [error, setError] = useState<string>()
  const run = async () => {
    setError(undefined)
    try {
      const started: string[] = []
      for (const f of families) started.push((await start.mutateAsync(f)).id)
      onStarted(started)
      setConfirming(false)
    } catch (e) {
      setError((e as Error).message)
    }
  }
  return (
    <div className="mb-3">
      <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>Revoke all expired…</Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Revoke all ${count.toLocaleString()} expired?`}
        consequence={<>Expired tokens already fail every check; revoking makes it final, so renewing can no longer bring one back. It runs in batches of {BULK_BATCH}, each recorded in the audit log; you can leave this page while it runs. <strong>This cannot be undone</strong> by their owners.</>}
        confirmLabel="Revoke all expired"
        pending={start.isPending}
        error={error}
        onConfirm={() => void run()}
      />
    </div>
  )
}
