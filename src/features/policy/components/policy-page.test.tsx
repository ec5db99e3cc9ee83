// @vitest-environment happy-dom
// The Policy page saves with If-Match from the version it read: when another administrator saved
// in between, the server answers 412 and the page says so, offering a reload instead of overwriting.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { policySchema, policySettingsSchema, policyUpdateResponseSchema, type Policy, type PolicySettings } from '../../../../contract/policy'
import { sessionResponseSchema } from '../../../../contract/auth'
import { fixture } from '../../../testing/fixture'
import { sessionQueries } from '../../../lib/api/session'
import { PolicyPage } from './policy-page'

const settings: PolicySettings = fixture(policySettingsSchema, {
  default_expiration_days: 90, max_expiration_days: 365, allow_never_expire: false, never_expire_account_types: [],
  idle_timeout_days: null, max_active_tokens_per_user: 100, name_pattern: null, service_credential_creators: 'writers',
  reauth_window_minutes: null, allow_reactivation: false,
})
const policyOf = (s: PolicySettings): Policy => fixture(policySchema, {
  default_expiration_days: s.default_expiration_days, max_expiration_days: s.max_expiration_days, allow_never_expire: s.allow_never_expire,
  max_active_tokens_per_user: s.max_active_tokens_per_user, expiry_presets: [30, 60, 90], expiring_soon_days: 14, settings: s,
  updated_timestamp: null, updated_by: null,
})
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

/** One stored policy and its version; `someoneSaves` is another administrator's save in between. */
function fakeServer() {
  const state = { settings, version: 1 }
  const puts: Array<{ ifMatch: string | null; body: { settings: PolicySettings } }> = []
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url !== '/api/policy') return json(404, { code: 5, message: 'not here', details: [] })
    const tag = () => `"v${state.version}"`
    if ((init.method ?? 'GET') === 'GET') return json(200, policyOf(state.settings), { etag: tag() })
    const ifMatch = new Headers(init.headers).get('if-match')
    const body = JSON.parse(init.body as string) as { settings: PolicySettings }
    puts.push({ ifMatch, body })
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== tag()) {
      return json(412, { code: 9, message: 'The policy changed since you read it', details: [{ field: 'If-Match', reason: 'etag_mismatch' }] })
    }
    state.settings = body.settings
    state.version++
    return json(200, fixture(policyUpdateResponseSchema, { policy: policyOf(state.settings), changed: [] }), { etag: tag() })
  })
  vi.stubGlobal('fetch', fetch)
  return { puts, someoneSaves: (s: Partial<PolicySettings>) => { state.settings = { ...state.settings, ...s }; state.version++ } }
}

function renderPage() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
  const session = fixture(sessionResponseSchema, { user: { id: 'a1', email: 'admin@example.com', name: 'Admin', role: 'admin', kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z' })
  qc.setQueryData(sessionQueries.current().queryKey, session)
  render(<QueryClientProvider client={qc}><PolicyPage /></QueryClientProvider>)
}

afterEach(() => { vi.unstubAllGlobals() })

describe('PolicyPage', () => {
  it('saves with If-Match from the version it read', async () => {
    const server = fakeServer()
    renderPage()
    const field = await screen.findByLabelText('Active tokens per user')
    await userEvent.clear(field)
    await userEvent.type(field, '40')
    await userEvent.click(screen.getByRole('button', { name: 'Apply to new tokens' }))
    await waitFor(() => expect(server.puts).toHaveLength(1))
    expect(server.puts[0].ifMatch).toBe('"v1"')
    expect(server.puts[0].body.settings.max_active_tokens_per_user).toBe(40)
  })

  it('on 412 says someone changed the policy and nothing was saved; Reload shows theirs, then saving works', async () => {
    const server = fakeServer()
    renderPage()
    const field = await screen.findByLabelText('Active tokens per user')
    server.someoneSaves({ idle_timeout_days: 30 })
    await userEvent.clear(field)
    await userEvent.type(field, '40')
    await userEvent.click(screen.getByRole('button', { name: 'Apply to new tokens' }))
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('Someone changed the policy since you opened it, so your changes were not saved. Reload to see the policy as it is now, then make your changes again.')
    expect(server.puts.map((p) => p.ifMatch)).toEqual(['"v1"'])
    await userEvent.click(screen.getByRole('button', { name: 'Reload the policy' }))
    await waitFor(() => expect(screen.getByLabelText('Idle timeout (days)')).toHaveValue(30))
    expect(screen.getByLabelText('Active tokens per user')).toHaveValue(100)
    expect(screen.queryByRole('alert')).toBeNull()
    const again = screen.getByLabelText('Active tokens per user')
    await userEvent.clear(again)
    await userEvent.type(again, '40')
    await userEvent.click(screen.getByRole('button', { name: 'Apply to new tokens' }))
    await waitFor(() => expect(server.puts).toHaveLength(2))
    expect(server.puts[1].ifMatch).toBe('"v2"')
    expect(server.puts[1].body.settings).toMatchObject({ idle_timeout_days: 30, max_active_tokens_per_user: 40 })
  })
})
