// Console-only endpoints (server/console): credits and description, test-a-token, name check,
// check counters, inventory export, bulk revoke.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { CheckCounters, CreditsResponse, TestTokenResponse } from '../../../contract/console'
import type { LeakTimelineResponse } from '../../../contract/leaks'
import { api, buildUrl } from '../api-client'
import { API_BASE, credentialQueries, type Family } from './credentials'

export const consoleQueries = {
  credits: (family: Family, name: string) =>
    queryOptions({
      queryKey: [...credentialQueries.details(family), name, 'credits'] as const,
      queryFn: ({ signal }) => api<CreditsResponse>(`/api/console/credentials/${family}/${encodeURIComponent(name)}`, { signal }),
    }),
  leakTimeline: (family: Family, name: string) =>
    queryOptions({
      queryKey: [...credentialQueries.details(family), name, 'leak-timeline'] as const,
      queryFn: ({ signal }) => api<LeakTimelineResponse>(`/api/console/credentials/${family}/${encodeURIComponent(name)}/leak_timeline`, { signal }),
      refetchInterval: 60_000,
    }),
  checks: () => queryOptions({ queryKey: ['metrics', 'checks'] as const, queryFn: () => api<CheckCounters>('/api/console/checks'), refetchInterval: 30_000 }),
}

export function useUpdateDescription(family: Family, name: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (description: string) =>
      api<{ description: string }>(`/api/console/credentials/${family}/${encodeURIComponent(name)}`, { method: 'PATCH', body: { description } }),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: credentialQueries.detail(family, name).queryKey }),
        qc.invalidateQueries({ queryKey: credentialQueries.lists(family) }),
      ]),
  })
}

/** Revokes the selected credentials in one call; the list and inventory refresh after. */
export function useBulkRevoke(family: Family) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (names: string[]) =>
      api<{ credentials_failed: string[]; credentials_marked_for_deletion: string[]; error_message: string }>(
        `${API_BASE}/bulk_revoke/${family}`, { method: 'POST', body: { name_selector: { names } } },
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: credentialQueries.all() }),
  })
}

/** A plain call, not a query: the pasted token must not sit in a cache. */
export const testToken = (token: string) => api<TestTokenResponse>('/api/console/test-token', { method: 'POST', body: { token } })

export const nameAvailable = (name: string, signal: AbortSignal) =>
  api<{ available: boolean }>('/api/console/name-available', { query: { name }, signal })

export const inventoryExportUrl = (params: Record<string, string | undefined>) => buildUrl('/api/inventory/export.csv', { ...params, cursor: undefined, limit: undefined })
