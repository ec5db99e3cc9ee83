// Credential queries and mutations, shared by the token, rotation and service-credential features.
// Query keys come only from credentialQueries; no literal keys elsewhere.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type {
  CreateCredentialRequest, CreateCredentialResponse, CreateServiceCredentialRequest, GetResponse, ListResponse,
  NamespaceRole, WhoamiResponse,
} from '../../../contract/credentials'
import type { CreateKubeConfigRequest } from '../../../contract/kube'
import type { PlannerGroup, PlannerResponse } from '../../../contract/planner'
import { api } from '../api-client'

export type Family = 'api_credentials' | 'service_credentials'
const base = '/api/web/namespaces/system'

export interface ListFilters {
  sort?: string
  order?: 'asc' | 'desc'
  q?: string
  status?: string
  type?: string
  owner?: string
  mine?: boolean
  expiring_within_days?: number
  include_expired?: boolean
  replaced?: boolean
  cursor?: string
  limit?: number
}

export const credentialQueries = {
  all: () => ['credentials'] as const,
  family: (family: Family) => [...credentialQueries.all(), family] as const,
  lists: (family: Family) => [...credentialQueries.family(family), 'list'] as const,
  list: (family: Family, filters: ListFilters) =>
    queryOptions({
      queryKey: [...credentialQueries.lists(family), filters] as const,
      queryFn: ({ signal }) =>
        api<ListResponse>(`${base}/${family}`, {
          signal,
          query: {
            ...filters,
            mine: filters.mine ? 'true' : undefined,
            include_expired: filters.include_expired === false ? 'false' : undefined,
            replaced: filters.replaced === undefined ? undefined : String(filters.replaced),
            limit: filters.limit ?? 25,
            sort: filters.sort ?? 'created',
            order: filters.order ?? (filters.sort ? 'asc' : 'desc'),
          },
        }),
      placeholderData: (prev) => prev,
    }),
  /** The rotation planner: counts per expiry group and one page of one group, from the server. */
  planners: () => [...credentialQueries.all(), 'planner'] as const,
  planner: (group: PlannerGroup, cursor: string | undefined, limit: number) =>
    queryOptions({
      queryKey: [...credentialQueries.planners(), group, cursor ?? null, limit] as const,
      queryFn: ({ signal }) => api<PlannerResponse>('/api/inventory/planner', { signal, query: { group, cursor, limit } }),
      placeholderData: (prev) => prev,
    }),
  details: (family: Family) => [...credentialQueries.family(family), 'detail'] as const,
  detail: (family: Family, name: string) =>
    queryOptions({
      queryKey: [...credentialQueries.details(family), name] as const,
      queryFn: ({ signal }) => api<GetResponse>(`${base}/${family}/${encodeURIComponent(name)}`, { signal }),
    }),
}

function useInvalidate(family: Family) {
  const qc = useQueryClient()
  return (name?: string) =>
    Promise.all([
      qc.invalidateQueries({ queryKey: credentialQueries.lists(family) }),
      qc.invalidateQueries({ queryKey: credentialQueries.planners() }),
      name ? qc.invalidateQueries({ queryKey: credentialQueries.detail(family, name).queryKey }) : undefined,
      qc.invalidateQueries({ queryKey: ['users'] }),
    ])
}

/**
 * Creates a credential. The secret goes to onSecret and is never returned from the mutation, so it
 * never sits in react-query's mutation cache.
 */
export function useCreateCredential(family: Family, onSecret: (secret: string, created: Omit<CreateCredentialResponse, 'data'>) => void) {
  const invalidate = useInvalidate(family)
  return useMutation({
    mutationFn: async (body: CreateCredentialRequest | CreateServiceCredentialRequest) => {
      const { data, ...rest } = await api<CreateCredentialResponse>(`${base}/${family}`, { method: 'POST', body })
      onSecret(data, rest)
      return rest
    },
    onSuccess: async (created, body) => {
      await invalidate(created.name)
      if ('rotated_from' in body && body.rotated_from) await invalidate(body.rotated_from)
    },
  })
}

/** A personal API certificate's request without its password: the password is read when sending. */
export type CreateCertificateRequest = Omit<CreateCredentialRequest, 'spec'>

/**
 * Creates an API certificate (a password-protected PKCS#12 bundle). The password comes from
 * readPassword at send time and is never part of the mutation's variables, so react-query's mutation
 * cache never holds it; the bundle goes to onSecret like a token does.
 */
export function useCreateCertificate(readPassword: () => string, onSecret: (p12Base64: string, created: Omit<CreateCredentialResponse, 'data'>) => void) {
  const invalidate = useInvalidate('api_credentials')
  return useMutation({
    mutationFn: async (body: CreateCertificateRequest) => {
      const request: CreateCredentialRequest = { ...body, spec: { type: 'API_CERTIFICATE', password: readPassword() } }
      const { data, ...rest } = await api<CreateCredentialResponse>(`${base}/api_credentials`, { method: 'POST', body: request })
      onSecret(data, rest)
      return rest
    },
    onSuccess: (created) => invalidate(created.name),
  })
}

/** Creates a kubeconfig (the kube_configs family); the base64 YAML goes to onSecret only. */
export function useCreateKubeConfig(onSecret: (kubeconfigBase64: string, created: Omit<CreateCredentialResponse, 'data'>) => void) {
  const invalidate = useInvalidate('api_credentials')
  return useMutation({
    mutationFn: async (body: CreateKubeConfigRequest) => {
      const { data, ...rest } = await api<CreateCredentialResponse>(`${base}/kube_configs`, { method: 'POST', body })
      onSecret(data, rest)
      return rest
    },
    onSuccess: (created) => invalidate(created.name),
  })
}

export function useCredentialAction(family: Family, action: 'revoke' | 'activate') {
  const invalidate = useInvalidate(family)
  return useMutation({
    mutationFn: (name: string) => api<{ status: boolean }>(`${base}/${action}/${family}`, { method: 'POST', body: { name, namespace: 'system' } }),
    onSuccess: (_r, name) => invalidate(name),
  })
}

export function useRenewCredential(family: Family) {
  const invalidate = useInvalidate(family)
  return useMutation({
    mutationFn: (v: { name: string; expiration_days: number }) =>
      api<{ status: boolean }>(`${base}/renew/${family}`, { method: 'POST', body: { ...v, namespace: 'system' } }),
    onSuccess: (_r, v) => invalidate(v.name),
  })
}

export function useReplaceRoles() {
  const invalidate = useInvalidate('service_credentials')
  return useMutation({
    mutationFn: (v: { name: string; namespace_roles: NamespaceRole[] }) =>
      api(`${base}/service_credentials/${encodeURIComponent(v.name)}`, { method: 'PUT', body: { namespace_roles: v.namespace_roles } }),
    onSuccess: (_r, v) => invalidate(v.name),
  })
}

/** Asks whoami with a pasted token. Plain function, not a query: the token must not be cached. */
export function whoamiWithToken(token: string) {
  return api<WhoamiResponse>('/api/web/custom/namespaces/system/whoami', {
    headers: { authorization: `APIToken ${token}` },
    redirectOn401: false,
  })
}

export const API_BASE = base
