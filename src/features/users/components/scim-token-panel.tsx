// SCIM provisioning on the Users page: the base URL an identity provider is given (with a copy
// control), the tenant's SCIM token (status, expiry, last use) and its create, replace and revoke.
// The token's value is shown once, right after it is made, and lives only in this component's state.
import { useQuery } from '@tanstack/react-query'
import { Check, Copy } from 'lucide-react'
import { useEffect, useId, useRef, useState } from 'react'
import { toast } from 'sonner'
import { SCIM_BASE_PATH } from '../../../../contract/scim'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { Card } from '../../../components/ui/card'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { Dialog } from '../../../components/ui/dialog'
import { RelativeTime } from '../../../components/ui/relative-time'
import { ErrorState, Skeleton } from '../../../components/ui/states'
import { scimTokenQueries, useCreateScimToken, useRevokeScimToken } from '../api/scim-token'

function CopyValue({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const id = useId()
  const ref = useRef<HTMLInputElement>(null)
  const [state, setState] = useState<'idle' | 'copied' | 'refused'>('idle')
  useEffect(() => {
    if (state !== 'copied') return
    const t = setTimeout(() => setState('idle'), 4000)
    return () => clearTimeout(t)
  }, [state])
  async function copy() {
    try {
      await navigator.clipboard.writeText(value)
      setState('copied')
    } catch {
      // The clipboard was refused (permissions, insecure context): select the text for Ctrl+C.
      ref.current?.focus()
      ref.current?.select()
      setState('refused')
    }
  }
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="text-sm font-medium">{label}</label>
      <div className="flex gap-2">
        <input
          id={id} ref={ref} readOnly value={value} data-testid={testId} onFocus={(e) => e.currentTarget.select()} spellCheck={false} autoComplete="off"
          className="block min-h-10 w-full rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-sm dark:border-slate-600 dark:bg-slate-950"
        />
        <Button size="sm" variant="secondary" onClick={copy} aria-label={state === 'copied' ? `Copied ${label.toLowerCase()}` : `Copy ${label.toLowerCase()}`}>
          {state === 'copied' ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <p aria-live="polite" className="min-h-4 text-xs">
        {state === 'copied' && <span className="font-medium text-emerald-700 dark:text-emerald-400">Copied to the clipboard.</span>}
        {state === 'refused' && <span className="font-medium text-amber-800 dark:text-amber-300">The browser refused the clipboard. The text is selected: press Ctrl+C (⌘C on a Mac).</span>}
      </p>
    </div>
  )
}

function RevealScimToken({ token, onClose }: { token: { name: string; value: string } | null; onClose: () => void }) {
  const [stored, setStored] = useState(false)
  const confirmId = useId()
  if (!token) return null
  return (
    <Dialog open onOpenChange={(o) => { if (!o && stored) onClose() }} dismissable={stored} wide title="Your new SCIM token" description={<>SCIM token <strong>{token.name}</strong> was created.</>}>
      <div className="space-y-4">
        <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          Paste it into your identity provider&apos;s provisioning settings as the bearer token now. <strong>It will never be shown again</strong>: the
          server keeps only a hash. Any previous SCIM token has stopped working.
        </p>
        <CopyValue label="SCIM token" value={token.value} testId="revealed-scim-token" />
        <div className="flex flex-col gap-3 border-t border-slate-200 pt-4 sm:flex-row sm:items-center sm:justify-between dark:border-slate-800">
          <label htmlFor={confirmId} className="flex items-center gap-2 font-medium">
            <input id={confirmId} type="checkbox" className="size-4 accent-indigo-600" checked={stored} onChange={(e) => setStored(e.target.checked)} />
            I have stored this token
          </label>
          <Button disabled={!stored} onClick={onClose}>Done</Button>
        </div>
      </div>
    </Dialog>
  )
}

const statusTone = { active: 'green', scheduled: 'slate', expired: 'amber', revoked: 'red', disabled: 'slate', leaked: 'red' } as const

export function ScimTokenPanel() {
  const status = useQuery(scimTokenQueries.status())
  const create = useCreateScimToken()
  const revoke = useRevokeScimToken()
  const [revealed, setRevealed] = useState<{ name: string; value: string } | null>(null)
  const [confirm, setConfirm] = useState<'replace' | 'revoke' | null>(null)
  const baseUrl = `${window.location.origin}${SCIM_BASE_PATH}`
  const token = status.data
  const live = token?.status === 'active'
  const doCreate = () => create.mutate(undefined, {
    onSuccess: (r) => { setConfirm(null); setRevealed({ name: r.name, value: r.data }) },
  })
  return (
    <Card className="mt-6">
      <h2 className="text-base font-semibold">SCIM provisioning</h2>
      <p className="mt-1 text-slate-600 dark:text-slate-400">
        Your identity provider creates, updates and deactivates people here over SCIM 2.0. Deactivating someone there signs them out and revokes
        every token and certificate of theirs at once; their role comes from the provider&apos;s groups admin, developer and auditor.
      </p>
      <div className="mt-4 max-w-2xl">
        <CopyValue label="SCIM base URL" value={baseUrl} testId="scim-base-url" />
      </div>
      {status.isPending ? (
        <Skeleton className="h-16 w-full" />
      ) : status.isError ? (
        <ErrorState error={status.error} onRetry={() => status.refetch()} />
      ) : (
        <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
          {token ? (
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" aria-label="SCIM token">
              <dt className="text-slate-600 dark:text-slate-400">Token</dt>
              <dd><span className="font-mono">{token.name}</span> <Badge tone={statusTone[token.status]}>{token.status}</Badge></dd>
              <dt className="text-slate-600 dark:text-slate-400">Expires</dt>
              <dd><RelativeTime iso={token.expiry_timestamp} never="never" /></dd>
              <dt className="text-slate-600 dark:text-slate-400">Last used</dt>
              <dd data-testid="scim-last-used"><RelativeTime iso={token.last_used_timestamp} never="never used" /></dd>
            </dl>
          ) : (
            <p className="text-sm text-slate-600 dark:text-slate-400">No SCIM token yet: create one and give it to your identity provider with the base URL.</p>
          )}
          <div className="flex gap-2">
            <Button variant={live ? 'secondary' : 'primary'} disabled={create.isPending} onClick={() => (live ? setConfirm('replace') : doCreate())}>
              {live ? 'Replace token' : 'Create SCIM token'}
            </Button>
            {live && <Button variant="ghost" className="text-red-700 dark:text-red-300" onClick={() => setConfirm('revoke')}>Revoke</Button>}
          </div>
        </div>
      )}
      {create.error && !confirm && <p role="alert" className="mt-3 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{create.error.message}</p>}
      <ConfirmDialog
        open={confirm !== null}
        onOpenChange={(o) => { if (!o) { setConfirm(null); create.reset(); revoke.reset() } }}
        title={confirm === 'replace' ? 'Replace the SCIM token?' : 'Revoke the SCIM token?'}
        consequence={confirm === 'replace'
          ? <>The current token <strong>stops working at once</strong>; provisioning pauses until you give the new one to your identity provider.</>
          : <>Provisioning <strong>stops at once</strong>: your identity provider can no longer create, change or deactivate people here.</>}
        confirmLabel={confirm === 'replace' ? 'Replace token' : 'Revoke token'}
        tone="danger"
        pending={create.isPending || revoke.isPending}
        error={(confirm === 'replace' ? create.error : revoke.error)?.message}
        onConfirm={() => (confirm === 'replace' ? doCreate() : revoke.mutate(undefined, { onSuccess: () => { toast.success('SCIM token revoked'); setConfirm(null) } }))}
      />
      <RevealScimToken key={revealed?.name} token={revealed} onClose={() => { setRevealed(null); create.reset() }} />
    </Card>
  )
}
