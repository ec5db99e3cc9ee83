// The permission catalog: permissions of services behind the gateway that tokens can carry. Everyone
// who reads tokens sees it (developers pick from it in the wizard); administrators add and retire.
import { useQuery } from '@tanstack/react-query'
import { Plus } from 'lucide-react'
import { useState } from 'react'
import { toast } from 'sonner'
import type { CatalogPermission } from '../../../../contract/permissions'
import { permissionQueries, useRetirePermission, type CatalogFilter } from '../../../lib/api/permissions'
import { useUser } from '../../../lib/api/session'
import { formatDate } from '../../../lib/format'
import { isAdmin } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { Input, Select } from '../../../components/ui/field'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { AddPermissionDialog } from './add-permission-dialog'

function HoldersNote({ name }: { name: string }) {
  const detail = useQuery(permissionQueries.detail(name))
  if (detail.isPending) return <span>Counting the tokens that hold it…</span>
  if (detail.isError) return <span>{detail.error.message}</span>
  const n = detail.data.tokens_holding
  return <span>{n === 0 ? 'No unexpired token holds it.' : `${n} unexpired token${n === 1 ? ' holds' : 's hold'} it and will no longer be granted it: ${detail.data.token_names.join(', ')}${n > detail.data.token_names.length ? ', …' : ''}.`}</span>
}

export function PermissionsPage() {
  const me = useUser()
  const admin = isAdmin(me)
  const [filter, setFilter] = useState<CatalogFilter>('all')
  const [search, setSearch] = useState('')
  const [adding, setAdding] = useState(false)
  const [retiring, setRetiring] = useState<CatalogPermission | null>(null)
  const list = useQuery(permissionQueries.list(filter))
  const retire = useRetirePermission()
  const q = search.trim().toLowerCase()
  const items = list.data?.items.filter((p) => !q || p.name.includes(q) || p.description.toLowerCase().includes(q))
  const add = admin ? <Button className="whitespace-nowrap" onClick={() => setAdding(true)}><Plus className="size-4" aria-hidden /> Add permission</Button> : undefined
  return (
    <>
      <PageHeader
        title="Permissions"
        description="Permissions of services behind your gateway. A token with a custom scope can carry them; the gateway asks GET /api/verify with X-Required-Scope and gets 204 or a 403 naming the missing permission."
        actions={add}
      />
      <div className="mb-4 flex flex-col gap-2 sm:flex-row">
        <Input aria-label="Search permissions" placeholder="Search permissions" value={search} onChange={(e) => setSearch(e.target.value)} className="sm:max-w-xs" />
        <Select aria-label="Show" value={filter} onChange={(e) => setFilter(e.target.value as CatalogFilter)} className="sm:max-w-48">
          <option value="all">All</option>
          <option value="active">In force</option>
          <option value="retired">Retired</option>
        </Select>
      </div>
      {list.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : !items?.length ? (
        <EmptyState title={list.data.items.length ? 'No permission matches' : 'No permissions yet'} action={list.data.items.length ? undefined : add}>
          {admin ? 'Add the permissions your services check, such as billing:invoices:read.' : 'An administrator adds the permissions your services check.'}
        </EmptyState>
      ) : (
        <Card className="p-0">
          <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="Catalog permissions">
            {items.map((p) => (
              <li key={p.name} className="flex flex-col gap-2 p-4 sm:flex-row sm:items-start sm:justify-between">
                <div className="min-w-0">
                  <p className="flex flex-wrap items-center gap-2">
                    <code className="break-all font-mono text-sm font-semibold">{p.name}</code>
                    {p.sensitive && <Badge tone="amber">Sensitive</Badge>}
                    {p.retired && <Badge>Retired</Badge>}
                  </p>
                  <p className="mt-0.5 text-slate-600 dark:text-slate-400">{p.description}</p>
                  <p className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                    Added {formatDate(p.created_timestamp)}{p.created_by ? ` by ${p.created_by}` : ''}{p.retired_timestamp ? `; retired ${formatDate(p.retired_timestamp)}` : ''}
                  </p>
                </div>
                {admin && !p.retired && (
                  <Button size="sm" variant="danger" className="shrink-0" aria-label={`Retire ${p.name}`} onClick={() => setRetiring(p)}>Retire</Button>
                )}
              </li>
            ))}
          </ul>
        </Card>
      )}
      <AddPermissionDialog open={adding} onOpenChange={setAdding} onAdded={(name) => toast.success(`${name} added`)} />
      <ConfirmDialog
        open={retiring !== null}
        onOpenChange={(o) => { if (!o) { retire.reset(); setRetiring(null) } }}
        title={`Retire ${retiring?.name ?? ''}?`}
        consequence={<>New tokens can no longer be given it, and gateways refuse it to tokens that list it. {retiring && <HoldersNote name={retiring.name} />} This cannot be undone.</>}
        confirmLabel="Retire permission"
        pending={retire.isPending}
        error={retire.error?.message}
        onConfirm={() => retiring && retire.mutate(retiring.name, { onSuccess: () => { toast.success(`${retiring.name} retired`); setRetiring(null) } })}
      />
    </>
  )
}
