// Usage, audit, inventory, saved-search and metrics queries.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { AuditEvent, AuditVerify } from '../../../contract/audit'
import type { ListResponse } from '../../../contract/credentials'
import type { MetricsSummary } from '../../../contract/metrics'
import type { CreateSavedSearch, SavedSearch } from '../../../contract/saved-searches'
import type { UsageResponse } from '../../../contract/usage'
import { api, buildUrl } from '../api-client'
import type { Family } from './credentials'

export type QueryParams = Record<string, string | undefined>

export const insightQueries = {
  usage: (family: Family, name: string) =>
    queryOptions({
      queryKey: ['credentials', family, 'usage', name] as const,
      queryFn: () => api<UsageResponse>(`/api/web/namespaces/system/${family}/${encodeURIComponent(name)}/usage`),
    }),
  audit: (params: QueryParams) =>
    queryOptions({
      queryKey: ['audit', 'list', params] as const,
      queryFn: () => api<{ items: AuditEvent[]; next_cursor: string | null }>('/api/audit', { query: params }),
      placeholderData: (prev) => prev,
    }),
  auditChain: () => queryOptions({ queryKey: ['audit', 'verify'] as const, queryFn: () => api<AuditVerify>('/api/audit/verify') }),
  inventory: (params: QueryParams) =>
    queryOptions({
      queryKey: ['credentials', 'inventory', params] as const,
      queryFn: () => api<ListResponse>('/api/inventory', { query: { limit: '50', ...params } }),
      placeholderData: (prev) => prev,
    }),
  savedSearches: () => queryOptions({ queryKey: ['saved-searches'] as const, queryFn: () => api<{ items: SavedSearch[] }>('/api/saved_searches') }),
  metrics: () => queryOptions({ queryKey: ['metrics', 'summary'] as const, queryFn: () => api<MetricsSummary>('/api/metrics/summary'), refetchInterval: 30_000 }),
}

export const auditExportUrl = (params: QueryParams) => buildUrl('/api/audit/export.csv', { ...params, cursor: undefined })

export function useSaveSearch() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: CreateSavedSearch) => api<SavedSearch>('/api/saved_searches', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: insightQueries.savedSearches().queryKey }),
  })
}

export function useDeleteSearch() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api(`/api/saved_searches/${id}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: insightQueries.savedSearches().queryKey }),
  })
}
