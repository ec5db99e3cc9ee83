// "Revoke all expired" on the planner's Expired group: one bulk revoke job a family (personal tokens,
// and service credentials for those who see the tenant), each followed with a progress bar while its
// batches commit. A job that stopped part-way says why and offers to resume from where it stopped.
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { toast } from 'sonner'
import { BULK_BATCH, type BulkRevokeJob } from '../../../../contract/bulk-revokes'
import { bulkRevokeQueries, previewCsvUrl, refreshAfterRevoke, useResumeRevoke, useStartExpiredRevoke } from '../../../lib/api/bulk-revokes'
import { ApiError } from '../../../lib/api-client'
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

/**
 * The Expired group's action, guarded like its size: a preview read fresh when the confirmation
 * opens (how many, of how many owners, the first names, a CSV of the whole set, who can undo it),
 * then the count typed to confirm. Each family's job starts with the count previewed for it, and the
 * server refuses a start whose set changed since; the preview is then read again.
 */
export function RevokeExpired({ families, onStarted }: { families: Family[]; onStarted: (ids: string[]) => void }) {
  const qc = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const start = useStartExpiredRevoke()
  const [error, setError] = useState<string>()
  const previews = useQueries({ queries: families.map((f) => ({ ...bulkRevokeQueries.preview(f), enabled: confirming })) })
  const loaded = previews.every((p) => p.data)
  const failed = previews.find((p) => p.error)?.error
  const total = previews.reduce((n, p) => n + (p.data?.count ?? 0), 0)
  const owners = previews.reduce((n, p) => n + (p.data?.owners ?? 0), 0)
  const sample = previews.flatMap((p) => p.data?.sample ?? []).slice(0, 10)
  const undo = previews.find((p) => p.data)?.data?.undo
  const run = async () => {
    setError(undefined)
    try {
      const started: string[] = []
      for (const [i, f] of families.entries()) {
        const expected = previews[i].data!.count
        if (expected > 0) started.push((await start.mutateAsync({ family: f, expected })).id)
      }
      onStarted(started)
      setConfirming(false)
    } catch (e) {
      setError((e as Error).message)
      // The set changed: show the new one, to be confirmed again.
      if (e instanceof ApiError && e.status === 409) void qc.invalidateQueries({ queryKey: [...bulkRevokeQueries.all(), 'preview'] })
    }
  }
  const open = (o: boolean) => { if (!o) setError(undefined); setConfirming(o) }
  return (
    <div className="mb-3">
      <Button size="sm" variant="danger" onClick={() => open(true)}>Revoke all expired…</Button>
      <ConfirmDialog
        open={confirming}
        onOpenChange={open}
        title={loaded ? `Revoke ${total.toLocaleString()} expired token${total === 1 ? '' : 's'} of ${owners.toLocaleString()} owner${owners === 1 ? '' : 's'}?` : 'Revoke all expired?'}
        consequence={<>Expired tokens already fail every check; revoking makes it final, so renewing can no longer bring one back. It runs in batches of {BULK_BATCH}, each recorded in the audit log; you can leave this page while it runs.</>}
        confirmLabel={loaded ? `Revoke ${total.toLocaleString()}` : 'Revoke all expired'}
        pending={start.isPending}
        ready={loaded && total > 0}
        error={error ?? failed?.message}
        // The field is there from the start, so focus starts in it while the count is read.
        typed={loaded ? { value: String(total), label: <>Type the number of tokens, <strong>{total}</strong>, to confirm</> } : { value: '\u0000', label: 'Type the number of tokens to confirm' }}
        onConfirm={() => void run()}
      >
        {!loaded ? (
          <p aria-busy="true" className="text-slate-600 dark:text-slate-400">Counting what would be revoked…</p>
        ) : total === 0 ? (
          <p>Nothing expired is left to revoke.</p>
        ) : (
          <div className="space-y-3">
            <div>
              <h3 className="mb-1 text-sm font-semibold">First {sample.length} of {total.toLocaleString()}</h3>
              <ul aria-label="First tokens to be revoked" className="max-h-48 overflow-y-auto rounded-md border border-slate-200 text-sm dark:border-slate-700">
                {sample.map((c) => (
                  <li key={c.name} className="flex flex-wrap justify-between gap-2 border-b border-slate-100 px-2 py-1 last:border-0 dark:border-slate-800">
                    <span className="break-all font-medium">{c.name}</span><span className="break-all text-slate-600 dark:text-slate-400">{c.owner_email}</span>
                  </li>
                ))}
              </ul>
            </div>
            <p className="flex flex-wrap gap-3">
              {families.map((f, i) => (previews[i].data?.count ?? 0) > 0 && (
                <a key={f} href={previewCsvUrl(f)} download className="font-medium text-indigo-700 underline dark:text-indigo-300">
                  Download the {families.length > 1 ? `${familyLabel[f].toLowerCase()} ` : ''}list ({previews[i].data!.count.toLocaleString()}, CSV)
                </a>
              ))}
            </p>
            {undo && <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"><strong>Who can undo this: </strong>{undo}</p>}
          </div>
        )}
      </ConfirmDialog>
    </div>
  )
}
