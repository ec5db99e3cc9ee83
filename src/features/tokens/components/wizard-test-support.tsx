// The creation wizard rendered for component tests: a session, the policy and the scope catalog in
// react-query's cache (nothing fetched for them), and a memory router at /tokens/new.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import type { ConsoleCredentialType, SessionResponse } from '../../../../contract/auth'
import type { Policy } from '../../../../contract/policy'
import { scopeCatalog } from '../../../../contract/scopes'
import { metaQueries } from '../../../lib/api/meta'
import { sessionQueries } from '../../../lib/api/session'
import { CreateTokenPage } from './create-token-page'

export function wizardSession(role: 'admin' | 'developer' = 'developer', types?: ConsoleCredentialType[]): SessionResponse {
  return {
    user: { id: 'u1', email: 'dev@example.com', name: 'Dev', role, kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z',
    credential_types: types,
  }
}

/** `session` defaults to a developer's; a test whose fetch stub answers the session builds it first. */
/** `entry`: the URL the wizard opens at (a replacement's /tokens/new?replace=…); `seed` fills the cache first. */
export function renderWizard(opts: { session?: SessionResponse; kind?: 'API_TOKEN' | 'SERVICE_API_TOKEN'; entry?: string; seed?: (qc: QueryClient) => void } = {}) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } })
  const session = opts.session ?? wizardSession()
  qc.setQueryData(sessionQueries.current().queryKey, session)
  qc.setQueryData(metaQueries.policy().queryKey, {
    default_expiration_days: 90, max_expiration_days: 365, allow_never_expire: false, max_active_tokens_per_user: 100,
    expiry_presets: [30, 60, 90, 180, 365], expiring_soon_days: 14,
  } as Policy)
  qc.setQueryData(metaQueries.scopes().queryKey, { items: [...scopeCatalog] })
  opts.seed?.(qc)
  const router = createMemoryRouter([{ path: '/tokens/new', element: <CreateTokenPage kind={opts.kind ?? 'API_TOKEN'} /> }, { path: '*', element: <p>elsewhere</p> }], { initialEntries: [opts.entry ?? '/tokens/new'] })
  render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
  return qc
}
