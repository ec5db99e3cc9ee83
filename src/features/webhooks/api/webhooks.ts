// Webhooks: the query-key factory and mutations. The signing secret reaches the page only through
// the create mutation's onSecret callback, never its data, so react-query's cache never holds it.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type {
  CreateWebhook, CreatedWebhook, DeliveriesPage, UpdateWebhook, Webhook, WebhookTestResult,
} from '../../../../contract/webhooks'
import { api } from '../../../lib/api-client'

export const webhookQueries = {
  all: () => ['webhooks'] as const,
  lists: () => [...webhookQueries.all(), 'list'] as const,
  list: () => queryOptions({ queryKey: webhookQueries.lists(), queryFn: () => api<{ items: Webhook[] }>('/api/webhooks') }),
  deliveries: (id: string) => queryOptions({
    queryKey: [...webhookQueries.all(), 'deliveries', id] as const,
    queryFn: () => api<DeliveriesPage>(`/api/webhooks/${id}/deliveries`, { query: { limit: 20 } }),
  }),
}

export function useCreateWebhook(onSecret: (secret: string, created: Webhook) => void) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async (body: CreateWebhook) => {
      const { secret, ...created } = await api<CreatedWebhook>('/api/webhooks', { method: 'POST', body })
      onSecret(secret, created)
      return created
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookQueries.lists() }),
  })
}

export function useUpdateWebhook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, ...body }: UpdateWebhook & { id: string }) => api<Webhook>(`/api/webhooks/${id}`, { method: 'PATCH', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookQueries.lists() }),
  })
}

export function useDeleteWebhook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<{ status: boolean }>(`/api/webhooks/${id}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: webhookQueries.all() }),
  })
}

export function useTestWebhook() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<WebhookTestResult>(`/api/webhooks/${id}/test`, { method: 'POST' }),
    onSettled: (_r, _e, id) => qc.invalidateQueries({ queryKey: webhookQueries.deliveries(id).queryKey }),
  })
}
