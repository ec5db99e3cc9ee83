// Governance in the console: the tenant policy (dry run, update), server-side rotation and its status,
// and re-activation with a reason. Keys come from the factories below and from credentialQueries.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { CreateCredentialResponse } from '../../../contract/credentials'
import type { DryRunResponse, Policy, PolicySettings, PolicyUpdate, PolicyUpdateResponse } from '../../../contract/policy'
import type { RotateRequest, RotationStatus } from '../../../contract/rotation'
import { api, ApiError } from '../api-client'
import { API_BASE, credentialQueries, type Family } from './credentials'
import { metaQueries } from './meta'

export const rotationQueries = {
  all: () => ['rotation'] as const,
  status: (family: Family, name: string) =>
    queryOptions({
      queryKey: [...rotationQueries.all(), family, name] as const,
      queryFn: ({ signal }) => api<RotationStatus>(`/api/rotation/${family}/${encodeURIComponent(name)}`, { signal }),
      // Only a running overlap changes by itself (callers switch, the cut-over ends it); the detail
      // page asks every token, most of which were never rotated.
      refetchInterval: (q) => (q.state.data?.state === 'overlap' ? 15_000 : false),
    }),
}

function useInvalidateCredential(family: Family) {
  const qc = useQueryClient()
  return (...names: string[]) =>
    Promise.all([
      qc.invalidateQueries({ queryKey: credentialQueries.lists(family) }),
      qc.invalidateQueries({ queryKey: rotationQueries.all() }),
      // A rotation in place gives the token a new expiry, which moves it between planner groups.
      qc.invalidateQueries({ queryKey: credentialQueries.planners() }),
      ...names.map((n) => qc.invalidateQueries({ queryKey: credentialQueries.detail(family, n).queryKey })),
    ])
}

/** Rotates server-side. Like create, the secret goes to onSecret and never into the mutation cache. */
export function useRotateCredential(family: Family, onSecret: (secret: string, created: Omit<CreateCredentialResponse, 'data'>) => void) {
  const invalidate = useInvalidateCredential(family)
  return useMutation({
    mutationFn: async (body: RotateRequest) => {
      const { data, ...rest } = await api<CreateCredentialResponse>(`${API_BASE}/rotate/${family}`, { method: 'POST', body })
      onSecret(data, rest)
      return rest
    },
    onSuccess: (created, body) => invalidate(created.name, body.name),
  })
}

/** Re-activates a revoked token where the policy allows it; the reason goes to the audit log. */
export function useReactivate(family: Family) {
  const invalidate = useInvalidateCredential(family)
  return useMutation({
    mutationFn: (v: { name: string; reason: string }) =>
      api<{ status: boolean }>(`${API_BASE}/activate/${family}`, { method: 'POST', body: { name: v.name, reason: v.reason, namespace: 'system' } }),
    onSuccess: (_r, v) => invalidate(v.name),
  })
}

export function usePolicyDryRun() {
  return useMutation({
    mutationFn: (v: { settings: PolicySettings; effective_from?: string }) => api<DryRunResponse>('/api/policy/dry_run', { method: 'POST', body: v }),
  })
}

/**
 * The policy as the Policy page edits it, with its version (the ETag): a save sends it back in
 * If-Match, so one made from an out-of-date read is refused (412) rather than overwriting another
 * administrator's change. Always read afresh when the page opens.
 */
export const versionedPolicyQuery = () => queryOptions({
  queryKey: ['policy', 'versioned'] as const,
  queryFn: async () => {
    let etag: string | null = null
    const policy = await api<Policy>('/api/policy', { onHeaders: (h) => { etag = h.get('etag') } })
    return { policy, etag: etag as string | null }
  },
  staleTime: 0,
})

/** The policy changed since the page read it (PUT answered 412 to its If-Match). */
export const isStalePolicy = (err: unknown) => err instanceof ApiError && err.status === 412

export function useUpdatePolicy() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ etag, ...body }: PolicyUpdate & { etag?: string | null }) =>
      api<PolicyUpdateResponse>('/api/policy', { method: 'PUT', body, headers: etag ? { 'if-match': etag } : undefined }),
    onSuccess: () => Promise.all([
      qc.invalidateQueries({ queryKey: metaQueries.policy().queryKey }),
      qc.invalidateQueries({ queryKey: versionedPolicyQuery().queryKey }),
      qc.invalidateQueries({ queryKey: credentialQueries.all() }),
    ]),
  })
}
