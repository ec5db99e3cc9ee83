// The tenant's SCIM token: its status (never its value), create or replace (the value comes back
// once, in that answer only), revoke.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { CreateCredentialResponse, GetResponse } from '../../../../contract/credentials'
import { ApiError, api } from '../../../lib/api-client'
import { API_BASE } from '../../../lib/api/credentials'

export const scimTokenQueries = {
  all: () => ['scim-token'] as const,
  /** null: the tenant has none yet (the server answers 404). */
  status: () => queryOptions({
    queryKey: [...scimTokenQueries.all(), 'status'] as const,
    queryFn: async () => {
      try {
        return await api<GetResponse>(`${API_BASE}/scim_token`)
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null
        throw err
      }
    },
  }),
}

export function useCreateScimToken() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api<CreateCredentialResponse>(`${API_BASE}/scim_token`, { method: 'POST', body: { namespace: 'system' } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: scimTokenQueries.all() }),
  })
}

export function useRevokeScimToken() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api<{ status: boolean }>(`${API_BASE}/revoke/scim_token`, { method: 'POST', body: { namespace: 'system' } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: scimTokenQueries.all() }),
  })
}
