// Saved searches: kept per person, optionally shared; each is a link to the same view.
import { useQuery } from '@tanstack/react-query'
import { Link2, Trash2 } from 'lucide-react'
import { useState } from 'react'
import { Link, useLocation } from 'react-router'
import { toast } from 'sonner'
import { insightQueries, useDeleteSearch, useSaveSearch } from '../../../lib/api/insights'
import { Button } from '../../../components/ui/button'
import { Card } from '../../../components/ui/card'
import { Field, Input } from '../../../components/ui/field'

export function SavedSearches() {
  const location = useLocation()
  const searches = useQuery(insightQueries.savedSearches())
  const save = useSaveSearch()
  const remove = useDeleteSearch()
  const [name, setName] = useState('')
  const [shared, setShared] = useState(false)
  const mine = (searches.data?.items ?? []).filter((s) => s.page === 'inventory')
  const link = (query: string) => `/inventory${query ? `?${query}` : ''}`
  return (
    <Card>
      <h2 className="mb-3">Saved searches</h2>
      {mine.length === 0 ? (
        <p className="mb-3 text-slate-600 dark:text-slate-400">None yet. Save the current filters to come back to them, or share them with your team.</p>
      ) : (
        <ul className="mb-4 space-y-1.5">
          {mine.map((s) => (
            <li key={s.id} className="flex items-center justify-between gap-2">
              <span className="min-w-0">
                <Link to={link(s.query)} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">{s.name}</Link>
                <span className="block truncate text-xs text-slate-600 dark:text-slate-400">{s.mine ? (s.shared ? 'shared by you' : 'only you') : `shared by ${s.owner_email}`}</span>
              </span>
              <span className="flex shrink-0 gap-1">
                <Button size="sm" variant="ghost" aria-label={`Copy a link to ${s.name}`} onClick={() => navigator.clipboard.writeText(window.location.origin + link(s.query)).then(() => toast.success('Link copied'), () => toast.error('The browser refused the clipboard'))}>
                  <Link2 className="size-3.5" aria-hidden />
                </Button>
                {s.mine && (
                  <Button size="sm" variant="ghost" aria-label={`Delete ${s.name}`} onClick={() => remove.mutate(s.id)}>
                    <Trash2 className="size-3.5" aria-hidden />
                  </Button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form
        className="space-y-2 border-t border-slate-200 pt-3 dark:border-slate-800"
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate({ name, page: 'inventory', query: location.search.replace(/^\?/, ''), shared }, {
            onSuccess: () => { setName(''); setShared(false); toast.success('Search saved') },
          })
        }}
      >
        <Field label="Save the current filters as" error={save.error?.message}>
          {(ids) => <Input {...ids} value={name} onChange={(e) => setName(e.target.value)} placeholder="Idle for 90+ days" />}
        </Field>
        <label className="flex items-center gap-2"><input type="checkbox" className="size-4 accent-indigo-600" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Share with everyone who can see the inventory</label>
        <Button type="submit" size="sm" disabled={!name.trim() || save.isPending}>Save search</Button>
      </form>
    </Card>
  )
}
