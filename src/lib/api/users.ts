import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { CreateUserRequest, ServiceAccount, UpdateUserRequest, User } from '../../../contract/users'
import { api } from '../api-client'

export const userQueries = {
  all: () => ['users'] as const,
  list: () => queryOptions({ queryKey: [...userQueries.all(), 'list'] as const, queryFn: () => api<{ items: User[] }>('/api/users') }),
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
