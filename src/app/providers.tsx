import { QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState, type ReactNode } from 'react'
import { Toaster } from 'sonner'
import { onUnauthorized, setCsrfToken } from '../lib/api-client'
import { createQueryClient } from '../lib/query-client'
import { sessionQueries } from '../lib/api/session'
import { router } from './router'

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(createQueryClient)
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
      <Toaster closeButton position="bottom-right" />
    </QueryClientProvider>
  )
}
