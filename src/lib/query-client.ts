import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query'
import { ApiError } from './api-client'

export function createQueryClient() {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // A failed background refetch only matters when stale data is on screen; first loads show their own error state.
        if (query.state.data !== undefined && !(error instanceof ApiError && error.status === 401)) {
          void import('sonner').then(({ toast }) => toast.error(`Could not refresh: ${error.message}`))
        }
      },
    }),
    mutationCache: new MutationCache(),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false, gcTime: 0 },
    },
  })
  return client
}
