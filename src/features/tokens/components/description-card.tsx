// Edit a token's description (its owner or an administrator). The name stays: it is the identifier
// F5 clients use.
import { useState } from 'react'
import { toast } from 'sonner'
import { DESCRIPTION_MAX } from '../../../../contract/console'
import { useUpdateDescription } from '../../../lib/api/console'
import type { Family } from '../../../lib/api/credentials'
import { Button } from '../../../components/ui/button'
import { Field, Textarea } from '../../../components/ui/field'

export function DescriptionEditor({ family, name, description, canEdit }: { family: Family; name: string; description: string; canEdit: boolean }) {
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState(description)
  const update = useUpdateDescription(family, name)
  const over = text.length > DESCRIPTION_MAX
  if (!editing) {
    return (
      <div className="flex flex-wrap items-start gap-2">
        <p className="min-w-0 flex-1 break-words">{description || <span className="text-slate-500 dark:text-slate-400">No description</span>}</p>
        {canEdit && <Button size="sm" variant="ghost" onClick={() => { setText(description); setEditing(true) }} aria-label="Edit description">Edit</Button>}
      </div>
    )
  }
  return (
    <form
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault()
        if (over) return
        update.mutate(text, { onSuccess: () => { toast.success('Description saved'); setEditing(false) } })
      }}
    >
      <Field label="Description" hint={`${text.length} / ${DESCRIPTION_MAX}`} error={over ? `At most ${DESCRIPTION_MAX} characters` : update.error?.message}>
        {(ids) => <Textarea {...ids} autoFocus value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <div className="flex gap-2">
        <Button type="submit" size="sm" disabled={over || update.isPending}>{update.isPending ? 'Saving…' : 'Save description'}</Button>
        <Button size="sm" variant="secondary" onClick={() => setEditing(false)}>Cancel</Button>
      </div>
    </form>
  )
}
