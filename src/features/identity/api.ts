// The single sign-on settings (administrators): read, save (asks for a recent sign-in, through the
// api client's prompt), and a discovery test against an issuer.
import { queryOptions, useMutation, type QueryClient } from '@tanstack/react-query'
import type { OidcDiscoveryTestResponse, OidcSettingsResponse, OidcSettingsUpdate } from '../../../contract/identity'
import { api } from '../../lib/api-client'

export const identityQueries = {
  oidc: () => queryOptions({
    queryKey: ['identity', 'oidc'] as const,
    queryFn: ({ signal }) => api<OidcSettingsResponse>('/api/identity/oidc', { signal }),
  }),
}

/**
 * Saves the settings with a plain call rather than a react-query mutation, whose cache would keep
 * the client secret as the mutation's variables; the answer (which never holds it) goes to the cache.
 */
export async function saveOidcSettings(qc: QueryClient, body: OidcSettingsUpdate) {
  const saved = await api<OidcSettingsResponse>('/api/identity/oidc', { method: 'PUT', body })
  qc.setQueryData(identityQueries.oidc().queryKey, saved)
  return saved
}

export function useTestDiscovery() {
  return useMutation({
    mutationFn: (issuer: string) => api<OidcDiscoveryTestResponse>('/api/identity/oidc/test', { method: 'POST', body: { issuer } }),
  })
}
