// The signing secret, shown once after a webhook is created, with a copy control. It lives only in
// the page's state and leaves the DOM when the dialog closes.
import { AlertTriangle, Check, Copy } from 'lucide-react'
import { useId, useRef, useState } from 'react'
import { Button } from '../../../components/ui/button'
import { Dialog } from '../../../components/ui/dialog'

export function SecretDialog({ secret, url, onClose }: { secret: string | null; url: string; onClose: () => void }) {
  const [stored, setStored] = useState(false)
  const [copy, setCopy] = useState<'idle' | 'copied' | 'refused'>('idle')
  const ref = useRef<HTMLTextAreaElement>(null)
  const id = useId()
  if (!secret) return null
  async function copySecret() {
    try {
      await navigator.clipboard.writeText(secret!)
      setCopy('copied')
    } catch {
      // Clipboard refused: select the text so Ctrl+C / ⌘C works.
      ref.current?.focus()
      ref.current?.select()
      setCopy('refused')
    }
  }
  return (
    <Dialog
      open
      onOpenChange={(open) => { if (!open && stored) onClose() }}
      title="Your webhook signing secret"
      description={<>Requests to <span className="break-all font-medium">{url}</span> are signed with it.</>}
      dismissable={stored}
      wide
    >
      <div className="space-y-4">
        <div role="alert" className="flex gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
          <p>Copy it now into the receiver&apos;s configuration. <strong>It will never be shown again</strong>. To change it, delete the webhook and add it again.</p>
        </div>
        <div className="space-y-1.5">
          <div className="flex items-center justify-between gap-2">
            <label htmlFor={id} className="text-sm font-medium">Signing secret</label>
            <Button size="sm" variant="secondary" onClick={copySecret} aria-label={copy === 'copied' ? 'Copied signing secret' : 'Copy signing secret'}>
              {copy === 'copied' ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
              {copy === 'copied' ? 'Copied' : 'Copy'}
            </Button>
          </div>
          <textarea
            id={id} ref={ref} readOnly rows={1} value={secret} spellCheck={false} autoComplete="off" data-testid="webhook-secret"
            onFocus={(e) => e.currentTarget.select()}
            className="field-sizing-content block min-h-10 w-full resize-none break-all rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-sm dark:border-slate-600 dark:bg-slate-950"
          />
          <p aria-live="polite" className="min-h-4 text-xs">
            {copy === 'copied' && <span className="font-medium text-emerald-700 dark:text-emerald-400">Copied to the clipboard.</span>}
            {copy === 'refused' && <span className="font-medium text-amber-800 dark:text-amber-300">The browser refused the clipboard. The text is selected: press Ctrl+C (⌘C on a Mac).</span>}
          </p>
        </div>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Each request carries <code className="font-mono">x-token-console-timestamp</code> and{' '}
          <code className="font-mono">x-token-console-signature: sha256=HMAC-SHA-256(secret, timestamp + &quot;.&quot; + body)</code>.
          Check it in constant time and refuse timestamps more than 5 minutes old.
        </p>
        <div className="flex flex-col gap-3 border-t border-slate-200 pt-4 sm:flex-row sm:items-center sm:justify-between dark:border-slate-800">
          <label className="flex items-center gap-2 font-medium">
            <input type="checkbox" className="size-4 accent-indigo-600" checked={stored} onChange={(e) => setStored(e.target.checked)} />
            I have stored this secret
          </label>
          <Button disabled={!stored} onClick={onClose}>Done</Button>
        </div>
      </div>
    </Dialog>
  )
}
