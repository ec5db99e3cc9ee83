// @vitest-environment happy-dom
// The Users page for people the identity provider manages over SCIM: their role, password and
// re-enabling are not offered (the server refuses them too), with a note saying why; disabling
// stays as an emergency stop. The SCIM panel gives the base URL to copy and the token's last use.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter } from 'react-router'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../../../contract/auth'
import type { GetResponse } from '../../../../contract/credentials'
import type { User } from '../../../../contract/users'
import { sessionQueries } from '../../../lib/api/session'
import { UsersPage } from './users-page'

const person = (o: Partial<User>): User => ({
  id: 'u', email: 'u@example.com', name: 'U', role: 'developer', kind: 'user', disabled: false, created_at: '2026-01-01T00:00:00Z',
  last_login_at: null, active_tokens: 0, managed_by: null, ...o,
})
const users = [
  person({ id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin' }),
  person({ id: 'c1', email: 'carol@example.com', name: 'Carol' }),
  person({ id: 's1', email: 'sam@example.com', name: 'Sam', managed_by: 'scim' }),
  person({ id: 's2', email: 'gone@example.com', name: 'Gone', managed_by: 'scim', disabled: true }),
]
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

function serve(scimToken: Partial<GetResponse> | null, created?: unknown) {
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url.split('?')[0] === '/api/users') return json(200, { items: users, next_cursor: null })
    if (init.method === 'POST' && url === '/api/web/namespaces/system/scim_token' && created) return json(200, created)
    if (url === '/api/web/namespaces/system/scim_token') {
      return scimToken ? json(200, scimToken) : json(404, { code: 5, message: 'SCIM token not found', details: [] })
    }
    return json(404, { code: 5, message: 'not here', details: [] })
  })
  vi.stubGlobal('fetch', fetch)
}

function renderPage() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
  const session: SessionResponse = { user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin', kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z' }
  qc.setQueryData(sessionQueries.current().queryKey, session)
  render(<QueryClientProvider client={qc}><MemoryRouter><UsersPage /></MemoryRouter></QueryClientProvider>)
}

afterEach(() => { vi.unstubAllGlobals() })

describe('UsersPage, people managed by SCIM', () => {
  it('offers no role change, password reset or enable for them, and says why; others keep every control', async () => {
    serve(null)
    renderPage()
    const samRole = await screen.findByLabelText('Role of sam@example.com')
    expect(samRole).toBeDisabled()
    expect(samRole).toHaveAccessibleDescription('Managed by your identity provider (SCIM)')
    expect(screen.getByLabelText('Role of carol@example.com')).toBeEnabled()
    expect(screen.queryByRole('button', { name: 'Reset the password of sam@example.com' })).toBeNull()
    expect(screen.getByRole('button', { name: 'Reset the password of carol@example.com' })).toBeInTheDocument()
    // Disabling is an emergency stop the console keeps; re-enabling is the provider's.
    expect(screen.getByRole('button', { name: 'Disable sam@example.com' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Enable gone@example.com' })).toBeNull()
    const gone = screen.getByText('gone@example.com').closest('tr')!
    expect(within(gone).getByText('Managed by your identity provider (SCIM)')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Disable sam@example.com' }))
    expect(await screen.findByText(/until your identity provider activates them again/)).toBeInTheDocument()
  })
})

describe('SCIM token panel', () => {
  it('shows the base URL to copy, and the token with its last use', async () => {
    const lastUsed = new Date(Date.now() - 3 * 3_600_000).toISOString()
    serve({ name: 'scim-token-abc', status: 'active', expiry_timestamp: '2030-01-01T00:00:00Z', last_used_timestamp: lastUsed })
    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    renderPage()
    const base = await screen.findByLabelText('SCIM base URL')
    expect(base).toHaveValue(`${window.location.origin}/scim/v2`)
    await userEvent.click(screen.getByRole('button', { name: 'Copy scim base url' }))
    expect(writeText).toHaveBeenCalledWith(`${window.location.origin}/scim/v2`)
    expect(await screen.findByText('scim-token-abc')).toBeInTheDocument()
    const used = screen.getByTestId('scim-last-used')
    expect(used.querySelector('time')).toHaveAttribute('datetime', lastUsed)
    expect(used).toHaveTextContent(/3 hours ago/)
    expect(screen.getByRole('button', { name: 'Replace token' })).toBeInTheDocument()
  })

  it('without a token offers to create one, and shows the new value once', async () => {
    serve(null, { name: 'scim-token-1', data: 'scim_secret-value', active: true, expiration_timestamp: '2030-01-01T00:00:00Z' })
    renderPage()
    expect(await screen.findByText(/No SCIM token yet/)).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Create SCIM token' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByTestId('revealed-scim-token')).toHaveValue('scim_secret-value')
    expect(within(dialog).getByRole('button', { name: 'Done' })).toBeDisabled()
    await userEvent.click(within(dialog).getByLabelText('I have stored this token'))
    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }))
    expect(screen.queryByTestId('revealed-scim-token')).toBeNull()
  })

  it('says "never used" for a token not used yet', async () => {
    serve({ name: 'scim-token-new', status: 'active', expiry_timestamp: '2030-01-01T00:00:00Z', last_used_timestamp: null })
    renderPage()
    expect(await screen.findByText('scim-token-new')).toBeInTheDocument()
    expect(screen.getByTestId('scim-last-used')).toHaveTextContent('never used')
  })
})
