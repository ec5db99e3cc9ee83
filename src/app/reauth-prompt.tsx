// The password prompt itself (loaded the first time a request is refused for an old sign-in, so
// its form code is not in the console's first download). The password lives only in this form: it
// is sent with a plain call, not a react-query mutation (whose cache would keep it as the mutation's
// variables), and cleared on close.
import { zodResolver } from '@hookform/resolvers/zod'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { reauthenticateRequestSchema, type ReauthenticateRequest } from '../../contract/auth'
import { api, ApiError, ReauthCancelledError } from '../lib/api-client'
import { Button } from '../components/ui/button'
import { Dialog } from '../components/ui/dialog'
import { Field, Input } from '../components/ui/field'

export interface PendingReauth {
  message: string
  resolve: () => void
  reject: (err: unknown) => void
}

/** Open while `pending` is set; calls `onDone` once the request it holds is resolved or rejected. */
export function ReauthPrompt({ pending, onDone }: { pending: PendingReauth | null; onDone: () => void }) {
  const [busy, setBusy] = useState(false)
  const form = useForm<ReauthenticateRequest>({ resolver: zodResolver(reauthenticateRequestSchema), defaultValues: { password: '' } })
  const { errors } = form.formState

  const finish = (outcome: { ok: true } | { ok: false; error: unknown }) => {
    form.reset({ password: '' })
    if (!pending) return
    if (outcome.ok) pending.resolve()
    else pending.reject(outcome.error)
    onDone()
  }

  const confirm = async ({ password }: ReauthenticateRequest) => {
    setBusy(true)
    try {
      await api('/api/auth/reauthenticate', { method: 'POST', body: { password }, redirectOn401: false, reauthenticate: false })
      finish({ ok: true })
    } catch (err) {
      // A wrong password (or the brake's 429) is shown here, and they may try again.
      if (err instanceof ApiError && (err.fieldError('password') || err.status === 429)) {
        form.setError('password', { message: err.status === 429 ? err.message : 'That password is not right. Try again.' })
        form.setValue('password', '')
        form.setFocus('password')
      } else {
        finish({ ok: false, error: err })
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog
      open={pending !== null}
      onOpenChange={(open) => { if (!open && !busy) finish({ ok: false, error: new ReauthCancelledError() }) }}
      title="Confirm your password"
      description={pending?.message}
    >
      <form onSubmit={(e) => void form.handleSubmit(confirm)(e)} noValidate className="space-y-4">
        <Field label="Password" error={errors.password?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="current-password" autoFocus {...form.register('password')} />}
        </Field>
        <p className="text-xs text-slate-600 dark:text-slate-400">What you started continues once your password is confirmed.</p>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => finish({ ok: false, error: new ReauthCancelledError() })} disabled={busy}>Cancel</Button>
          <Button type="submit" disabled={busy}>{busy ? 'Confirming…' : 'Confirm'}</Button>
        </div>
      </form>
    </Dialog>
  )
}
