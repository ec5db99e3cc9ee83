// A confirmation that names the consequence, for actions that widen access or cannot be undone.
// With `typed`, the person types a word (a name, a count) before the action is offered, and focus
// starts in that field; without it, focus starts on Cancel, never on the Close button or the action.
import { useRef, useState, type ReactNode } from 'react'
import { Button } from './button'
import { Dialog } from './dialog'
import { Field, Input } from './field'

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
  /** What must be typed to confirm, and the field's label. */
  typed?: { value: string; label: ReactNode }
  /** More content between the consequence and the confirmation (a sample, a download). */
  children?: ReactNode
  /** Keeps the action off while what it confirms is still loading. */
  ready?: boolean
  /** See Dialog: preventDefault() to place focus yourself after it closes. */
  onCloseAutoFocus?: (e: Event) => void
}) {
  const [text, setText] = useState('')
  const field = useRef<HTMLInputElement>(null)
  const cancel = useRef<HTMLButtonElement>(null)
  const matches = !props.typed || text.trim() === props.typed.value
  const change = (o: boolean) => {
    if (!o) setText('')
    props.onOpenChange(o)
  }
  return (
    <Dialog open={props.open} onOpenChange={change} title={props.title} description={props.consequence}
      initialFocus={props.typed ? field : cancel} onCloseAutoFocus={props.onCloseAutoFocus} wide={Boolean(props.children)}>
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          if (matches && props.ready !== false && !props.pending) props.onConfirm()
        }}
      >
        {props.children}
        {props.typed && (
          <Field label={props.typed.label}>
            {(ids) => <Input {...ids} ref={field} autoComplete="off" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
        )}
        {props.error && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{props.error}</p>}
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button ref={cancel} variant="secondary" onClick={() => change(false)}>Cancel</Button>
          <Button type="submit" variant={props.tone === 'primary' ? 'primary' : 'danger'} disabled={props.pending || !matches || props.ready === false}>
            {props.pending ? 'Working…' : props.confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
