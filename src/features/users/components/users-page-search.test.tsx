// @vitest-environment happy-dom
// The Users page at tenant size: the server searches, filters and pages; the page sends what the
// person typed and chose, keeps it in the URL, pages with the cursor, and shows a person just added.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../../../contract/auth'
import type { User } from '../../../../contract/users'
import { sessionQueries } from '../../../lib/api/session'
import { UsersPage } from './users-page'

const person = (i: number, o: Partial<User> = {}): User => ({
  id: `p${i}`, email: `person${i}@example.com`, name: `Person ${i}`, role: 'developer', kind: 'user', disabled: false,
  created_at: '2026-01-01T00:00:00Z', last_login_at: null, active_tokens: 0, managed_by: null, ...o,
})
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

let asked: URLSearchParams[]
beforeEach(() => {
  asked = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const u = new URL(url, 'http://x')
    if (u.pathname === '/api/users' && init.method === 'POST') {
      const body = JSON.parse(String(init.body)) as { email: string; name: string }
      return json(201, person(999, { id: 'new', email: body.email, name: body.name }))
    }
    if (u.pathname === '/api/users') {
      asked.push(u.searchParams)
      const cursor = u.searchParams.get('cursor')
      if (u.searchParams.get('q')) return json(200, { items: [person(7, { email: u.searchParams.get('q')! })], next_cursor: null })
      return json(200, cursor === 'c2' ? { items: [person(51), person(52)], next_cursor: null } : { items: [person(1), person(2)], next_cursor: 'c2' })
    }
    return json(404, { code: 5, message: 'not here', details: [] })
  }))
})
afterEach(() => vi.unstubAllGlobals())

function renderPage(entry = '/users') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
  const session: SessionResponse = { user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin', kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z' }
  qc.setQueryData(sessionQueries.current().queryKey, session)
  const router = createMemoryRouter([{ path: '/users', element: <UsersPage /> }], { initialEntries: [entry] })
  render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
  return router
}
const last = () => Object.fromEntries(asked.at(-1)!)

describe('Users page search, filters and pages', () => {
  it('sends the search box, role and status to the server and keeps them in the URL', async () => {
    const router = renderPage()
    await screen.findByText('person1@example.com')
    expect(last()).toEqual({})
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search people by name or email' }), 'zed')
    await waitFor(() => expect(last()).toEqual({ q: 'zed' }))
    expect(router.state.location.search).toBe('?q=zed')
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Role' }), 'auditor')
    await waitFor(() => expect(last()).toEqual({ q: 'zed', role: 'auditor' }))
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'true')
    await waitFor(() => expect(last()).toEqual({ q: 'zed', role: 'auditor', disabled: 'true' }))
    expect(new URLSearchParams(router.state.location.search).get('disabled')).toBe('true')
  })

  it('starts from the URL, pages forward with the cursor and back', async () => {
    const router = renderPage('/users?role=developer')
    await screen.findByText('person1@example.com')
    expect(last()).toEqual({ role: 'developer' })
    expect(screen.getByRole('combobox', { name: 'Role' })).toHaveValue('developer')
    await userEvent.click(screen.getByRole('button', { name: 'Next' }))
    await screen.findByText('person51@example.com')
    expect(last()).toEqual({ role: 'developer', cursor: 'c2' })
    expect(screen.queryByText('person1@example.com')).toBeNull()
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled()
    await userEvent.click(screen.getByRole('button', { name: 'Previous' }))
    await screen.findByText('person1@example.com')
    expect(router.state.location.search).toBe('?role=developer')
  })

  it('shows a person just added by searching for their email', async () => {
    const router = renderPage()
    await screen.findByText('person1@example.com')
    await userEvent.click(screen.getByRole('button', { name: 'Add user' }))
    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'late.arrival@example.com')
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'Late Arrival')
    await userEvent.type(screen.getByLabelText('Initial password'), 'a-long-password-1')
    await userEvent.click(screen.getByRole('button', { name: 'Add user' }))
    await waitFor(() => expect(last()).toEqual({ q: 'late.arrival@example.com' }))
    expect(await screen.findByText('late.arrival@example.com')).toBeInTheDocument()
    expect(screen.getByRole('searchbox', { name: 'Search people by name or email' })).toHaveValue('late.arrival@example.com')
    expect(new URLSearchParams(router.state.location.search).get('q')).toBe('late.arrival@example.com')
  })
})
