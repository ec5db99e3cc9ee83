// One webhook's delivery log, newest first: event, status, status code, attempts, time, error.
import { useQuery } from '@tanstack/react-query'
import type { WebhookDelivery } from '../../../../contract/webhooks'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { RelativeTime } from '../../../components/ui/relative-time'
import { ErrorState, Skeleton } from '../../../components/ui/states'
import { webhookQueries } from '../api/webhooks'

const tone = { delivered: 'green', pending: 'amber', failed: 'red' } as const

function codes(d: WebhookDelivery) {
  return d.attempt_log.map((a) => a.status_code ?? '—').join(', ') || '—'
}

export function DeliveryLog({ webhookId, label }: { webhookId: string; label: string }) {
  const log = useQuery(webhookQueries.deliveries(webhookId))
  if (log.isPending) return <Skeleton className="h-24 w-full" />
  if (log.isError) return <ErrorState error={log.error} onRetry={() => log.refetch()} />
  const items = log.data.items
  return (
    <div className="space-y-2">
      <div className="flex items-center justify-between gap-2">
        <h3 className="text-sm font-semibold">Delivery log</h3>
        <Button size="sm" variant="ghost" onClick={() => log.refetch()} aria-label={`Refresh the delivery log of ${label}`}>Refresh</Button>
      </div>
      {items.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No deliveries yet. Press “Send test” to send one.</p>
      ) : (
        <div className="rounded-md border border-slate-200 sm:overflow-x-auto dark:border-slate-800">
          <table className="stack-table w-full text-sm sm:min-w-[40rem]">
            <caption className="sr-only">Deliveries to {label}, newest first</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-left text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
              <tr>
                <th scope="col" className="px-3 py-2 font-semibold">Event</th>
                <th scope="col" className="px-3 py-2 font-semibold">Status</th>
                <th scope="col" className="px-3 py-2 font-semibold">Status codes</th>
                <th scope="col" className="px-3 py-2 font-semibold">Attempts</th>
                <th scope="col" className="px-3 py-2 font-semibold">Time</th>
                <th scope="col" className="px-3 py-2 font-semibold">Error</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {items.map((d) => (
                <tr key={d.id} data-testid="delivery-row">
                  <td data-label="Event" className="px-3 py-2"><span className="break-all font-mono text-xs">{d.event_type}</span></td>
                  <td data-label="Status" className="px-3 py-2"><Badge tone={tone[d.status]}>{d.status} {d.last_status_code ?? ''}</Badge></td>
                  <td data-label="Status codes" className="px-3 py-2"><span className="font-mono">{codes(d)}</span></td>
                  <td data-label="Attempts" className="px-3 py-2">{d.attempts}</td>
                  <td data-label="Time" className="whitespace-nowrap px-3 py-2"><RelativeTime iso={d.delivered_timestamp ?? d.created_timestamp} /></td>
                  <td data-label="Error" className="break-words px-3 py-2 text-slate-700 dark:text-slate-300">
                    {d.last_error ?? '—'}
                    {d.next_attempt_timestamp && <span className="block text-xs text-slate-600 dark:text-slate-400">Next attempt <RelativeTime iso={d.next_attempt_timestamp} /></span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
