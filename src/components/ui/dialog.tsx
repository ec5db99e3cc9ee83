import * as RadixDialog from '@radix-ui/react-dialog'
import { X } from 'lucide-react'
import type { ReactNode, RefObject } from 'react'
import { cn } from './cn'

/** An accessible modal: focus is trapped, Escape closes (unless prevented), title and description are announced. */
export function Dialog(props: {
  open: boolean
  onOpenChange: (open: boolean) => void
  title: string
  description?: ReactNode
  children: ReactNode
  wide?: boolean
  /** Block Escape and outside clicks, e.g. while a secret is shown and not yet confirmed stored. */
  dismissable?: boolean
  /**
   * Where focus starts when it opens: the field the person has to fill (a typed confirmation). Without
   * it Radix focuses the first focusable element, which is the Close button in the header.
   */
  initialFocus?: RefObject<HTMLElement | null>
  /** Called instead of returning focus to the opener when it closes; preventDefault() to place it yourself. */
  onCloseAutoFocus?: (e: Event) => void
}) {
  const dismissable = props.dismissable ?? true
  return (
    <RadixDialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="fixed inset-0 z-40 bg-slate-950/50" />
        <RadixDialog.Content
          onOpenAutoFocus={(e) => {
            const el = props.initialFocus?.current
            if (!el) return
            e.preventDefault()
            el.focus()
          }}
          onCloseAutoFocus={props.onCloseAutoFocus}
          onEscapeKeyDown={(e) => !dismissable && e.preventDefault()}
          onPointerDownOutside={(e) => !dismissable && e.preventDefault()}
          aria-describedby={props.description ? undefined : undefined}
          className={cn(
            'fixed left-1/2 top-1/2 z-50 max-h-[90vh] w-[calc(100vw-1.5rem)] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-5 shadow-xl dark:bg-slate-900',
            props.wide ? 'max-w-2xl' : 'max-w-md',
          )}
        >
          <div className="mb-4 flex items-start justify-between gap-4">
            <div>
              <RadixDialog.Title className="text-base font-semibold">{props.title}</RadixDialog.Title>
              {props.description ? (
                <RadixDialog.Description className="mt-1 text-slate-600 dark:text-slate-400">{props.description}</RadixDialog.Description>
              ) : (
                <RadixDialog.Description className="sr-only">{props.title}</RadixDialog.Description>
              )}
            </div>
            {dismissable && (
              <RadixDialog.Close className="rounded p-1 text-slate-500 hover:bg-slate-100 dark:hover:bg-slate-800" aria-label="Close">
                <X className="size-4" aria-hidden />
              </RadixDialog.Close>
            )}
          </div>
          {props.children}
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  )
}
