// The permission catalog (/api/permissions): read by the Permissions page and the token wizard's
// scope step, changed by administrators on the Permissions page.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { CatalogList, CatalogPermission, CatalogPermissionDetail, CreateCatalogPermission } from '../../../contract/permissions'
import { api } from '../api-client'

export type CatalogFilter = 'all' | 'active' | 'retired'
const retiredParam: Record<CatalogFilter, 'true' | 'false' | undefined> = { all: undefined, active: 'false', retired: 'true' }

export const permissionQueries = {
  all: () => ['permissions'] as const,
  lists: () => [...permissionQueries.all(), 'list'] as const,
  list: (filter: CatalogFilter) => queryOptions({
    queryKey: [...permissionQueries.lists(), filter] as const,
    queryFn: () => api<CatalogList>('/api/permissions', { query: { retired: retiredParam[filter] } }),
  }),
  details: () => [...permissionQueries.all(), 'detail'] as const,
  detail: (name: string) => queryOptions({
    queryKey: [...permissionQueries.details(), name] as const,
    queryFn: () => api<CatalogPermissionDetail>(`/api/permissions/${encodeURIComponent(name)}`),
  }),
}

export function useCreatePermission() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: CreateCatalogPermission) => api<CatalogPermission>('/api/permissions', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: permissionQueries.lists() }),
  })
}

export function useRetirePermission() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (name: string) => api<CatalogPermission>(`/api/permissions/${encodeURIComponent(name)}/retire`, { method: 'POST' }),
    onSuccess: (_p, name) => Promise.all([
      qc.invalidateQueries({ queryKey: permissionQueries.lists() }),
      qc.invalidateQueries({ queryKey: permissionQueries.detail(name).queryKey }),
    ]),
  })
}
