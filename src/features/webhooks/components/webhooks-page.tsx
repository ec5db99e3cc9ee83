// Administrators: webhooks that receive signed notices (expiry, leaks, revocations), each with a test
// button and its delivery log.
import { useQuery } from '@tanstack/react-query'
import { Plus, Send } from 'lucide-react'
import { useState } from 'react'
import { toast } from 'sonner'
import { webhookEventLabels, type Webhook, type WebhookEventType, type WebhookTestResult } from '../../../../contract/webhooks'
import { useUser } from '../../../lib/api/session'
import { isAdmin } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { EmptyState, ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'
import { useDeleteWebhook, useTestWebhook, useUpdateWebhook, webhookQueries } from '../api/webhooks'
import { AddWebhookDialog } from './add-webhook-dialog'
import { DeliveryLog } from './delivery-log'
import { SecretDialog } from './secret-dialog'

const eventLabel = (e: string) => webhookEventLabels[e as WebhookEventType] ?? e

function testOutcome(r: WebhookTestResult) {
  const d = r.delivery
  if (d.status === 'delivered') return `Test delivered: the receiver answered ${d.last_status_code}.`
  return `Test not delivered: ${d.last_error ?? 'no answer'}${d.status === 'pending' ? '; it will be retried.' : '.'}`
}

function WebhookCard({ hook, onDelete }: { hook: Webhook; onDelete: (h: Webhook) => void }) {
  const update = useUpdateWebhook()
  const test = useTestWebhook()
  const [showLog, setShowLog] = useState(false)
  const logId = `log-${hook.id}`
  return (
    <Card className="space-y-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <h2 className="break-all font-mono text-sm font-semibold">{hook.url}</h2>
          {hook.description && <p className="mt-0.5 text-slate-600 dark:text-slate-400">{hook.description}</p>}
          <ul className="mt-2 flex flex-wrap gap-1.5" aria-label="Events">
            {hook.events.map((e) => <li key={e}><Badge tone="indigo">{eventLabel(e)}</Badge></li>)}
          </ul>
        </div>
        <div className="shrink-0">{hook.enabled ? <Badge tone="green">Enabled</Badge> : <Badge>Disabled</Badge>}</div>
      </div>
      <div className="flex flex-wrap gap-2">
        <Button size="sm" disabled={test.isPending} onClick={() => test.mutate(hook.id, { onSuccess: () => setShowLog(true) })}>
          <Send className="size-3.5" aria-hidden /> {test.isPending ? 'Sending…' : 'Send test'}
        </Button>
        <Button size="sm" variant="secondary" disabled={update.isPending}
          onClick={() => update.mutate({ id: hook.id, enabled: !hook.enabled }, { onSuccess: (h) => toast.success(h.enabled ? 'Webhook enabled' : 'Webhook disabled') })}>
          {hook.enabled ? 'Disable' : 'Enable'}
        </Button>
        <Button size="sm" variant="secondary" aria-expanded={showLog} aria-controls={logId} onClick={() => setShowLog((s) => !s)}>
          {showLog ? 'Hide delivery log' : 'Show delivery log'}
        </Button>
        <Button size="sm" variant="danger" onClick={() => onDelete(hook)}>Delete</Button>
      </div>
      <p aria-live="polite" className="text-sm">
        {test.data && <span className={test.data.delivery.status === 'delivered' ? 'text-emerald-700 dark:text-emerald-400' : 'text-red-700 dark:text-red-400'}>{testOutcome(test.data)}</span>}
        {test.error && <span className="text-red-700 dark:text-red-400">{test.error.message}</span>}
        {update.error && <span className="text-red-700 dark:text-red-400">{update.error.message}</span>}
      </p>
      <div id={logId}>{showLog && <DeliveryLog webhookId={hook.id} label={hook.url} />}</div>
    </Card>
  )
}

export function WebhooksPage() {
  const me = useUser()
  const hooks = useQuery({ ...webhookQueries.list(), enabled: isAdmin(me) })
  const [adding, setAdding] = useState(false)
  const [revealed, setRevealed] = useState<{ secret: string; url: string } | null>(null)
  const [deleting, setDeleting] = useState<Webhook | null>(null)
  const remove = useDeleteWebhook()
  if (!isAdmin(me)) return <NoAccess what="The Webhooks page" />
  const add = <Button className="whitespace-nowrap" onClick={() => setAdding(true)}><Plus className="size-4" aria-hidden /> Add webhook</Button>
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Signed JSON POSTs to your systems when tokens near expiry, are reported leaked or are revoked by an administrator. Failed deliveries are retried with backoff."
        actions={add}
      />
      {hooks.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : hooks.isError ? (
        <ErrorState error={hooks.error} onRetry={() => hooks.refetch()} />
      ) : hooks.data.items.length === 0 ? (
        <EmptyState title="No webhooks yet" action={add}>Add one to have expiry notices and leak reports sent to a chat, ticket or paging system.</EmptyState>
      ) : (
        <div className="space-y-4">
          {hooks.data.items.map((h) => <WebhookCard key={h.id} hook={h} onDelete={setDeleting} />)}
        </div>
      )}
      <AddWebhookDialog open={adding} onOpenChange={setAdding} onSecret={(secret, created) => setRevealed({ secret, url: created.url })} />
      <SecretDialog secret={revealed?.secret ?? null} url={revealed?.url ?? ''} onClose={() => setRevealed(null)} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(o) => { if (!o) { remove.reset(); setDeleting(null) } }}
        title="Delete this webhook?"
        consequence={<>Nothing more is sent to <span className="break-all font-medium">{deleting?.url}</span>, pending retries are dropped and its delivery log is deleted. This cannot be undone.</>}
        confirmLabel="Delete webhook"
        pending={remove.isPending}
        error={remove.error?.message}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => { toast.success('Webhook deleted'); setDeleting(null) } })}
      />
    </>
  )
}
