// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../../../contract/auth'
import { scopeCatalog } from '../../../../contract/scopes'
import { metaQueries } from '../../../lib/api/meta'
import { sessionQueries } from '../../../lib/api/session'
import { CreateTokenPage } from './create-token-page'

function renderWizard(role: 'admin' | 'developer' = 'developer') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } })
  const session: SessionResponse = {
    user: { id: 'u1', email: 'dev@example.com', name: 'Dev', role, kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z',
  }
  qc.setQueryData(sessionQueries.current().queryKey, session)
  qc.setQueryData(metaQueries.policy().queryKey, {
    default_expiration_days: 90, max_expiration_days: 365, allow_never_expire: false, max_active_tokens_per_user: 100,
    expiry_presets: [30, 60, 90, 180, 365], expiring_soon_days: 14,
  })
  qc.setQueryData(metaQueries.scopes().queryKey, { items: [...scopeCatalog] })
  const router = createMemoryRouter([{ path: '/tokens/new', element: <CreateTokenPage /> }, { path: '*', element: <p>elsewhere</p> }], { initialEntries: ['/tokens/new'] })
  render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
}

beforeEach(() => {
  // The only request the wizard makes before "Create" is the name check: 404 means free.
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ code: 5, message: 'not found', details: [] }), { status: 404 })))
})
afterEach(() => vi.unstubAllGlobals())

describe('creation wizard', () => {
  it('shows the name rule at the field and keeps the person on the step', async () => {
    renderWizard()
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Bad_Name')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByText(/lowercase letters, digits and hyphens/, { selector: '[role=alert]' })).toBeInTheDocument()
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveAttribute('aria-invalid', 'true')
    expect(screen.getByRole('heading', { name: 'Details' })).toBeInTheDocument()
  })

  it('walks forward and back without losing what was typed, and needs a permission for custom', async () => {
    renderWizard()
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-ci-token')
    await user.type(screen.getByRole('textbox', { name: 'Description (optional)' }), 'for CI')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('heading', { name: 'Scope' })).toBeInTheDocument()
    expect(screen.queryByText(/Use with caution/)).not.toBeInTheDocument()
    await user.click(screen.getByRole('radio', { name: /Full access/ }))
    expect(screen.getByText(/Use with caution/)).toBeInTheDocument()
    await user.click(screen.getByRole('radio', { name: /Custom/ }))
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByText('Choose at least one permission')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: /Back/ }))
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveValue('my-ci-token')
    expect(screen.getByRole('textbox', { name: 'Description (optional)' })).toHaveValue('for CI')
  })

  it('offers the expiry presets, no "never" under this policy, and shows the resulting date', async () => {
    renderWizard()
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-ci-token')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('radio', { name: /90 days/ })).toBeChecked()
    expect(screen.getByRole('radio', { name: /Never/ })).toBeDisabled()
    expect(screen.getByText(/^Expires on/)).toBeInTheDocument()
  })

  it('shows no owner field to a developer', () => {
    renderWizard('developer')
    expect(screen.queryByRole('combobox', { name: 'Owner' })).not.toBeInTheDocument()
  })
})
