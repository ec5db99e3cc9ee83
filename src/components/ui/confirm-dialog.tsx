// A confirmation that names the consequence, for actions that widen access or cannot be undone.
import type { ReactNode } from 'react'
import { Button } from './button'
import { Dialog } from './dialog'

export function ConfirmDialog(props: {
  open: boolean
  onOpenChange: (open: boolean) => void
  title: string
  consequence: ReactNode
  confirmLabel: string
  onConfirm: () => void
  pending?: boolean
  error?: string
  tone?: 'danger' | 'primary'
}) {
  return (
    <Dialog open={props.open} onOpenChange={props.onOpenChange} title={props.title} description={props.consequence}>
      {props.error && <p role="alert" className="mb-3 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{props.error}</p>}
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={() => props.onOpenChange(false)}>Cancel</Button>
        <Button variant={props.tone === 'primary' ? 'primary' : 'danger'} disabled={props.pending} onClick={props.onConfirm}>
          {props.pending ? 'Working…' : props.confirmLabel}
        </Button>
      </div>
    </Dialog>
  )
}
