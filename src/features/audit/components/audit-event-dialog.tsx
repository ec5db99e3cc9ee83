// One audit event in full: the exact instant (local with milliseconds, and UTC), every field, the details.
import type { AuditEvent } from '../../../../contract/audit'
import { formatExact } from '../../../lib/format'
import { Dialog } from '../../../components/ui/dialog'

export function AuditEventDialog({ event, onClose }: { event: AuditEvent | null; onClose: () => void }) {
  if (!event) return null
  const rows: Array<[string, string]> = [
    ['Event', `#${event.id}`],
    ['When (local)', formatExact(event.at)],
    ['When (UTC)', event.at],
    ['Actor', event.actor_email ?? event.actor_type],
    ['Actor type', event.actor_type],
    ...(event.credential_name ? [['Via token', event.credential_name] as [string, string]] : []),
    ['Action', event.action],
    ['Target', event.target_name ? `${event.target_type ?? ''} ${event.target_name}`.trim() : '—'],
    ['Outcome', event.outcome],
    ['Source address', event.source_ip ?? '—'],
    ['User agent', event.user_agent ?? '—'],
  ]
  return (
    <Dialog open onOpenChange={(o) => { if (!o) onClose() }} title={`Audit event #${event.id}`} description={`${event.action} · ${formatExact(event.at)}`} wide>
      <dl className="divide-y divide-slate-100 dark:divide-slate-800">
        {rows.map(([k, v]) => (
          <div key={k} className="grid gap-1 py-1.5 sm:grid-cols-[9rem_1fr]">
            <dt className="font-medium text-slate-600 dark:text-slate-400">{k}</dt>
            <dd className="break-all font-mono text-xs sm:text-sm">{v}</dd>
          </div>
        ))}
      </dl>
      <h3 className="mb-1 mt-3 font-semibold">Details</h3>
      <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-100 p-3 font-mono text-xs dark:bg-slate-950">{JSON.stringify(event.details, null, 2)}</pre>
    </Dialog>
  )
}
