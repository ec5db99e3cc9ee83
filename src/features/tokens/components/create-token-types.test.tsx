// @vitest-environment happy-dom
// The wizard's type step: only the types the server issues, a certificate's password (never kept in
// react-query's cache), a kubeconfig without a scope step, and each sent to its own endpoint.
import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import type { ConsoleCredentialType } from '../../../../contract/auth'
import { renderWizard as renderWizardWith, wizardSession } from './wizard-test-support'

const PASSWORD = 'correct-horse-p12'
const P12 = btoa('not really a p12')
const YAML = 'apiVersion: v1\nkind: Config\n'
let fetchMock: Mock

const renderWizard = (types: ConsoleCredentialType[] | undefined) => renderWizardWith({ session: wizardSession('developer', types) })

beforeEach(() => {
  fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const created = { active: true, expiration_timestamp: '2030-01-01T00:00:00Z', name: 'my-credential' }
    if (init?.method === 'POST' && url.endsWith('/api_credentials')) return new Response(JSON.stringify({ ...created, data: P12 }), { status: 200 })
    if (init?.method === 'POST' && url.endsWith('/kube_configs')) return new Response(JSON.stringify({ ...created, data: btoa(YAML) }), { status: 200 })
    return new Response(JSON.stringify({ available: true }), { status: 200 })
  })
  vi.stubGlobal('fetch', fetchMock)
})
afterEach(() => vi.unstubAllGlobals())

const posted = (path: string) => {
  const call = fetchMock.mock.calls.find(([url, init]) => (url as string).endsWith(path) && (init as RequestInit | undefined)?.method === 'POST')
  return call ? JSON.parse((call[1] as RequestInit).body as string) : undefined
}

describe('creation wizard: credential types', () => {
  it('offers no type choice when API tokens are the only type', () => {
    renderWizard(['API_TOKEN'])
    expect(screen.queryByRole('radio', { name: /API certificate/ })).not.toBeInTheDocument()
    expect(screen.queryByRole('group', { name: 'Type' })).not.toBeInTheDocument()
  })

  it('asks for the session again when it lacks the types (the sign-in answer has none), then offers them', async () => {
    fetchMock.mockImplementation(async (url: string) => new Response(JSON.stringify(url.startsWith('/api/console/session')
      ? { session: { user: { id: 'u1', email: 'dev@example.com', name: 'Dev', role: 'developer', kind: 'user' }, csrf_token: 'c', expires_at: '2030-01-01T00:00:00Z', credential_types: ['API_TOKEN', 'KUBE_CONFIG'] } }
      : { available: true }), { status: 200 }))
    renderWizard(undefined)
    expect(await screen.findByRole('radio', { name: /Kubeconfig/ })).toBeInTheDocument()
    expect(fetchMock.mock.calls.filter(([url]) => (url as string).startsWith('/api/console/session'))).toHaveLength(1)
  })

  it('offers only the enabled types', () => {
    renderWizard(['API_TOKEN', 'API_CERTIFICATE'])
    const type = screen.getByRole('group', { name: 'Type' })
    expect(within(type).getByRole('radio', { name: /API token/ })).toBeChecked()
    expect(within(type).getByRole('radio', { name: /API certificate \(P12\)/ })).toBeInTheDocument()
    expect(within(type).queryByRole('radio', { name: /Kubeconfig/ })).not.toBeInTheDocument()
  })

  it('creates a certificate: password twice, sent only in the request, never in the mutation cache', async () => {
    const qc = renderWizard(['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG'])
    const user = userEvent.setup()
    await user.click(screen.getByRole('radio', { name: /API certificate \(P12\)/ }))
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-credential')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByText('Enter a password: it protects the P12 file')).toBeInTheDocument()
    expect(screen.getByLabelText('P12 password')).toHaveFocus()
    await user.type(screen.getByLabelText('P12 password'), PASSWORD)
    await user.type(screen.getByLabelText('Confirm the password'), `${PASSWORD}x`)
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByText('The passwords do not match')).toBeInTheDocument()
    await user.type(screen.getByLabelText('Confirm the password'), '{Backspace}')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('heading', { name: 'Scope' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: /Next/ }))
    expect(await screen.findByText('API certificate (P12)', { selector: 'dd' })).toBeInTheDocument()
    expect(document.body.innerHTML).not.toContain(PASSWORD)
    await user.click(screen.getByRole('button', { name: 'Create certificate' }))

    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByRole('button', { name: 'Download my-credential.p12' })).toBeInTheDocument()
    expect(posted('/api/web/namespaces/system/api_credentials')).toMatchObject({ name: 'my-credential', spec: { type: 'API_CERTIFICATE', password: PASSWORD } })
    // Neither the password nor the bundle sits in react-query's caches.
    const cached = JSON.stringify([qc.getMutationCache().getAll().map((m) => m.state), qc.getQueryCache().getAll().map((q) => q.state.data)])
    expect(cached).not.toContain(PASSWORD)
    expect(cached).not.toContain(P12)
  })

  it('creates a kubeconfig: no description, owner or scope step; the namespace goes to kube_configs', async () => {
    renderWizard(['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG'])
    const user = userEvent.setup()
    await user.click(screen.getByRole('radio', { name: /Kubeconfig/ }))
    expect(screen.queryByRole('textbox', { name: 'Description (optional)' })).not.toBeInTheDocument()
    expect(screen.queryByLabelText('P12 password')).not.toBeInTheDocument()
    expect(within(screen.getByRole('list', { name: 'Steps' })).queryByText(/Scope/)).not.toBeInTheDocument()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-credential')
    await user.type(screen.getByRole('textbox', { name: 'Cluster namespace (optional)' }), 'Bad_NS')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByText(/at most 63 lowercase letters/)).toBeInTheDocument()
    await user.clear(screen.getByRole('textbox', { name: 'Cluster namespace (optional)' }))
    await user.type(screen.getByRole('textbox', { name: 'Cluster namespace (optional)' }), 'team-a')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('heading', { name: 'Expiry' })).toBeInTheDocument()
    // No cluster reads the CRL: the wizard says so and starts from the short lifetime.
    expect(screen.getByRole('note')).toHaveTextContent(/does not reach the Kubernetes API server/)
    expect(screen.getByRole('radio', { name: /1 day/ })).toBeChecked()
    await user.click(screen.getByRole('button', { name: /Back/ }))
    expect(await screen.findByRole('heading', { name: 'Details' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: /Next/ }))
    expect(await screen.findByText('Kubeconfig', { selector: 'dd' })).toBeInTheDocument()
    // One day, not "1 days".
    expect(screen.getByText(/\(1 day\)$/, { selector: 'dd' })).toBeInTheDocument()
    expect(screen.getByText('team-a', { selector: 'dd' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Create kubeconfig' }))

    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByRole('button', { name: 'Download my-credential.kubeconfig' })).toBeInTheDocument()
    expect(posted('/api/web/namespaces/system/kube_configs')).toEqual({ name: 'my-credential', namespace: 'system', expiration_days: 1, vk8s_namespace: 'team-a' })
  })

  it('a kubeconfig says revocation does not reach the cluster, and a longer lifetime is still a choice', async () => {
    renderWizard(['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG'])
    const user = userEvent.setup()
    await user.click(screen.getByRole('radio', { name: /Kubeconfig/ }))
    expect(screen.getByRole('note')).toHaveTextContent(/clusters do not read revocation lists \(CRLs\)/)
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-credential')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('radio', { name: /30 days/ }))
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: 'Create kubeconfig' }))
    await screen.findByRole('dialog')
    expect(posted('/api/web/namespaces/system/kube_configs')).toMatchObject({ expiration_days: 30 })
  })

  it('leaving the kubeconfig type gives the usual expiry back, without the note', async () => {
    renderWizard(['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG'])
    const user = userEvent.setup()
    await user.click(screen.getByRole('radio', { name: /Kubeconfig/ }))
    await user.click(screen.getByRole('radio', { name: /API token/ }))
    expect(screen.queryByRole('note')).not.toBeInTheDocument()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-credential')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('radio', { name: /90 days/ })).toBeChecked()
    expect(screen.queryByRole('radio', { name: /1 day/ })).not.toBeInTheDocument()
  })
})
