// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Credential } from '../../contract/credentials'
import { RotateDialog } from './rotate-dialog'

const SECRET = 'tcp_0123456789abcdefghijABCDEFGHIJ0NEW1'
const credential = {
  name: 'terraform-prod', uid: 'u-1', namespace: 'system', type: 'API_TOKEN', user_email: 'dev@example.com', active: true,
  create_timestamp: '2026-01-01T00:00:00.000Z', expiry_timestamp: '2026-12-20T00:00:00.000Z', description: '',
  owner: { id: 'o-1', email: 'dev@example.com', name: 'Dev', kind: 'user' }, created_by: 'o-1', scope: 'full_access', permissions: [],
  status: 'active', last_used_timestamp: null, revoked_timestamp: null, leaked_timestamp: null, rotated_from: null, replaced_by: null,
  token_hint: '…OLD1', namespace_roles: [], namespace_access: { namespace_role_map: {} }, user_group_names: [], allowed_cidrs: null, rate_limit: null, not_before_timestamp: null,
} as unknown as Credential
const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })

/** A fake API: the policy, and the rotation, answered with the name the request asks for. */
function fakeServer() {
  const bodies: Array<Record<string, unknown>> = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (url.endsWith('/api/policy')) return json({ default_expiration_days: 90, max_expiration_days: 365, expiry_presets: [30, 90] })
    const body = JSON.parse(init!.body as string) as Record<string, unknown>
    bodies.push(body)
    return json({ active: true, name: body.new_name ?? body.name, data: SECRET, expiration_timestamp: '2027-03-01T00:00:00.000Z' })
  }))
  return bodies
}

function renderDialog() {
  const client = new QueryClient({ defaultOptions: { mutations: { retry: false }, queries: { retry: false } } })
  render(<QueryClientProvider client={client}><RotateDialog family="api_credentials" credential={credential} open onOpenChange={() => {}} /></QueryClientProvider>)
}

afterEach(() => { vi.unstubAllGlobals() })

describe('RotateDialog', () => {
  it('keeps the name by default: a new secret, the previous one kept for the overlap, revealed once', async () => {
    const bodies = fakeServer()
    renderDialog()
    expect(screen.getByRole('radio', { name: 'Keep the name, issue a new secret' })).toBeChecked()
    expect(screen.getByRole('radio', { name: 'Rotate to a new name' })).not.toBeChecked()
    expect(screen.queryByRole('textbox', { name: /New name/ })).toBeNull()
    const summary = screen.getByTestId('rotate-summary')
    expect(summary).toHaveTextContent('terraform-prod keeps its name, history and usage and gets a new secret')
    expect(summary).toHaveTextContent('previous secret (…OLD1) keeps working for 24 hours')
    expect(summary).not.toHaveTextContent('-r2')
    await userEvent.click(screen.getByRole('button', { name: 'Rotate with 24 hours overlap' }))
    await waitFor(() => expect(bodies).toHaveLength(1))
    expect(bodies[0]).toEqual({ name: 'terraform-prod', overlap_seconds: 86_400, expiration_days: 90, cutover_on_switch: true })
    const reveal = await screen.findByRole('dialog', { name: 'New secret for terraform-prod' })
    expect(reveal).toBeInTheDocument()
    expect(screen.getByRole('textbox', { name: 'Token' })).toHaveValue(SECRET)
  })

  it('rotates to a new name when asked, the lineage name offered', async () => {
    const bodies = fakeServer()
    renderDialog()
    await userEvent.click(screen.getByRole('radio', { name: 'Rotate to a new name' }))
    const field = screen.getByRole('textbox', { name: /New name/ })
    expect(field).toHaveValue('terraform-prod-r2')
    await userEvent.clear(field)
    await userEvent.type(field, 'terraform-prod-2027')
    expect(screen.getByTestId('rotate-summary')).toHaveTextContent('beside terraform-prod-2027')
    await userEvent.selectOptions(screen.getByRole('combobox', { name: /Overlap/ }), '0')
    await userEvent.click(screen.getByRole('button', { name: 'Rotate and end the old token now' }))
    await waitFor(() => expect(bodies).toHaveLength(1))
    expect(bodies[0]).toMatchObject({ name: 'terraform-prod', new_name: 'terraform-prod-2027', overlap_seconds: 0, cutover_on_switch: false })
    expect(await screen.findByRole('dialog', { name: 'Replacement for terraform-prod' })).toBeInTheDocument()
  })
})
