// Picks a person by typing part of their name or email: the server searches (a tenant has too many
// people for a <select>), a few matches at a time. The WAI-ARIA combobox pattern (an input owning a
// listbox, the active option named by aria-activedescendant) keeps it usable from the keyboard and
// with a screen reader. The first option is always the empty choice ("Me", "Any owner").
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query'
import { X } from 'lucide-react'
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react'
import type { User } from '../../contract/users'
import { userQueries } from '../lib/api/users'
import { inputClass } from './ui/field'
import { cn } from './ui/cn'

/** How many matches one search shows: enough to choose from, few enough to read; typing narrows. */
export const OWNER_RESULTS = 10
const DEBOUNCE_MS = 250

export interface OwnerComboboxProps {
  /** The chosen person's id, or '' for the empty choice. */
  value: string
  /** The person chosen (with their role), or null when cleared back to the empty choice. */
  onChange: (owner: User | null) => void
  /** What the empty choice means here: "Any owner", "Me (ada@example.com)". */
  emptyLabel: string
  /** From a Field (its label's htmlFor), or an aria-label where there is no visible label. */
  id?: string
  'aria-label'?: string
  'aria-describedby'?: string
  /** Only people who may be chosen: enabled ones for a new token. */
  enabledOnly?: boolean
  /** Someone never offered (yourself, where the empty choice already means you). */
  excludeEmail?: string
  className?: string
}

export function OwnerCombobox(props: OwnerComboboxProps) {
  const { value, onChange, emptyLabel } = props
  const qc = useQueryClient()
  const listId = `${useId()}-owners`
  const input = useRef<HTMLInputElement>(null)
  // The chosen person, read by id when only the id is known (a filter in the URL after a reload).
  const chosen = useQuery({ ...userQueries.detail(value), enabled: value !== '' })
  const chosenEmail = value ? chosen.data?.email ?? '' : ''
  const [text, setText] = useState(chosenEmail)
  const [editing, setEditing] = useState(false)
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(-1)
  const [term, setTerm] = useState('')
  useEffect(() => {
    const t = setTimeout(() => setTerm(text.trim()), DEBOUNCE_MS)
    return () => clearTimeout(t)
  }, [text])
  const search = editing ? term : ''
  const results = useQuery({
    ...userQueries.list({ q: search || undefined, disabled: props.enabledOnly ? 'false' : undefined, limit: OWNER_RESULTS }),
    enabled: open,
    placeholderData: keepPreviousData,
  })
  const people = (results.data?.items ?? []).filter((u) => u.email !== props.excludeEmail)
  const options: Array<User | null> = [null, ...people]
  const shown = editing ? text : chosenEmail

  const close = () => { setOpen(false); setActive(-1); setEditing(false) }
  const choose = (u: User | null) => {
    if (u) qc.setQueryData(userQueries.detail(u.id).queryKey, u)
    onChange(u)
    setText(u?.email ?? '')
    close()
  }
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (!open) { setOpen(true); setActive(e.key === 'ArrowDown' ? 0 : options.length - 1); return }
      const step = e.key === 'ArrowDown' ? 1 : -1
      setActive((i) => (i + step + options.length) % options.length)
    } else if (e.key === 'Enter') {
      if (open && active >= 0 && active < options.length) { e.preventDefault(); choose(options[active]) }
    } else if (e.key === 'Escape') {
      if (open || editing) { e.preventDefault(); e.stopPropagation(); close() }
    } else if (e.key === 'Home' && open) {
      e.preventDefault(); setActive(0)
    } else if (e.key === 'End' && open) {
      e.preventDefault(); setActive(options.length - 1)
    }
  }
  const optionId = (i: number) => `${listId}-${i}`
  const count = results.data ? people.length : undefined
  return (
    <div className={cn('relative', props.className)}>
      <input
        ref={input}
        id={props.id}
        type="text"
        role="combobox"
        aria-label={props['aria-label']}
        aria-describedby={props['aria-describedby']}
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder={value && chosen.isPending ? 'Loading…' : emptyLabel}
        className={cn(inputClass, value ? 'pr-8' : undefined)}
        value={shown}
        onChange={(e) => { setText(e.target.value); setEditing(true); setOpen(true); setActive(-1) }}
        onClick={() => setOpen(true)}
        onKeyDown={onKeyDown}
        // Emptied and left: back to the empty choice; any other unfinished text gives way to the choice.
        onBlur={() => { if (editing && text.trim() === '' && value) choose(null); else close() }}
      />
      {value && (
        <button
          type="button"
          aria-label={`Clear: ${emptyLabel}`}
          title={emptyLabel}
          className="absolute right-1.5 top-1.5 rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:hover:bg-slate-800 dark:hover:text-slate-100"
          onClick={() => { choose(null); input.current?.focus() }}
        >
          <X className="size-4" aria-hidden />
        </button>
      )}
      <div hidden={!open} className="absolute z-20 mt-1 w-full min-w-64 rounded-md border border-slate-200 bg-white py-1 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900">
      <ul id={listId} role="listbox" aria-label={props['aria-label'] ?? 'People'} className="max-h-72 overflow-auto">
        {options.map((u, i) => (
          <li
            key={u?.id ?? ''}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            // Keeps the focus in the input so the blur does not close the list before the click lands.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => choose(u)}
            className={cn('cursor-pointer px-3 py-1.5', i === active ? 'bg-indigo-50 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100' : undefined)}
          >
            {u ? (
              <>
                <span className="block break-all">{u.email}</span>
                <span className="block text-xs text-slate-600 dark:text-slate-400">{u.name} · {u.role}{u.disabled ? ' · disabled' : ''}</span>
              </>
            ) : emptyLabel}
          </li>
        ))}
      </ul>
      {results.data?.next_cursor && <p className="px-3 py-1.5 text-xs text-slate-600 dark:text-slate-400">More people match: keep typing to narrow.</p>}
      </div>
      <span aria-live="polite" className="sr-only">
        {open && count !== undefined ? (count === 0 ? 'No one matches' : `${count}${results.data?.next_cursor ? ' or more' : ''} ${count === 1 ? 'person' : 'people'} found`) : ''}
      </span>
    </div>
  )
}
