// @vitest-environment happy-dom
// Focus goes where the work is: each wizard step's heading as the step changes, the name field when
// the server refuses the name, the new token's heading after Done, the typed-confirmation field when
// a revoke dialog opens, and the next row (or the heading) after a revoke in a list.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Credential, GetResponse } from '../../../../contract/credentials'
import type { Policy } from '../../../../contract/policy'
import { scopeCatalog } from '../../../../contract/scopes'
import { BulkRevokeBar, useSelection } from '../../../components/bulk-revoke'
import { TokenTable } from '../../../components/credential-table'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { credentialQueries } from '../../../lib/api/credentials'
import { metaQueries } from '../../../lib/api/meta'
import { sessionQueries } from '../../../lib/api/session'
import { parseListParams } from '../../../lib/list-params'
import { CreateTokenPage } from './create-token-page'
import { TokenDetailPage } from './token-detail-page'
import { RevokeDialog } from './token-actions'
import { wizardSession } from './wizard-test-support'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

function credential(over: Partial<Credential> = {}): Credential {
  const now = Date.now()
  return {
    name: 'ci-deploy', uid: `uid-${over.name ?? 'ci-deploy'}`, namespace: 'system', type: 'API_TOKEN', user_email: 'dev@example.com', active: true,
    create_timestamp: iso(now - DAY), expiry_timestamp: iso(now + 89 * DAY), description: '',
    owner: { id: 'u1', email: 'dev@example.com', name: 'Dev', kind: 'user' } as Credential['owner'], created_by: 'u1',
    scope: 'read_only', permissions: [], status: 'active', last_used_timestamp: null,
    revoked_timestamp: null, leaked_timestamp: null, rotated_from: null, replaced_by: null, token_hint: 'abcd',
    namespace_roles: [], namespace_access: { namespace_role_map: {} }, user_group_names: [],
    allowed_cidrs: null, rate_limit: null, not_before_timestamp: null, ...over,
  }
}

const session = wizardSession('developer')
let createAnswer: () => Response

beforeEach(() => {
  createAnswer = () => json(200, { active: true, data: 'tcp_0123456789abcdefghijABCDEFGHIJ012345', expiration_timestamp: iso(Date.now() + 90 * DAY), name: 'ci-deploy' })
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url.startsWith('/api/console/session')) return json(200, { session })
    if (url.startsWith('/api/console/name-available')) return json(200, { available: true })
    if (init.method === 'POST' && url === '/api/web/namespaces/system/api_credentials') return createAnswer()
    if (init.method === 'POST' && url.includes('/bulk_revoke/')) {
      const names = (JSON.parse(String(init.body)) as { name_selector: { names: string[] } }).name_selector.names
      return json(200, { credentials_failed: [], credentials_marked_for_deletion: names, error_message: '' })
    }
    if ((init.method ?? 'GET') === 'GET' && url === '/api/web/namespaces/system/api_credentials/ci-deploy') return json(200, { ...credential(), object: {} })
    // Everything else the detail page's cards ask for: nothing to show.
    return json(404, { code: 5, message: 'not found', details: [] })
  }))
})
afterEach(() => vi.unstubAllGlobals())

function renderWizardAndDetail() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } })
  qc.setQueryData(sessionQueries.current().queryKey, session)
  qc.setQueryData(metaQueries.policy().queryKey, {
    default_expiration_days: 90, max_expiration_days: 365, allow_never_expire: false, max_active_tokens_per_user: 100,
    expiry_presets: [30, 60, 90, 180, 365], expiring_soon_days: 14,
  } as Policy)
  qc.setQueryData(metaQueries.scopes().queryKey, { items: [...scopeCatalog] })
  qc.setQueryData(credentialQueries.detail('api_credentials', 'ci-deploy').queryKey, { ...credential(), object: {} } as GetResponse)
  const router = createMemoryRouter([
    { path: '/tokens/new', element: <CreateTokenPage kind="API_TOKEN" /> },
    { path: '/tokens/:name', element: <TokenDetailPage family="api_credentials" /> },
  ], { initialEntries: ['/tokens/new'] })
  render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
  return router
}

async function walkToReview(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByRole('textbox', { name: 'Name' }), 'ci-deploy')
  for (const step of ['Scope', 'Expiry', 'Review']) {
    await user.click(screen.getByRole('button', { name: /Next/ }))
    // Each step's heading takes focus as the step changes, so a screen reader hears where it is.
    await waitFor(() => expect(screen.getByRole('heading', { name: step })).toHaveFocus())
  }
}

describe('focus in the creation wizard', () => {
  it('moves to each step\'s heading when the step changes, forward and back', async () => {
    renderWizardAndDetail()
    const user = userEvent.setup()
    await walkToReview(user)
    await user.click(screen.getByRole('button', { name: /Back/ }))
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Expiry' })).toHaveFocus())
  })

  it('moves to the name field when the server refuses the name, back on the first step', async () => {
    createAnswer = () => json(409, { code: 6, message: 'Object already exists', details: [{ field: 'name', reason: 'already exists' }] })
    renderWizardAndDetail()
    const user = userEvent.setup()
    await walkToReview(user)
    await user.click(screen.getByRole('button', { name: 'Create token' }))
    const name = await screen.findByRole('textbox', { name: 'Name' })
    expect(await screen.findByText('A token with this name already exists')).toBeInTheDocument()
    await waitFor(() => expect(name).toHaveFocus())
  })

  it('moves to a name that breaks the rules when Next is pressed', async () => {
    renderWizardAndDetail()
    const user = userEvent.setup()
    const name = screen.getByRole('textbox', { name: 'Name' })
    await user.type(name, 'Bad Name')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await waitFor(() => expect(name).toHaveFocus())
  })

  it('lands on the new token\'s heading after Done on the one-time reveal', async () => {
    const router = renderWizardAndDetail()
    const user = userEvent.setup()
    await walkToReview(user)
    await user.click(screen.getByRole('button', { name: 'Create token' }))
    await user.click(await screen.findByRole('checkbox', { name: /I have stored this token/ }))
    await user.click(screen.getByRole('button', { name: 'Done' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/tokens/ci-deploy'))
    const heading = await waitFor(() => { const h = document.querySelector('h1'); if (!h) throw new Error(document.body.textContent?.slice(0, 400)); expect(h).toHaveTextContent('ci-deploy'); return h })
    await waitFor(() => expect(document.activeElement).toBe(heading))
    // Still there once the dialog's own focus handling has run.
    await new Promise((r) => setTimeout(r, 50))
    expect(document.activeElement).toBe(heading)
  })
})

describe('focus in revoke confirmations', () => {
  function renderRevoke() {
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
    render(<QueryClientProvider client={qc}><RevokeDialog family="api_credentials" credential={credential()} open onOpenChange={() => {}} /></QueryClientProvider>)
  }

  it('the revoke dialog opens on its typed-name field, not the Close button', async () => {
    renderRevoke()
    const field = await screen.findByRole('textbox', { name: /Type ci-deploy to confirm/ })
    await waitFor(() => expect(document.activeElement).toBe(field))
    expect(screen.getByRole('button', { name: 'Close' })).not.toHaveFocus()
  })

  it('a confirmation with a typed value opens on it and offers the action only once it matches; without one, on Cancel', async () => {
    const onConfirm = vi.fn()
    const { unmount } = render(<ConfirmDialog open onOpenChange={() => {}} title="Revoke 12 tokens?" consequence="Final." confirmLabel="Revoke 12 tokens"
      onConfirm={onConfirm} typed={{ value: '12', label: 'Type the number of tokens, 12, to confirm' }} />)
    const field = await screen.findByRole('textbox', { name: /Type the number of tokens/ })
    await waitFor(() => expect(document.activeElement).toBe(field))
    const action = screen.getByRole('button', { name: 'Revoke 12 tokens' })
    expect(action).toBeDisabled()
    const user = userEvent.setup()
    await user.type(field, '11')
    expect(action).toBeDisabled()
    await user.clear(field)
    await user.type(field, '12{Enter}')
    expect(onConfirm).toHaveBeenCalledTimes(1)
    unmount()
    render(<ConfirmDialog open onOpenChange={() => {}} title="Replace?" consequence="It changes." confirmLabel="Replace" onConfirm={() => {}} />)
    await waitFor(() => expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus())
  })
})

describe('focus after a revoke in a list', () => {
  const rows = ['alpha', 'bravo', 'charlie', 'delta'].map((name) => credential({ name }))

  function ListHarness({ initial }: { initial: Credential[] }) {
    const selection = useSelection()
    const [items] = useState(initial)
    return (
      <main>
        <h1>API Tokens</h1>
        <BulkRevokeBar items={selection.items} onDone={selection.clear} />
        {items.length > 0 && <TokenTable items={items} params={parseListParams(new URLSearchParams(), 'mine')} onSort={() => {}} showOwner={false} linkBase="/tokens" caption="Tokens" selection={selection} />}
      </main>
    )
  }

  function renderList(items: Credential[]) {
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
    const router = createMemoryRouter([{ path: '*', element: <ListHarness initial={items} /> }])
    render(<QueryClientProvider client={qc}><RouterProvider router={router} /></QueryClientProvider>)
  }

  async function revoke(names: string[]) {
    const user = userEvent.setup()
    for (const n of names) await user.click(screen.getByRole('checkbox', { name: `Select ${n}` }))
    await user.click(screen.getByRole('button', { name: new RegExp(`^Revoke ${names.length} token`) }))
    await user.type(await screen.findByRole('textbox', { name: /to confirm/ }), names.length === 1 ? names[0] : String(names.length))
    await user.click(screen.getByRole('button', { name: new RegExp(`^Revoke ${names.length} token`), hidden: false }))
  }

  it('goes to the row after the revoked ones', async () => {
    renderList(rows)
    await revoke(['bravo', 'charlie'])
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('link', { name: 'delta' })))
  })

  it('goes to the row before when the revoked ones were last', async () => {
    renderList(rows)
    await revoke(['delta'])
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('link', { name: 'charlie' })))
  })

  it('goes to the list heading when no other row is left', async () => {
    renderList([credential({ name: 'only-one' })])
    await revoke(['only-one'])
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'API Tokens' })))
  })
})
