import { zodResolver } from '@hookform/resolvers/zod'
import { useMutation } from '@tanstack/react-query'
import { useForm } from 'react-hook-form'
import { toast } from 'sonner'
import { changePasswordRequestSchema, type ChangePasswordRequest } from '../../contract/auth'
import { api, ApiError } from '../lib/api-client'
import { Button } from '../components/ui/button'
import { Dialog } from '../components/ui/dialog'
import { Field, Input } from '../components/ui/field'

export function ChangePasswordDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const form = useForm<ChangePasswordRequest>({ resolver: zodResolver(changePasswordRequestSchema), defaultValues: { current_password: '', new_password: '' } })
  const change = useMutation({ mutationFn: (body: ChangePasswordRequest) => api('/api/auth/password', { method: 'POST', body }) })
  const { errors } = form.formState
  const submit = form.handleSubmit((v) =>
    change.mutate(v, {
      onSuccess: () => { toast.success('Password changed; your other sessions were signed out'); form.reset(); onOpenChange(false) },
      onError: (err) => {
        if (err instanceof ApiError && err.fieldError('current_password')) form.setError('current_password', { message: err.fieldError('current_password') })
      },
    }),
  )
  return (
    <Dialog open={open} onOpenChange={(o) => { if (!o) form.reset(); onOpenChange(o) }} title="Change password" description="Your other sessions are signed out when you change it.">
      <form onSubmit={submit} noValidate className="space-y-4">
        <Field label="Current password" error={errors.current_password?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="current-password" {...form.register('current_password')} />}
        </Field>
        <Field label="New password" hint="At least 12 characters." error={errors.new_password?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="new-password" {...form.register('new_password')} />}
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" disabled={change.isPending}>{change.isPending ? 'Saving…' : 'Change password'}</Button>
        </div>
      </form>
    </Dialog>
  )
}
