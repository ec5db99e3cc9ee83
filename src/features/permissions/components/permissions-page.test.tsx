// @vitest-environment happy-dom
// The Permissions page: administrators add (the server's refusal shown where they acted) and retire;
// developers and auditors read the catalog with no control to change it.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SessionResponse } from '../../../../contract/auth'
import type { CatalogPermission } from '../../../../contract/permissions'
import type { Role } from '../../../../contract/users'
import { sessionQueries } from '../../../lib/api/session'
import { PermissionsPage } from './permissions-page'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const perm = (name: string, extra: Partial<CatalogPermission> = {}): CatalogPermission => ({
  name, description: `${name} access`, sensitive: false, retired: false, created_timestamp: '2026-12-01T00:00:00Z', created_by: 'admin@example.com', retired_timestamp: null, ...extra,
})

function fakeServer() {
  const items: CatalogPermission[] = [perm('billing:invoices:read'), perm('billing:refunds:create', { sensitive: true })]
  const posts: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const u = new URL(url, 'http://x')
    const method = init.method ?? 'GET'
    if (u.pathname === '/api/permissions' && method === 'GET') return json(200, { items })
    if (u.pathname === '/api/permissions' && method === 'POST') {
      const body = JSON.parse(init.body as string) as { name: string; description: string }
      posts.push(body.name)
      if (items.some((p) => p.name === body.name)) return json(409, { code: 6, message: `${body.name} is already in the catalog`, details: [{ field: 'name', reason: 'already exists' }] })
      const p = perm(body.name, { description: body.description })
      items.push(p)
      return json(201, p)
    }
    const retire = /^\/api\/permissions\/([^/]+)\/retire$/.exec(u.pathname)
    if (retire && method === 'POST') {
      const p = items.find((x) => x.name === decodeURIComponent(retire[1]))!
      Object.assign(p, { retired: true, retired_timestamp: '2026-12-04T00:00:00Z' })
      return json(200, p)
    }
    const detail = /^\/api\/permissions\/([^/]+)$/.exec(u.pathname)
    if (detail) return json(200, { ...items.find((x) => x.name === decodeURIComponent(detail[1])), tokens_holding: 2, token_names: ['ci-billing', 'reports'] })
    return json(404, { code: 5, message: 'not here', details: [] })
  }))
  return { posts }
}

function renderPage(role: Role) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
  const session: SessionResponse = { user: { id: 'u1', email: `${role}@example.com`, name: role, role, kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z' }
  qc.setQueryData(sessionQueries.current().queryKey, session)
  render(<QueryClientProvider client={qc}><PermissionsPage /></QueryClientProvider>)
}

afterEach(() => { vi.unstubAllGlobals() })

describe('PermissionsPage', () => {
  it('an admin adds a permission; a name already there shows the server\'s message in the dialog', async () => {
    const server = fakeServer()
    renderPage('admin')
    await userEvent.click(await screen.findByRole('button', { name: 'Add permission' }))
    const dialog = await screen.findByRole('dialog')
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Billing')
    await userEvent.type(within(dialog).getByLabelText('Description'), 'x')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add permission' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Use service:resource:action')
    expect(server.posts).toEqual([])
    await userEvent.clear(within(dialog).getByLabelText('Name'))
    await userEvent.type(within(dialog).getByLabelText('Name'), 'billing:invoices:read')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add permission' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('billing:invoices:read is already in the catalog')
    await userEvent.clear(within(dialog).getByLabelText('Name'))
    await userEvent.type(within(dialog).getByLabelText('Name'), 'orders:orders:cancel')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add permission' }))
    expect(await screen.findByText('orders:orders:cancel')).toBeTruthy()
    expect(server.posts).toEqual(['billing:invoices:read', 'orders:orders:cancel'])
  })

  it('an admin retires after seeing which tokens hold it', async () => {
    fakeServer()
    renderPage('admin')
    await userEvent.click(await screen.findByRole('button', { name: 'Retire billing:invoices:read' }))
    expect(await screen.findByText(/2 unexpired tokens hold it and will no longer be granted it: ci-billing, reports/)).toBeTruthy()
    await userEvent.click(screen.getByRole('button', { name: 'Retire permission' }))
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Retire billing:invoices:read' })).toBeNull())
    expect(screen.getAllByText('Retired').length).toBeGreaterThan(0)
  })

  it.each(['developer', 'auditor'] as const)('a %s reads the catalog and finds it by search, with no control to change it', async (role) => {
    fakeServer()
    renderPage(role)
    expect(await screen.findByText('billing:invoices:read')).toBeTruthy()
    expect(screen.getByText('Sensitive')).toBeTruthy()
    await userEvent.type(screen.getByLabelText('Search permissions'), 'refunds')
    expect(screen.queryByText('billing:invoices:read')).toBeNull()
    expect(screen.getByText('billing:refunds:create')).toBeTruthy()
    expect(screen.queryByRole('button', { name: /Add permission|Retire/ })).toBeNull()
  })
})
