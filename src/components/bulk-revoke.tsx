// Bulk revoke for selected rows (token list, inventory): a bar naming the count, and a confirmation
// that names the count and the consequence and asks for the count (or the one name) to be typed.
// Personal and service credentials go to their own family. Afterwards focus goes to the row after
// the revoked ones (the one before if they were last; the page heading if none is left).
import { useRef, useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../contract/credentials'
import { useBulkRevoke } from '../lib/api/console'
import { focusRowOrHeading, rowAfter } from '../lib/focus'
import type { Selection } from './credential-table'
import { Button } from './ui/button'
import { ConfirmDialog } from './ui/confirm-dialog'

export function useSelection(): Selection & { items: Credential[]; clear: () => void } {
  const [picked, setPicked] = useState<Map<string, Credential>>(new Map())
  return {
    selected: new Set(picked.keys()),
    items: [...picked.values()],
    selectable: (c) => c.status !== 'revoked' && c.status !== 'leaked',
    toggle: (c, on) =>
      setPicked((m) => {
        const next = new Map(m)
        if (on) next.set(c.name, c)
        else next.delete(c.name)
        return next
      }),
    clear: () => setPicked(new Map()),
  }
}

export function BulkRevokeBar({ items, onDone }: { items: Credential[]; onDone: () => void }) {
  const [open, setOpen] = useState(false)
  const personal = useBulkRevoke('api_credentials')
  const service = useBulkRevoke('service_credentials')
  const [error, setError] = useState<string>()
  const region = useRef<HTMLDivElement>(null)
  if (items.length === 0) return null
  const n = items.length
  const noun = `${n} token${n === 1 ? '' : 's'}`
  const pending = personal.isPending || service.isPending
  async function revoke() {
    setError(undefined)
    const p = items.filter((c) => c.type !== 'SERVICE_API_TOKEN').map((c) => c.name)
    const s = items.filter((c) => c.type === 'SERVICE_API_TOKEN').map((c) => c.name)
    // Where focus goes is decided on the list as it is now, before it is read again.
    const scope = region.current?.parentElement ?? document.body
    const target = rowAfter(scope, new Set(items.map((c) => c.name)))
    try {
      const results = await Promise.all([p.length ? personal.mutateAsync(p) : null, s.length ? service.mutateAsync(s) : null])
      const done = results.reduce((acc, r) => acc + (r?.credentials_marked_for_deletion.length ?? 0), 0)
      const failed = results.flatMap((r) => r?.credentials_failed ?? [])
      if (failed.length) toast.error(`Not revoked: ${failed.join(', ')}`)
      toast.success(`${done} token${done === 1 ? '' : 's'} revoked`)
      setOpen(false)
      onDone()
      focusRowOrHeading(scope, target)
    } catch (err) {
      setError((err as Error).message)
    }
  }
  return (
    <div ref={region} role="region" aria-label="Selected tokens" className="mb-3 flex flex-wrap items-center justify-between gap-2 rounded-lg border border-indigo-200 bg-indigo-50 px-3 py-2 dark:border-indigo-900 dark:bg-indigo-950">
      <p className="font-medium">{noun} selected</p>
      <div className="flex gap-2">
        <Button size="sm" variant="secondary" onClick={onDone}>Clear selection</Button>
        <Button size="sm" variant="danger" onClick={() => setOpen(true)}>Revoke {noun}</Button>
      </div>
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title={`Revoke ${noun}?`}
        consequence={<>Every caller using {n === 1 ? 'this token' : `these ${n} tokens`} is refused from the moment you confirm: {items.slice(0, 5).map((c) => c.name).join(', ')}{n > 5 ? ` and ${n - 5} more` : ''}. <strong>Their owners cannot undo this</strong>; only a tenant administrator can re-activate a revoked token, one at a time, and only where the tenant policy allows it (never a leaked one).</>}
        confirmLabel={`Revoke ${noun}`}
        typed={n === 1
          ? { value: items[0].name, label: <>Type <code className="font-mono">{items[0].name}</code> to confirm</> }
          : { value: String(n), label: <>Type the number of tokens, <strong>{n}</strong>, to confirm</> }}
        // Focus is placed on the next row once the list is read again, not back on the bar that goes away.
        onCloseAutoFocus={(e) => e.preventDefault()}
        onConfirm={() => void revoke()}
        pending={pending}
        error={error}
      />
    </div>
  )
}
