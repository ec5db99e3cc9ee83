// @vitest-environment happy-dom
// A session that signed in with single sign-on is asked to confirm at its identity provider, not for
// a password: the prompt links to the provider round trip for this page and says the refused action
// is not repeated by itself; cancelling rejects the action as the password prompt does.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../contract/auth'
import { api, ReauthCancelledError } from '../lib/api-client'
import { sessionQueries } from '../lib/api/session'
import { ReauthDialog } from './reauth-dialog'

const REFUSED = {
  code: 16,
  message: 'Confirm your password to continue: your last sign-in was 12 minutes ago; the tenant policy asks for one within 5 minutes',
  details: [{ reason: 'reauthentication_required' }],
}

afterEach(() => { vi.unstubAllGlobals() })

describe('ReauthDialog for a single sign-on session', () => {
  it('offers to confirm with single sign-on, back to this page, instead of asking for a password', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(REFUSED), { status: 401, headers: { 'content-type': 'application/json' } })))
    window.history.replaceState(null, '', '/tokens/new?kind=API_TOKEN')
    const qc = new QueryClient()
    const session: SessionResponse = {
      user: { id: 'u1', email: 'devon@corp.test', name: 'Devon', role: 'developer', kind: 'user' }, csrf_token: 'c',
      expires_at: '2030-01-01T00:00:00Z', signed_in_with: 'sso',
    }
    qc.setQueryData(sessionQueries.current().queryKey, session)
    render(<QueryClientProvider client={qc}><ReauthDialog /></QueryClientProvider>)
    const outcome = api('/api/create', { method: 'POST', body: { name: 'x' } }).catch((err: unknown) => err)

    const dialog = await screen.findByRole('dialog', { name: 'Confirm your sign-in' }, { timeout: 5000 })
    expect(dialog).toHaveTextContent('your last sign-in was 12 minutes ago')
    expect(dialog).toHaveTextContent('What you were doing is not repeated automatically')
    expect(screen.queryByLabelText('Password')).toBeNull()
    const link = screen.getByRole('link', { name: 'Confirm with single sign-on' })
    expect(link).toHaveAttribute('href', `/api/auth/oidc/start?reauth=1&return_to=${encodeURIComponent('/tokens/new?kind=API_TOKEN')}`)

    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(await outcome).toBeInstanceOf(ReauthCancelledError)
  })
})
