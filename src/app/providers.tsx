import { QueryClientProvider } from '@tanstack/react-query'
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react'
import { onUnauthorized, setCsrfToken } from '../lib/api-client'
import { createQueryClient } from '../lib/query-client'
import { sessionQueries } from '../lib/api/session'
import { router } from './router'

// The toast library loads beside the first page instead of inside the first script: every toast is
// raised by a page or a mutation, which load after it.
const Toaster = lazy(() => import('sonner').then((m) => ({ default: m.Toaster })))

// Created with the module, so the session check starts before React first renders, in parallel with
// the router fetching the page's code.
const queryClient = createQueryClient()
void queryClient.prefetchQuery(sessionQueries.current())

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(() => queryClient)
  useEffect(() => {
    // The single 401 handler: the session ended, so back to sign-in, then to the same page.
    onUnauthorized(() => {
      const here = window.location.pathname + window.location.search
      if (window.location.pathname === '/sign-in') return
      setCsrfToken(null)
      client.clear()
      client.setQueryData(sessionQueries.current().queryKey, null)
      void router.navigate(`/sign-in?reason=expired&next=${encodeURIComponent(here)}`, { replace: true })
    })
    return () => onUnauthorized(null)
  }, [client])
  return (
    <QueryClientProvider client={client}>
      {children}
      <Suspense><Toaster closeButton position="bottom-right" /></Suspense>
    </QueryClientProvider>
  )
}
