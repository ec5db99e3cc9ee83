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
  /** The session signed in through the identity provider: it confirms there, not with a password. */
  viaSso: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/** Open while `pending` is set; calls `onDone` once the request it holds is resolved or rejected. */
export function ReauthPrompt({ pending, onDone }: { pending: PendingReauth | null; onDone: () => void }) {
  if (pending?.viaSso) return <SsoReauthPrompt pending={pending} onDone={onDone} />
  return <PasswordReauthPrompt pending={pending} onDone={onDone} />
}

/**
 * A session that signed in through the identity provider confirms there: the browser goes to the
 * provider (which asks again: prompt=login, max_age=0) and comes back to this page. The request that
 * was refused is not sent again across that round trip; the person repeats it once back.
 */
function SsoReauthPrompt({ pending, onDone }: { pending: PendingReauth | null; onDone: () => void }) {
  const cancel = () => {
    pending?.reject(new ReauthCancelledError())
    onDone()
  }
  const here = window.location.pathname + window.location.search
  return (
    <Dialog open={pending !== null} onOpenChange={(open) => { if (!open) cancel() }} title="Confirm your sign-in" description={pending?.message.replace(/^Confirm your password/, 'Confirm your sign-in')}>
      <div className="space-y-4">
        <p className="text-sm">You signed in with single sign-on, so you confirm at your identity provider. You will come back to this page.</p>
        <p className="text-xs text-slate-600 dark:text-slate-400">What you were doing is not repeated automatically: once you are back, do it again. Anything you typed on this page and did not save is lost.</p>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={cancel}>Cancel</Button>
          <a
            href={`/api/auth/oidc/start?reauth=1&return_to=${encodeURIComponent(here)}`}
            className="inline-flex h-9 items-center rounded-md bg-indigo-600 px-3.5 text-sm font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
          >
            Confirm with single sign-on
          </a>
        </div>
      </div>
    </Dialog>
  )
}

function PasswordReauthPrompt({ pending, onDone }: { pending: PendingReauth | null; onDone: () => void }) {
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
