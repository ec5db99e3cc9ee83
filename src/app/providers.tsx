import { QueryClientProvider } from '@tanstack/react-query'
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react'
import { onUnauthorized, setCsrfToken } from '../lib/api-client'
import { endFirstLoad, queryClient } from './query-client-instance'
import { markSessionEnded, sessionQueries } from '../lib/api/session'
import { router } from './router'
import { ReauthDialog } from './reauth-dialog'

// The toast library loads beside the first page instead of inside the first script: every toast is
// raised by a page or a mutation, which load after it.
const Toaster = lazy(() => import('sonner').then((m) => ({ default: m.Toaster })))

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(() => queryClient)
  useEffect(endFirstLoad, [])
  useEffect(() => {
    // The single 401 handler: the session ended, so back to sign-in, then to the same page.
    onUnauthorized(() => {
      const here = window.location.pathname + window.location.search
      if (window.location.pathname === '/sign-in') return
      setCsrfToken(null)
      // Set before the cache is cleared: the shell's own redirect, which may win the race against
      // the navigation below while the sign-in page's code loads, then carries the same reason.
      markSessionEnded()
      client.clear()
      client.setQueryData(sessionQueries.current().queryKey, null)
      void router.navigate(`/sign-in?reason=expired&next=${encodeURIComponent(here)}`, { replace: true })
    })
    return () => onUnauthorized(null)
  }, [client])
  return (
    <QueryClientProvider client={client}>
      {children}
      <ReauthDialog />
      <Suspense><Toaster closeButton position="bottom-right" /></Suspense>
    </QueryClientProvider>
  )
}
