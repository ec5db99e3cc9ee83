// @vitest-environment happy-dom
// The limits card: the allowlist editor validates as the server does, fills itself from the suggestion,
// shows the dry run's refused uses, and saves the list and the rate limit in one PATCH.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Credential } from '../../../../contract/credentials'
import { LimitsCard } from './limits-card'

const credential = {
  name: 'ci-deploy', status: 'active', allowed_cidrs: null, rate_limit: null, not_before_timestamp: null,
} as unknown as Credential

let calls: Array<{ url: string; method: string; body?: unknown }>
beforeEach(() => {
  calls = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    calls.push({ url, method, body: init?.body ? JSON.parse(String(init.body)) : undefined })
    const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { 'content-type': 'application/json' } })
    if (url.includes('/allowlist_suggestion')) {
      return json({
        cidrs: ['203.0.113.5/32', '198.51.100.7/32'], since: '2026-11-04T00:00:00.000Z',
        sources: [{ ip: '203.0.113.5', count: 30, last_seen: '2026-12-04T10:00:00.000Z' }, { ip: '198.51.100.7', count: 2, last_seen: '2026-12-01T10:00:00.000Z' }],
      })
    }
    if (url.includes('/allowlist_dry_run')) {
      return json({
        cidrs: ['203.0.113.5/32'], since: '2026-11-04T00:00:00.000Z', refused_uses: 2, allowed_uses: 30,
        refused: [{ ip: '198.51.100.7', count: 2, last_seen: '2026-12-01T10:00:00.000Z' }], allowed: [{ ip: '203.0.113.5', count: 30, last_seen: '2026-12-04T10:00:00.000Z' }],
      })
    }
    if (method === 'PATCH') return json({ allowed_cidrs: ['203.0.113.5/32'], rate_limit: { limit: 100, window_seconds: 60 }, not_before_timestamp: null })
    return json({})
  }))
})
afterEach(() => vi.unstubAllGlobals())

function renderCard(c: Credential = credential, canEdit = true) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(<QueryClientProvider client={qc}><LimitsCard family="api_credentials" credential={c} canEdit={canEdit} /></QueryClientProvider>)
}

describe('limits card', () => {
  it('shows the limits in force, and no edit button to someone who may not edit', () => {
    renderCard({ ...credential, allowed_cidrs: ['10.0.0.0/8'], rate_limit: { limit: 5, window_seconds: 60 } } as Credential, false)
    expect(screen.getByLabelText('Allowed addresses')).toHaveTextContent('10.0.0.0/8')
    expect(screen.getByText('5 requests per 60 s')).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Edit limits' })).toBeNull()
  })

  it('names a bad entry and will not save it', async () => {
    renderCard()
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Edit limits' }))
    await user.type(screen.getByRole('textbox', { name: 'Allowed addresses' }), '203.0.113.0/24\n10.0.0.300')
    expect(screen.getByRole('alert')).toHaveTextContent('“10.0.0.300” is not an IPv4 or IPv6 address or CIDR')
    expect(screen.getByRole('button', { name: 'Save limits' })).toBeDisabled()
  })

  it('fills the list from the suggestion, shows what a dry run would refuse, and saves list and rate limit together', async () => {
    renderCard()
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Edit limits' }))
    await user.click(screen.getByRole('button', { name: 'Suggest from recent uses' }))
    const box = screen.getByRole('textbox', { name: 'Allowed addresses' })
    expect(box).toHaveValue('203.0.113.5/32\n198.51.100.7/32')
    expect(screen.getByText(/Suggested from 2 addresses/)).toBeInTheDocument()
    // Keep only the first: the dry run says the other's uses would be refused.
    await user.clear(box)
    await user.type(box, '203.0.113.5/32')
    await user.click(screen.getByRole('button', { name: 'Dry run against recent uses' }))
    const refused = await screen.findByRole('list', { name: 'Uses the list would refuse' })
    expect(within(refused).getByText('198.51.100.7')).toBeInTheDocument()
    expect(screen.getByText(/Would have refused 2 of 32 uses/)).toBeInTheDocument()
    expect(calls.find((c) => c.url.includes('allowlist_dry_run'))!.url).toContain(`cidrs=${encodeURIComponent('203.0.113.5/32')}`)
    await user.type(screen.getByRole('textbox', { name: 'Requests per window' }), '100')
    await user.type(screen.getByRole('textbox', { name: 'Window (seconds)' }), '60')
    await user.click(screen.getByRole('button', { name: 'Save limits' }))
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.url).toBe('/api/console/credentials/api_credentials/ci-deploy/limits')
    expect(patch.body).toEqual({ allowed_cidrs: ['203.0.113.5/32'], rate_limit: { limit: 100, window_seconds: 60 } })
  })
})
