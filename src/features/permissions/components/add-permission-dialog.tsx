// Add a catalog permission: name (service:resource:action), description, sensitive; validated with the contract's schema.
import { zodResolver } from '@hookform/resolvers/zod'
import { useForm } from 'react-hook-form'
import { createCatalogPermissionSchema, type CreateCatalogPermission } from '../../../../contract/permissions'
import { useCreatePermission } from '../../../lib/api/permissions'
import { Button } from '../../../components/ui/button'
import { Dialog } from '../../../components/ui/dialog'
import { Field, Input } from '../../../components/ui/field'

export function AddPermissionDialog({ open, onOpenChange, onAdded }: { open: boolean; onOpenChange: (o: boolean) => void; onAdded: (name: string) => void }) {
  const create = useCreatePermission()
  const form = useForm<CreateCatalogPermission>({
    resolver: zodResolver(createCatalogPermissionSchema),
    defaultValues: { name: '', description: '', sensitive: false },
  })
  const { errors } = form.formState
  const submit = form.handleSubmit((v) => create.mutate(v, { onSuccess: (p) => { form.reset(); onOpenChange(false); onAdded(p.name) } }))
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => { if (!o) create.reset(); onOpenChange(o) }}
      title="Add permission"
      description="A permission of a service behind your gateway. Tokens can then be given it, and the gateway asks for it with X-Required-Scope."
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        <Field label="Name" hint="service:resource:action, lowercase, e.g. billing:invoices:read" error={errors.name?.message}>
          {(ids) => <Input {...ids} autoComplete="off" spellCheck={false} className="font-mono" placeholder="billing:invoices:read" {...form.register('name')} />}
        </Field>
        <Field label="Description" hint="What a token holding it may do." error={errors.description?.message}>
          {(ids) => <Input {...ids} autoComplete="off" maxLength={500} {...form.register('description')} />}
        </Field>
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" className="mt-0.5 size-4 accent-indigo-600" {...form.register('sensitive')} />
          <span>Sensitive <span className="block text-xs text-slate-600 dark:text-slate-400">Only tokens of administrators may hold it.</span></span>
        </label>
        {create.error && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{create.error.message}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" disabled={create.isPending}>{create.isPending ? 'Adding…' : 'Add permission'}</Button>
        </div>
      </form>
    </Dialog>
  )
}
