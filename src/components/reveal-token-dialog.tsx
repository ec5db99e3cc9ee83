// The one-time reveal: the new token, a copy control, ready-to-paste snippets, and a confirmation
// that it is stored. The secret lives only in the parent's state and leaves the DOM on close.
import { AlertTriangle, Check, Copy } from 'lucide-react'
import { useEffect, useId, useRef, useState } from 'react'
import { Button } from './ui/button'
import { Dialog } from './ui/dialog'

export interface RevealedToken {
  name: string
  secret: string
  expiresAt: string | null
}

type CopyState = 'idle' | 'copied' | 'refused'

/** Stable across rotations: terraform-prod-r2 still goes to TERRAFORM_PROD_API_TOKEN, so callers keep their config. */
export function envVarName(name: string) {
  const base = name.replace(/-r\d+$/, '')
  return `${base.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_TOKEN`
}

function CopyField({ label, value, mono = true, testId }: { label: string; value: string; mono?: boolean; testId?: string }) {
  const [state, setState] = useState<CopyState>('idle')
  const ref = useRef<HTMLTextAreaElement>(null)
  const id = useId()
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
      // Clipboard refused (permissions, insecure context): select the text so Ctrl+C / ⌘C works.
      ref.current?.focus()
      ref.current?.select()
      setState('refused')
    }
  }

  return (
    <div className="space-y-1.5">
      <div className="flex items-center justify-between gap-2">
        <label htmlFor={id} className="text-sm font-medium">{label}</label>
        <Button size="sm" variant="secondary" onClick={copy} aria-label={state === 'copied' ? `Copied ${label.toLowerCase()}` : `Copy ${label.toLowerCase()}`} aria-describedby={`${id}-status`}>
          {state === 'copied' ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <textarea
        id={id}
        ref={ref}
        readOnly
        rows={1}
        value={value}
        data-testid={testId}
        onFocus={(e) => e.currentTarget.select()}
        className={`field-sizing-content block min-h-10 w-full resize-none rounded-md border border-slate-300 bg-slate-50 px-3 py-2 text-sm break-all dark:border-slate-600 dark:bg-slate-950 ${mono ? 'font-mono' : ''}`}
        spellCheck={false}
        autoComplete="off"
      />
      <p id={`${id}-status`} aria-live="polite" className="min-h-4 text-xs">
        {state === 'copied' && <span className="font-medium text-emerald-700 dark:text-emerald-400">Copied to the clipboard.</span>}
        {state === 'refused' && <span className="font-medium text-amber-800 dark:text-amber-300">The browser refused the clipboard. The text is selected: press Ctrl+C (⌘C on a Mac).</span>}
      </p>
    </div>
  )
}

export function RevealTokenDialog({ token, onClose, title = 'Your new API token' }: { token: RevealedToken | null; onClose: () => void; title?: string }) {
  const [stored, setStored] = useState(false)
  const confirmId = useId()
  if (!token) return null
  const envName = envVarName(token.name)
  const origin = window.location.origin
  return (
    <Dialog
      open
      onOpenChange={(open) => { if (!open && stored) onClose() }}
      title={title}
      description={<>Token <strong>{token.name}</strong> was created.</>}
      dismissable={stored}
      wide
    >
      <div className="space-y-4">
        <div role="alert" className="flex gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
          <p>
            Copy it now and keep it in a secrets manager. <strong>It will never be shown again</strong>: the server keeps only a
            hash. If it is lost, create a new one.
          </p>
        </div>
        <CopyField label="Token" value={token.secret} testId="revealed-token" />
        <CopyField label="Environment variable" value={`export ${envName}="${token.secret}"`} />
        <CopyField label="Test it with curl" value={`curl -s -H "Authorization: APIToken $${envName}" ${origin}/api/web/custom/namespaces/system/whoami`} />
        <div className="flex flex-col gap-3 border-t border-slate-200 pt-4 sm:flex-row sm:items-center sm:justify-between dark:border-slate-800">
          <label htmlFor={confirmId} className="flex items-center gap-2 font-medium">
            <input id={confirmId} type="checkbox" className="size-4 accent-indigo-600" checked={stored} onChange={(e) => setStored(e.target.checked)} />
            I have stored this token
          </label>
          <Button disabled={!stored} onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </Dialog>
  )
}
