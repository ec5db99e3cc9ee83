import { queryOptions } from '@tanstack/react-query'
import { z } from 'zod'
import type { Policy } from '../../../contract/policy'
import { scopeCatalogResponseSchema } from '../../../contract/scopes'
import { api } from '../api-client'

type ScopeCatalog = z.infer<typeof scopeCatalogResponseSchema>

export const metaQueries = {
  policy: () => queryOptions({ queryKey: ['meta', 'policy'] as const, queryFn: () => api<Policy>('/api/policy'), staleTime: Infinity }),
  scopes: () => queryOptions({ queryKey: ['meta', 'scopes'] as const, queryFn: () => api<ScopeCatalog>('/api/scopes'), staleTime: Infinity }),
}
