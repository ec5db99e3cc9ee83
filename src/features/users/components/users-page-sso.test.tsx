// @vitest-environment happy-dom
// The Users page for people single sign-on created: a note says the identity provider keeps their
// name and email, and while passwords are for administrators only there is no password to reset
// for them (an SSO administrator keeps the reset, a way in when the provider is down).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import { MemoryRouter } from 'react-router'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../../../contract/auth'
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
  person({ id: 'o1', email: 'olga@corp.test', name: 'Olga', managed_by: 'sso' }),
  person({ id: 'o2', email: 'boss@corp.test', name: 'Boss', role: 'admin', managed_by: 'sso' }),
]
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

function serve(passwordsForNonAdmins: boolean) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.split('?')[0] === '/api/users') return json(200, { items: users, next_cursor: null })
    if (url === '/api/auth/oidc/status') return json(200, { configured: true, reachable: true, passwords_for_non_admins: passwordsForNonAdmins })
    return json(404, { code: 5, message: 'not here', details: [] })
  }))
}

function renderPage() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
  const session: SessionResponse = { user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin', kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z' }
  qc.setQueryData(sessionQueries.current().queryKey, session)
  render(<QueryClientProvider client={qc}><MemoryRouter><UsersPage /></MemoryRouter></QueryClientProvider>)
}

afterEach(() => { vi.unstubAllGlobals() })

describe('UsersPage, people single sign-on manages', () => {
  it('with passwords for administrators only, offers no password reset for an SSO developer, and says where their profile comes from', async () => {
    serve(false)
    renderPage()
    expect(await screen.findAllByText('Signs in with single sign-on; name and email come from your identity provider')).toHaveLength(2)
    await vi.waitFor(() => expect(screen.queryByRole('button', { name: 'Reset the password of olga@corp.test' })).toBeNull())
    expect(screen.getByRole('button', { name: 'Reset the password of boss@corp.test' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Reset the password of carol@example.com' })).toBeInTheDocument()
  })

  it('while everyone may use passwords, keeps the reset for them', async () => {
    serve(true)
    renderPage()
    await screen.findAllByText('Signs in with single sign-on; name and email come from your identity provider')
    expect(await screen.findByRole('button', { name: 'Reset the password of olga@corp.test' })).toBeInTheDocument()
  })
})
