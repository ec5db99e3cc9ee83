// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider, useMutation } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, onUnauthorized, ReauthCancelledError, setCsrfToken } from '../lib/api-client'
import { ReauthDialog } from './reauth-dialog'

const REFUSED = {
  code: 16,
  message: 'Confirm your password to continue: your last sign-in was 12 minutes ago; the tenant policy asks for one within 5 minutes',
  details: [{ reason: 'reauthentication_required' }],
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** A fake API: the create is refused until the password "right-password" has been confirmed. */
function fakeServer() {
  let confirmed = false
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    if (url === '/api/auth/reauthenticate') {
      const { password } = JSON.parse(init.body as string) as { password: string }
      if (password !== 'right-password') return json(401, { code: 16, message: 'That password is not right', details: [{ field: 'password', reason: 'bad_credentials' }] })
      confirmed = true
      return json(200, { authenticated_at: new Date().toISOString() })
    }
    if (!confirmed) return json(401, REFUSED)
    return json(200, { name: (JSON.parse(init.body as string) as { name: string }).name, data: 'tcp_secret' })
  })
  vi.stubGlobal('fetch', fetch)
  return fetch
}

function Wizard({ client }: { client: QueryClient }) {
  const [name, setName] = useState('')
  const create = useMutation({ mutationFn: (body: { name: string }) => api<{ name: string }>('/api/create', { method: 'POST', body }) }, client)
  return (
    <form onSubmit={(e) => { e.preventDefault(); create.mutate({ name }) }}>
      <label>Name <input value={name} onChange={(e) => setName(e.target.value)} /></label>
      <button type="submit">Create</button>
      {create.isSuccess && <p>Created {create.data.name}</p>}
      {create.error && <p role="alert">{create.error.message}</p>}
    </form>
  )
}

function renderAll() {
  const client = new QueryClient({ defaultOptions: { mutations: { retry: false } } })
  render(<QueryClientProvider client={client}><Wizard client={client} /><ReauthDialog /></QueryClientProvider>)
  return client
}

afterEach(() => { vi.unstubAllGlobals(); onUnauthorized(null); setCsrfToken(null) })

describe('ReauthDialog', () => {
  it('asks for the password, shows a wrong one, then completes the refused request as it was', async () => {
    const fetch = fakeServer()
    const signOut = vi.fn()
    onUnauthorized(signOut)
    const client = renderAll()
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'ci-deploy')
    await userEvent.click(screen.getByRole('button', { name: 'Create' }))

    const dialog = await screen.findByRole('dialog', { name: 'Confirm your password' }, { timeout: 10_000 })
    expect(dialog).toHaveTextContent('your last sign-in was 12 minutes ago')
    await userEvent.type(screen.getByLabelText('Password'), 'wrong-password')
    await userEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    expect(await screen.findByText('That password is not right. Try again.')).toBeInTheDocument()
    expect(screen.getByLabelText('Password')).toHaveValue('')

    await userEvent.type(screen.getByLabelText('Password'), 'right-password')
    await userEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    expect(await screen.findByText('Created ci-deploy')).toBeInTheDocument()
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveValue('ci-deploy')

    const creates = fetch.mock.calls.filter(([url]) => url === '/api/create')
    expect(creates).toHaveLength(2)
    expect(creates[1][1]).toMatchObject({ method: 'POST', body: creates[0][1].body })
    expect(signOut).not.toHaveBeenCalled()
    // The password is nowhere in the query client's caches.
    const cached = JSON.stringify([client.getQueryCache().getAll().map((q) => q.state), client.getMutationCache().getAll().map((m) => m.state)])
    expect(cached).not.toContain('right-password')
    expect(cached).not.toContain('wrong-password')
  })

  it('cancel rejects the action with a clear message and sends nothing more', async () => {
    const fetch = fakeServer()
    renderAll()
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'ci-deploy')
    await userEvent.click(screen.getByRole('button', { name: 'Create' }))
    await screen.findByRole('dialog', { name: 'Confirm your password' }, { timeout: 10_000 })
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(await screen.findByRole('alert')).toHaveTextContent(new ReauthCancelledError().message)
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument())
    expect(fetch.mock.calls.map(([url]) => url)).toEqual(['/api/create'])
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveValue('ci-deploy')
  })

  it('opens one prompt for requests refused together and retries each', async () => {
    const fetch = fakeServer()
    renderAll()
    const a = api<{ name: string }>('/api/create', { method: 'POST', body: { name: 'a' } })
    const b = api<{ name: string }>('/api/create', { method: 'POST', body: { name: 'b' } })
    await screen.findByRole('dialog', { name: 'Confirm your password' }, { timeout: 10_000 })
    await userEvent.type(screen.getByLabelText('Password'), 'right-password')
    await userEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    expect(await Promise.all([a, b])).toEqual([{ name: 'a', data: 'tcp_secret' }, { name: 'b', data: 'tcp_secret' }])
    expect(fetch.mock.calls.filter(([url]) => url === '/api/auth/reauthenticate')).toHaveLength(1)
  })
})
