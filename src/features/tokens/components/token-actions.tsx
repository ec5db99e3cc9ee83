// Renew, revoke and activate, each where the person acts.
import { useQuery } from '@tanstack/react-query'
import { addDays } from 'date-fns'
import { useRef, useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import { ApiError } from '../../../lib/api-client'
import { useCredentialAction, useRenewCredential, type Family } from '../../../lib/api/credentials'
import { metaQueries } from '../../../lib/api/meta'
import { useReactivate } from '../../../lib/api/governance'
import { formatDate } from '../../../lib/format'
import { Button } from '../../../components/ui/button'
import { Dialog } from '../../../components/ui/dialog'
import { Field, Input, Select } from '../../../components/ui/field'

export function RenewDialog({ family, credential, open, onOpenChange }: { family: Family; credential: Credential; open: boolean; onOpenChange: (o: boolean) => void }) {
  const policy = useQuery(metaQueries.policy())
  const [days, setDays] = useState('90')
  const renew = useRenewCredential(family)
  const presets = policy.data?.expiry_presets ?? [30, 60, 90, 180, 365]
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={`Renew ${credential.name}`} description="Set a new expiry counted from today. The token value stays the same.">
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          renew.mutate({ name: credential.name, expiration_days: Number(days) }, {
            onSuccess: () => { toast.success(`${credential.name} renewed until ${formatDate(addDays(new Date(), Number(days)))}`); onOpenChange(false) },
          })
        }}
      >
        <Field label="New lifetime" hint={`Expires on ${formatDate(addDays(new Date(), Number(days)))}.`} error={renew.error instanceof ApiError ? renew.error.message : undefined}>
          {(ids) => (
            <Select {...ids} value={days} onChange={(e) => setDays(e.target.value)}>
              {presets.map((d) => <option key={d} value={d}>{d} days</option>)}
            </Select>
          )}
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" disabled={renew.isPending}>{renew.isPending ? 'Renewing…' : 'Renew'}</Button>
        </div>
      </form>
    </Dialog>
  )
}

export function RevokeDialog({ family, credential, open, onOpenChange }: { family: Family; credential: Credential; open: boolean; onOpenChange: (o: boolean) => void }) {
  const [typed, setTyped] = useState('')
  const revoke = useCredentialAction(family, 'revoke')
  const matches = typed === credential.name
  // The dialog opens where the work is: the typed-name field, not the Close button.
  const field = useRef<HTMLInputElement>(null)
  return (
    <Dialog
      initialFocus={field}
      open={open}
      onOpenChange={(o) => { if (!o) setTyped(''); onOpenChange(o) }}
      title={`Revoke ${credential.name}?`}
      description={<>Every caller using this token is refused from the moment you confirm. <strong>This cannot be undone</strong> unless the tenant policy allows an administrator to re-activate it; plan on creating a new token instead.</>}
    >
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          if (!matches) return
          revoke.mutate(credential.name, { onSuccess: () => { toast.success(`${credential.name} revoked`); setTyped(''); onOpenChange(false) } })
        }}
      >
        <Field label={<>Type <code className="font-mono">{credential.name}</code> to confirm</>} error={revoke.error instanceof ApiError ? revoke.error.message : undefined}>
          {(ids) => <Input {...ids} ref={field} autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />}
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" variant="danger" disabled={!matches || revoke.isPending}>{revoke.isPending ? 'Revoking…' : 'Revoke token'}</Button>
        </div>
      </form>
    </Dialog>
  )
}

/**
 * Revoke is final unless the tenant policy allows re-activation; then it takes a typed
 * confirmation and a reason, and the server still refuses a token reported as leaked.
 */
export function ActivateButton({ family, name }: { family: Family; name: string }) {
  const policy = useQuery(metaQueries.policy())
  const activate = useReactivate(family)
  const [open, setOpen] = useState(false)
  const [typed, setTyped] = useState('')
  const [reason, setReason] = useState('')
  const reasonField = useRef<HTMLInputElement>(null)
  if (!policy.data?.settings.allow_reactivation) {
    return <p className="self-center text-sm text-slate-600 dark:text-slate-400">Revoked for good: the tenant policy does not allow re-activation.</p>
  }
  const ready = typed === name && reason.trim().length > 0
  const close = (o: boolean) => { if (!o) { activate.reset(); setTyped(''); setReason('') } setOpen(o) }
  return (
    <>
      <Button variant="secondary" onClick={() => setOpen(true)}>Re-activate</Button>
      <Dialog
        initialFocus={reasonField}
        open={open}
        onOpenChange={close}
        title={`Re-activate ${name}?`}
        description={<>The token works again at once for <strong>anyone who still holds its value</strong>, including wherever it leaked if that is why it was revoked. Prefer rotating to a new token if you are unsure. A token reported as leaked is never re-activated.</>}
      >
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault()
            if (!ready) return
            activate.mutate({ name, reason: reason.trim() }, { onSuccess: () => { toast.success(`${name} re-activated`); close(false) } })
          }}
        >
          <Field label="Reason (kept in the audit log)">
            {(ids) => <Input {...ids} ref={reasonField} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />}
          </Field>
          <Field label={<>Type <code className="font-mono">{name}</code> to confirm</>} error={activate.error instanceof ApiError ? activate.error.message : undefined}>
            {(ids) => <Input {...ids} autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />}
          </Field>
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => close(false)}>Cancel</Button>
            <Button type="submit" variant="danger" disabled={!ready || activate.isPending}>{activate.isPending ? 'Working…' : 'Re-activate token'}</Button>
          </div>
        </form>
      </Dialog>
    </>
  )
}
