// The one-time reveal: the new token, a copy control, ready-to-paste snippets, and a confirmation
// that it is stored; for an API certificate its P12 file, for a kubeconfig its file and YAML. The
// secret lives only in the parent's state and leaves the DOM on close.
import { AlertTriangle, Check, Copy, Download } from 'lucide-react'
import { useEffect, useId, useRef, useState, type ReactNode } from 'react'
import type { ConsoleCredentialType } from '../../contract/auth'
import { Button } from './ui/button'
import { Dialog } from './ui/dialog'

export interface RevealedToken {
  name: string
  /** The token; for a certificate the base64 PKCS#12 bundle, for a kubeconfig the base64 YAML. */
  secret: string
  expiresAt: string | null
  /** API_TOKEN when absent. */
  kind?: ConsoleCredentialType
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return bytes
}

/** Saves bytes as a file; the object URL is revoked right after the click, so nothing keeps it. */
export function downloadBytes(filename: string, bytes: Uint8Array<ArrayBuffer>, type: string) {
  const url = URL.createObjectURL(new Blob([bytes], { type }))
  try {
    Object.assign(document.createElement('a'), { href: url, download: filename }).click()
  } finally {
    URL.revokeObjectURL(url)
  }
}

type CopyState = 'idle' | 'copied' | 'refused'

/** Stable across rotations: terraform-prod-r2 still goes to TERRAFORM_PROD_API_TOKEN, so callers keep their config. */
export function envVarName(name: string) {
  const base = name.replace(/-r\d+$/, '')
  return `${base.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_TOKEN`
}

function CopyField({ label, value, mono = true, testId, multiline = false }: { label: string; value: string; mono?: boolean; testId?: string; multiline?: boolean }) {
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
        wrap={multiline ? 'off' : undefined}
        className={`field-sizing-content block min-h-10 w-full resize-none rounded-md border border-slate-300 bg-slate-50 px-3 py-2 text-sm dark:border-slate-600 dark:bg-slate-950 ${multiline ? 'max-h-60 overflow-auto whitespace-pre' : 'break-all'} ${mono ? 'font-mono' : ''}`}
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

function Warning({ children }: { children: ReactNode }) {
  return (
    <div role="alert" className="flex gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
      <p>{children}</p>
    </div>
  )
}

function DownloadButton({ filename, onClick }: { filename: string; onClick: () => void }) {
  const [done, setDone] = useState(false)
  return (
    <div className="flex flex-wrap items-center gap-3">
      <Button onClick={() => { onClick(); setDone(true) }}>
        <Download className="size-4" aria-hidden /> Download {filename}
      </Button>
      <span aria-live="polite" className="text-sm font-medium text-emerald-700 dark:text-emerald-400">{done && 'Saved to your downloads.'}</span>
    </div>
  )
}

function TokenSecret({ token }: { token: RevealedToken }) {
  const envName = envVarName(token.name)
  const origin = window.location.origin
  return (
    <>
      <Warning>
        Copy it now and keep it in a secrets manager. <strong>It will never be shown again</strong>: the server keeps only a
        hash. If it is lost, create a new one.
      </Warning>
      <CopyField label="Token" value={token.secret} testId="revealed-token" />
      <CopyField label="Environment variable" value={`export ${envName}="${token.secret}"`} />
      <CopyField label="Test it with curl" value={`curl -s -H "Authorization: APIToken $${envName}" ${origin}/api/web/custom/namespaces/system/whoami`} />
    </>
  )
}

function CertificateSecret({ token }: { token: RevealedToken }) {
  const filename = `${token.name}.p12`
  return (
    <>
      <Warning>
        Download it now and keep it safe. <strong>It will never be shown again</strong>: the server keeps only the
        certificate, never its private key. The file is protected by the password you chose, which you need to import
        it; the password is not stored either. If either is lost, create a new one.
      </Warning>
      <DownloadButton filename={filename} onClick={() => downloadBytes(filename, base64ToBytes(token.secret), 'application/x-pkcs12')} />
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Use it for mutual TLS, for example <code className="font-mono">curl --cert-type P12 --cert {filename}:PASSWORD …</code>
      </p>
    </>
  )
}

function KubeconfigSecret({ token }: { token: RevealedToken }) {
  const filename = `${token.name}.kubeconfig`
  const bytes = base64ToBytes(token.secret)
  const yaml = new TextDecoder().decode(bytes)
  return (
    <>
      <Warning>
        Download or copy it now and keep it safe. <strong>It will never be shown again</strong>: it holds a private key
        the server does not keep. If it is lost, create a new one.
      </Warning>
      <DownloadButton filename={filename} onClick={() => downloadBytes(filename, bytes, 'application/yaml')} />
      <CopyField label="Kubeconfig" value={yaml} testId="revealed-kubeconfig" multiline />
      <CopyField label="Use it with kubectl" value={`KUBECONFIG=${filename} kubectl get pods`} />
    </>
  )
}

const noun: Record<ConsoleCredentialType, string> = { API_TOKEN: 'token', API_CERTIFICATE: 'certificate', KUBE_CONFIG: 'kubeconfig' }

export function RevealTokenDialog({ token, onClose, title = 'Your new API token', onCloseAutoFocus }: {
  token: RevealedToken | null; onClose: () => void; title?: string
  /** preventDefault() when the page the person lands on places focus itself (the new token's heading). */
  onCloseAutoFocus?: (e: Event) => void
}) {
  const [stored, setStored] = useState(false)
  const confirmId = useId()
  if (!token) return null
  const kind = token.kind ?? 'API_TOKEN'
  const what = noun[kind]
  return (
    <Dialog
      open
      onOpenChange={(open) => { if (!open && stored) onClose() }}
      title={title}
      description={<>{what[0].toUpperCase() + what.slice(1)} <strong>{token.name}</strong> was created.</>}
      dismissable={stored}
      onCloseAutoFocus={onCloseAutoFocus}
      wide
    >
      <div className="space-y-4">
        {kind === 'API_CERTIFICATE' ? <CertificateSecret token={token} /> : kind === 'KUBE_CONFIG' ? <KubeconfigSecret token={token} /> : <TokenSecret token={token} />}
        <div className="flex flex-col gap-3 border-t border-slate-200 pt-4 sm:flex-row sm:items-center sm:justify-between dark:border-slate-800">
          <label htmlFor={confirmId} className="flex items-center gap-2 font-medium">
            <input id={confirmId} type="checkbox" className="size-4 accent-indigo-600" checked={stored} onChange={(e) => setStored(e.target.checked)} />
            I have stored this {what}
          </label>
          <Button disabled={!stored} onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </Dialog>
  )
}
