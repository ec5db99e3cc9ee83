// Add a webhook: URL, description and the events it gets, validated with the contract's schema.
import { zodResolver } from '@hookform/resolvers/zod'
import { useForm } from 'react-hook-form'
import { createWebhookSchema, webhookEventLabels, webhookEventTypes, type CreateWebhook, type Webhook } from '../../../../contract/webhooks'
import { Button } from '../../../components/ui/button'
import { Dialog } from '../../../components/ui/dialog'
import { Field, Input } from '../../../components/ui/field'
import { useCreateWebhook } from '../api/webhooks'

export function AddWebhookDialog({ open, onOpenChange, onSecret }: {
  open: boolean
  onOpenChange: (o: boolean) => void
  onSecret: (secret: string, created: Webhook) => void
}) {
  const create = useCreateWebhook(onSecret)
  const form = useForm<CreateWebhook>({
    resolver: zodResolver(createWebhookSchema),
    defaultValues: { url: '', description: '', events: [...webhookEventTypes] },
  })
  const { errors } = form.formState
  const submit = form.handleSubmit((v) => create.mutate(v, { onSuccess: () => { form.reset(); onOpenChange(false) } }))
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => { if (!o) create.reset(); onOpenChange(o) }}
      title="Add webhook"
      description="Token Console POSTs signed JSON to this URL when the chosen events happen."
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        <Field label="Payload URL" hint="http:// or https://, without a user name or password." error={errors.url?.message}>
          {(ids) => <Input {...ids} type="url" inputMode="url" autoComplete="off" placeholder="https://hooks.example.com/token-console" {...form.register('url')} />}
        </Field>
        <Field label="Description" hint="Optional: who runs the receiver, or what it does." error={errors.description?.message}>
          {(ids) => <Input {...ids} autoComplete="off" maxLength={200} {...form.register('description')} />}
        </Field>
        <fieldset className="space-y-2" aria-describedby={errors.events ? 'webhook-events-error' : undefined}>
          <legend className="text-sm font-medium text-slate-800 dark:text-slate-200">Events</legend>
          {webhookEventTypes.map((e) => (
            <label key={e} className="flex items-start gap-2 text-sm">
              <input type="checkbox" value={e} className="mt-0.5 size-4 accent-indigo-600" {...form.register('events')} />
              <span>{webhookEventLabels[e]} <code className="block font-mono text-xs text-slate-600 dark:text-slate-400">{e}</code></span>
            </label>
          ))}
          {errors.events && <p id="webhook-events-error" role="alert" className="text-xs font-medium text-red-700 dark:text-red-400">{errors.events.message}</p>}
        </fieldset>
        {create.error && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{create.error.message}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" disabled={create.isPending}>{create.isPending ? 'Adding…' : 'Add webhook'}</Button>
        </div>
      </form>
    </Dialog>
  )
}
