// The scope step's catalog permissions: permissions of services behind the gateway (Permissions
// page), found with a search. Retired ones are never offered; a sensitive one only to an admin owner,
// as the server grants it (server/permissions/catalog.ts).
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { UseFormReturn } from 'react-hook-form'
import { isCatalogPermissionName } from '../../../../contract/permissions'
import type { Role } from '../../../../contract/users'
import { permissionQueries } from '../../../lib/api/permissions'
import { Input } from '../../../components/ui/field'
import type { WizardValues } from './wizard-schema'

const SHOWN = 12

export function CatalogPermissions({ form, role }: { form: UseFormReturn<WizardValues>; role: Role }) {
  const permissions = form.watch('permissions')
  const catalog = useQuery(permissionQueries.list('active'))
  const [search, setSearch] = useState('')
  // Nothing to offer (an empty catalog, or it could not be read): the step stays as it was.
  const items = catalog.data?.items ?? []
  if (!items.length) return null
  const q = search.trim().toLowerCase()
  const chosen = permissions.filter(isCatalogPermissionName)
  const matches = items.filter((p) => chosen.includes(p.name) || !q || p.name.includes(q) || p.description.toLowerCase().includes(q))
  const toggle = (name: string, on: boolean) => form.setValue('permissions', on ? [...permissions, name] : permissions.filter((x) => x !== name), { shouldValidate: true })
  return (
    <div className="mt-3 space-y-2 border-t border-slate-200 pt-3 dark:border-slate-700">
      <p className="text-sm font-medium">Other services</p>
      <Input aria-label="Search catalog permissions" placeholder="Search catalog permissions" value={search} onChange={(e) => setSearch(e.target.value)} />
      <ul className="grid gap-2 sm:grid-cols-2" aria-label="Catalog permissions">
        {matches.slice(0, SHOWN + chosen.length).map((p) => {
          const locked = p.sensitive && role !== 'admin'
          return (
            <li key={p.name}>
              <label className="flex gap-2">
                <input type="checkbox" className="mt-0.5 size-4 accent-indigo-600" disabled={locked && !permissions.includes(p.name)}
                  checked={permissions.includes(p.name)} onChange={(e) => toggle(p.name, e.target.checked)} />
                <span>
                  <code className="font-mono text-xs">{p.name}</code>
                  <span className="block text-xs text-slate-600 dark:text-slate-400">{p.description}{p.sensitive ? (locked ? ' (sensitive: administrators’ tokens only)' : ' (sensitive)') : ''}</span>
                </span>
              </label>
            </li>
          )
        })}
      </ul>
      {matches.length > SHOWN + chosen.length && <p className="text-xs text-slate-600 dark:text-slate-400">{matches.length - SHOWN - chosen.length} more: narrow the search.</p>}
      {!matches.length && <p className="text-xs text-slate-600 dark:text-slate-400">No catalog permission matches.</p>}
    </div>
  )
}
