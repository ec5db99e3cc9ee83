// Tombstones of removed credentials (GET /api/inventory/removed): the inventory's Removed view.
import { keepPreviousData, queryOptions } from '@tanstack/react-query'
import type { RemovedListResponse } from '../../../../contract/lifecycle'
import { api } from '../../../lib/api-client'

export const removedQueries = {
  // Under 'credentials' so every credential mutation (revoke, delete a person) refreshes it too.
  all: () => ['credentials', 'removed'] as const,
  list: (params: { q?: string; cursor?: string }) =>
    queryOptions({
      queryKey: [...removedQueries.all(), params] as const,
      queryFn: () => api<RemovedListResponse>('/api/inventory/removed', { query: { limit: 50, ...params } }),
      placeholderData: keepPreviousData,
    }),
}
