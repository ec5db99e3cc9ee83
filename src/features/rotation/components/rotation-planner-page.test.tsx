// @vitest-environment happy-dom
// The planner's Expired group: expired tokens are listed there alone, with nothing to rotate or be
// reminded of; tokens still expiring keep Rotate and Reminder.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, within } from '@testing-library/react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { sessionResponseSchema } from '../../../../contract/auth'
import { credentialSchema, type Credential } from '../../../../contract/credentials'
import { plannerGroupSchema, plannerResponseSchema } from '../../../../contract/planner'
import { fixture } from '../../../testing/fixture'
import { sessionQueries } from '../../../lib/api/session'
import { RotationPlannerPage } from './rotation-planner-page'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const cred = (name: string, over: Partial<Credential>): Credential => fixture(credentialSchema, {
  name, uid: `uid-${name}`, namespace: 'system', type: 'API_TOKEN', user_email: 'dev@example.com', active: true,
  create_timestamp: iso(Date.now() - 80 * DAY), expiry_timestamp: iso(Date.now() + 2 * DAY), description: '',
  owner: { id: 'u1', email: 'dev@example.com', name: 'Dev', kind: 'user' }, created_by: 'u1',
  scope: 'read_only', permissions: [], status: 'active', last_used_timestamp: null, revoked_timestamp: null, leaked_timestamp: null,
  rotated_from: null, replaced_by: null, token_hint: 'abcd', namespace_roles: [], namespace_access: { namespace_role_map: {} }, user_group_names: [], allowed_cidrs: null, rate_limit: null, not_before_timestamp: null, ...over,
})
const expired = cred('lapsed-ci', { status: 'expired', active: false, type: 'API_CERTIFICATE', expiry_timestamp: iso(Date.now() - 3 * DAY) })
const soon = cred('soon-ci', {})
const groups = { expired: 1, '3': 1, '7': 0, '14': 0 }

beforeEach(() => {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    const u = new URL(url, 'http://x')
    if (u.pathname === '/api/inventory/planner') {
      const group = plannerGroupSchema.parse(u.searchParams.get('group'))
      const body = fixture(plannerResponseSchema, { groups, group, items: group === 'expired' ? [expired] : group === '3' ? [soon] : [], next_cursor: null })
      return new Response(JSON.stringify(body), { status: 200 })
    }
    return new Response(JSON.stringify({ items: [], next_cursor: null, total: 0 }), { status: 200 })
  }))
})
afterEach(() => vi.unstubAllGlobals())

describe('rotation planner', () => {
  it('lists expired tokens in their own group without Rotate or Reminder, and labels their type', async () => {
    const session = fixture(sessionResponseSchema, { user: { id: 'u1', email: 'dev@example.com', name: 'Dev', role: 'developer', kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z' })
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } })
    qc.setQueryData(sessionQueries.current().queryKey, session)
    const router = createMemoryRouter([{ path: '*', element: <RotationPlannerPage /> }])
    render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
    const expiredCard = (await screen.findByRole('heading', { name: /^Expired/ })).parentElement!.parentElement!
    const item = within(expiredCard).getByRole('link', { name: 'lapsed-ci' }).closest('li')!
    expect(within(item).queryByRole('button', { name: /Rotate/ })).not.toBeInTheDocument()
    expect(within(item).queryByRole('button', { name: /calendar reminder/ })).not.toBeInTheDocument()
    expect(item).toHaveTextContent('API certificate')
    expect(item).not.toHaveTextContent('API_CERTIFICATE')
    expect(within(expiredCard).queryByRole('link', { name: 'soon-ci' })).not.toBeInTheDocument()
    const soonItem = (await screen.findByRole('link', { name: 'soon-ci' })).closest('li')!
    expect(within(soonItem).getByRole('button', { name: 'Rotate soon-ci' })).toBeInTheDocument()
    expect(within(soonItem).getByRole('button', { name: 'Download a calendar reminder for soon-ci' })).toBeInTheDocument()
  })
})
