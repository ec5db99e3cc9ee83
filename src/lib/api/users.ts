import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { CreateUserRequest, ServiceAccount, UpdateUserRequest, User, UserListResponse } from '../../../contract/users'
import { api } from '../api-client'

/** GET /api/users's parameters: a page of people in email order, searched and filtered on the server. */
export interface UserFilters {
  q?: string
  role?: string
  disabled?: string
  cursor?: string
  limit?: number
}

export const userQueries = {
  all: () => ['users'] as const,
  lists: () => [...userQueries.all(), 'list'] as const,
  list: (f: UserFilters = {}) => queryOptions({
    queryKey: [...userQueries.lists(), f] as const,
    queryFn: ({ signal }) => api<UserListResponse>('/api/users', { query: { ...f }, signal }),
  }),
  detail: (id: string) => queryOptions({
    queryKey: [...userQueries.all(), 'detail', id] as const,
    queryFn: ({ signal }) => api<User>(`/api/users/${encodeURIComponent(id)}`, { signal }),
  }),
  serviceAccounts: () =>
    queryOptions({ queryKey: [...userQueries.all(), 'service-accounts'] as const, queryFn: () => api<{ items: ServiceAccount[] }>('/api/service_accounts') }),
}

export function useCreateUser() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: CreateUserRequest) => api<User>('/api/users', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: userQueries.all() }),
  })
}

export function useUpdateUser() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, ...body }: UpdateUserRequest & { id: string }) => api<User>(`/api/users/${id}`, { method: 'PATCH', body }),
    // A disabled owner's tokens change status too.
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: userQueries.all() }), qc.invalidateQueries({ queryKey: ['credentials'] })]),
  })
}
