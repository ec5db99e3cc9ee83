// Controls shared by the credential lists: the status filter and a cursor pager.
import { useState } from 'react'
import { Button } from './ui/button'
import { Select } from './ui/field'

export function StatusSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <Select aria-label="Status" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Any status</option>
      <option value="active">Active</option>
      <option value="scheduled">Scheduled</option>
      <option value="expired">Expired</option>
      <option value="revoked">Revoked</option>
      <option value="leaked">Leaked</option>
      <option value="disabled">Disabled</option>
    </Select>
  )
}

/** Keyset paging: the cursors walked so far, so "previous" can step back. */
export function useCursorStack() {
  const [stack, setStack] = useState<string[]>([])
  return {
    cursor: stack.at(-1),
    depth: stack.length,
    push: (c: string) => setStack((s) => [...s, c]),
    pop: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack([]),
  }
}

export function CursorPager(props: { canBack: boolean; next: string | null | undefined; onBack: () => void; onNext: (cursor: string) => void; labels?: [string, string] }) {
  const [back, fwd] = props.labels ?? ['Previous', 'Next']
  return (
    <div className="flex gap-2">
      <Button variant="secondary" size="sm" disabled={!props.canBack} onClick={props.onBack}>{back}</Button>
      <Button variant="secondary" size="sm" disabled={!props.next} onClick={() => props.next && props.onNext(props.next)}>{fwd}</Button>
    </div>
  )
}
