// @vitest-environment happy-dom
// Leaked tokens in lists and on their page, the replacement with the same settings, and a wizard that
// offers only the permissions the chosen owner's role may hold.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../../../contract/auth'
import type { Credential, GetResponse } from '../../../../contract/credentials'
import type { User } from '../../../../contract/users'
import { TokenTable } from '../../../components/credential-table'
import { StatusSelect } from '../../../components/list-controls'
import { credentialQueries } from '../../../lib/api/credentials'
import { sessionQueries } from '../../../lib/api/session'
import { parseListParams } from '../../../lib/list-params'
import { TokenDetailPage } from './token-detail-page'
import { renderWizard, wizardSession } from './wizard-test-support'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

function credential(over: Partial<Credential> = {}): Credential {
  const now = Date.now()
  return {
    name: 'leaky-ci', uid: `uid-${over.name ?? 'leaky-ci'}`, namespace: 'system', type: 'API_TOKEN', user_email: 'dev@example.com', active: false,
    create_timestamp: iso(now - 5 * DAY), expiry_timestamp: iso(now + 25 * DAY), description: 'CI deploys',
    owner: { id: 'u1', email: 'dev@example.com', name: 'Dev', kind: 'user' } as Credential['owner'], created_by: 'u1',
    scope: 'custom', permissions: ['credentials:read'], status: 'leaked', last_used_timestamp: null,
    revoked_timestamp: iso(now - DAY), leaked_timestamp: iso(now - DAY), rotated_from: null, replaced_by: null, token_hint: 'abcd',
    namespace_roles: [], namespace_access: { namespace_role_map: {} }, user_group_names: [], allowed_cidrs: null, rate_limit: null, not_before_timestamp: null, ...over,
  }
}

/** The detail answer carries F5's object envelope too; these pages read the credential's own fields only. */
const detail = (c: Credential) => ({ ...c, object: {} }) as GetResponse

const people: User[] = [
  { id: 'u1', email: 'dev@example.com', name: 'Dev', role: 'admin', disabled: false },
  { id: 'u2', email: 'devon@example.com', name: 'Devon', role: 'developer', disabled: false },
  { id: 'u3', email: 'ada@example.com', name: 'Ada', role: 'admin', disabled: false },
] as User[]

let session: SessionResponse
let taken: Set<string>
beforeEach(() => {
  taken = new Set()
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.startsWith('/api/console/session')) return new Response(JSON.stringify({ session }), { status: 200 })
    // The owner picker searches people on the server and reads the chosen one by id.
    const one = /^\/api\/users\/([^?]+)/.exec(url)
    if (one) {
      const u = people.find((p) => p.id === one[1])
      return u ? new Response(JSON.stringify(u), { status: 200 }) : new Response(JSON.stringify({ code: 5, message: 'User not found', details: [] }), { status: 404 })
    }
    if (url.startsWith('/api/users')) {
      const q = (new URL(url, 'http://x').searchParams.get('q') ?? '').toLowerCase()
      return new Response(JSON.stringify({ items: people.filter((p) => `${p.email} ${p.name}`.toLowerCase().includes(q)), next_cursor: null }), { status: 200 })
    }
    const name = new URL(url, 'http://x').searchParams.get('name') ?? ''
    return new Response(JSON.stringify({ available: !taken.has(name) }), { status: 200 })
  }))
})
afterEach(() => vi.unstubAllGlobals())

const checkboxNames = () => screen.queryAllByRole('checkbox').map((c) => c.closest('label')?.querySelector('code')?.textContent)

async function toScopeStep(user: ReturnType<typeof userEvent.setup>, name = 'perm-check') {
  const field = screen.getByRole('textbox', { name: 'Name' })
  if (!(field as HTMLInputElement).value) await user.type(field, name)
  await user.click(screen.getByRole('button', { name: /Next/ }))
  await screen.findByRole('heading', { name: 'Scope' })
}

describe('wizard permissions follow the owner', () => {
  it('offers a developer only what a developer may hold', async () => {
    session = wizardSession('developer')
    renderWizard({ session })
    const user = userEvent.setup()
    await toScopeStep(user)
    await user.click(screen.getByRole('radio', { name: /Custom/ }))
    expect(checkboxNames()).toEqual(['credentials:read', 'credentials:write'])
    expect(screen.getByText(/Only the permissions the owner’s developer role allows are offered/)).toBeInTheDocument()
  })

  it('offers an administrator owner all eight, and drops those a developer owner may not hold, saying which', async () => {
    session = wizardSession('admin')
    renderWizard({ session })
    const user = userEvent.setup()
    await user.type(screen.getByRole('combobox', { name: 'Owner' }), 'ada')
    await user.click(await screen.findByRole('option', { name: /ada@example\.com/ }))
    expect(screen.getByRole('combobox', { name: 'Owner' })).toHaveValue('ada@example.com')
    await toScopeStep(user)
    await user.click(screen.getByRole('radio', { name: /Custom/ }))
    expect(checkboxNames()).toHaveLength(8)
    for (const p of ['credentials:read', 'users:write', 'audit:read']) {
      await user.click(within(screen.getByRole('group', { name: 'Permissions' })).getByText(p))
    }
    await user.click(screen.getByRole('button', { name: /Back/ }))
    await user.type(screen.getByRole('combobox', { name: 'Owner' }), '{Control>}a{/Control}devon')
    await user.click(await screen.findByRole('option', { name: /devon@example\.com/ }))
    expect(await screen.findByRole('status')).toHaveTextContent('Removed users:write, audit:read: the developer role of the chosen owner does not allow them.')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(checkboxNames()).toEqual(['credentials:read', 'credentials:write'])
    expect(screen.getByRole('checkbox', { name: /credentials:read/ })).toBeChecked()
  })
})

describe('a replacement with the same settings', () => {
  it('opens the wizard with a free name, the same owner, scope and lifetime', async () => {
    session = wizardSession('admin')
    taken = new Set(['leaky-ci-2'])
    const leaked = credential({ owner: { id: 'u2', email: 'devon@example.com', name: 'Devon', kind: 'user' } as Credential['owner'], create_timestamp: iso(Date.now() - 20 * DAY), expiry_timestamp: iso(Date.now() + 10 * DAY) })
    renderWizard({
      session, entry: '/tokens/new?replace=leaky-ci',
      seed: (qc) => {
        qc.setQueryData(credentialQueries.detail('api_credentials', 'leaky-ci').queryKey, detail(leaked))
      },
    })
    const user = userEvent.setup()
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Name' })).toHaveValue('leaky-ci-3'))
    expect(screen.getByRole('note')).toHaveTextContent('A replacement for “leaky-ci”')
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Owner' })).toHaveValue('devon@example.com'))
    expect(screen.getByRole('textbox', { name: 'Description (optional)' })).toHaveValue('CI deploys')
    await toScopeStep(user)
    expect(screen.getByRole('radio', { name: /Custom/ })).toBeChecked()
    expect(screen.getByRole('checkbox', { name: /credentials:read/ })).toBeChecked()
    expect(screen.getByRole('checkbox', { name: /credentials:write/ })).not.toBeChecked()
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(screen.getByRole('radio', { name: /30 days/ })).toBeChecked()
  })

  it('is offered on a leaked token’s page, and singled out when the leak notice links there', async () => {
    session = wizardSession('developer')
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } })
    qc.setQueryData(sessionQueries.current().queryKey, session)
    qc.setQueryData(credentialQueries.detail('api_credentials', 'leaky-ci').queryKey, detail(credential()))
    const router = createMemoryRouter([{ path: '/tokens/:name', element: <TokenDetailPage family="api_credentials" /> }], { initialEntries: ['/tokens/leaky-ci?replace=1'] })
    render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
    const offer = screen.getByRole('link', { name: 'Create a replacement with the same settings' })
    expect(offer).toHaveAttribute('href', '/tokens/new?replace=leaky-ci')
    expect(offer).toHaveFocus()
    expect(screen.getByRole('note')).toHaveTextContent('reported as leaked')
    // Ended: the expiry no longer reads as a date ahead, and nothing can be renewed or revoked.
    const expires = screen.getByText('Expires').nextElementSibling
    expect(expires).toHaveTextContent(/^Ended \(was to expire /)
    expect(screen.queryByRole('button', { name: 'Renew' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Revoke' })).not.toBeInTheDocument()
  })
})

describe('leaked in lists', () => {
  const renderTable = (items: Credential[]) => {
    const router = createMemoryRouter([{ path: '*', element: (
      <>
        <StatusSelect value="" onChange={() => {}} />
        <TokenTable items={items} params={parseListParams(new URLSearchParams(), 'mine')} onSort={() => {}} showOwner={false} linkBase="/tokens" caption="Tokens" />
      </>
    ) }])
    render(<RouterProvider router={router} />)
  }

  it('has a Leaked badge and filter option; ended tokens show their expiry as ended; types read as words', () => {
    const now = Date.now()
    renderTable([
      credential(),
      credential({ name: 'old-revoked', status: 'revoked', leaked_timestamp: null }),
      credential({ name: 'lapsed', status: 'expired', revoked_timestamp: null, leaked_timestamp: null, expiry_timestamp: iso(now - 2 * DAY) }),
      credential({ name: 'cert-live', type: 'API_CERTIFICATE', status: 'active', active: true, revoked_timestamp: null, leaked_timestamp: null, expiry_timestamp: iso(now + 3 * DAY + 3_600_000) }),
    ])
    expect(screen.getByRole('option', { name: 'Leaked' })).toHaveValue('leaked')
    const row = (name: string) => screen.getByRole('link', { name }).closest('tr')!
    expect(within(row('leaky-ci')).getByText('Leaked')).toBeInTheDocument()
    expect(within(row('old-revoked')).getByText('Revoked')).toBeInTheDocument()
    for (const ended of ['leaky-ci', 'old-revoked', 'lapsed']) {
      const cell = row(ended).querySelector('[data-label="Expires"]')!
      expect(cell.textContent, ended).toMatch(/^Ended/)
      expect(cell.textContent, ended).not.toMatch(/\bin \d+ days?\b/)
    }
    expect(row('cert-live').querySelector('[data-label="Expires"]')!.textContent).toMatch(/in 3 days/)
    expect(within(row('cert-live')).getByText('API certificate')).toBeInTheDocument()
    expect(within(row('leaky-ci')).getByText('API token')).toBeInTheDocument()
    expect(document.body.textContent).not.toMatch(/API_CERTIFICATE|API_TOKEN/)
  })
})
