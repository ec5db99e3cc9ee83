// A token's limits (server/limits): change them, and the allowlist suggestion and dry run.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { AllowlistSuggestion, DryRunResponse, LimitsResponse, UpdateLimitsRequest } from '../../../contract/limits'
import { api } from '../api-client'
import { credentialQueries, type Family } from './credentials'

const base = (family: Family, name: string) => `/api/console/credentials/${family}/${encodeURIComponent(name)}`

export const limitQueries = {
  suggestion: (family: Family, name: string) =>
    queryOptions({
      queryKey: [...credentialQueries.details(family), name, 'allowlist-suggestion'] as const,
      queryFn: ({ signal }) => api<AllowlistSuggestion>(`${base(family, name)}/allowlist_suggestion`, { signal }),
    }),
  dryRun: (family: Family, name: string, cidrs: readonly string[]) =>
    queryOptions({
      queryKey: [...credentialQueries.details(family), name, 'allowlist-dry-run', cidrs.join(',')] as const,
      queryFn: ({ signal }) => api<DryRunResponse>(`${base(family, name)}/allowlist_dry_run`, { query: { cidrs: cidrs.join(',') }, signal }),
    }),
}

export function useUpdateLimits(family: Family, name: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: UpdateLimitsRequest) => api<LimitsResponse>(`${base(family, name)}/limits`, { method: 'PATCH', body }),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: credentialQueries.detail(family, name).queryKey }),
        qc.invalidateQueries({ queryKey: credentialQueries.lists(family) }),
      ]),
  })
}
