// @vitest-environment happy-dom
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { base64ToBytes, envVarName, RevealTokenDialog, type RevealedToken } from './reveal-token-dialog'

const SECRET = 'tcp_0123456789abcdefghijABCDEFGHIJ012345'

function Harness({ onClosed, initial = { name: 'ci-deploy', secret: SECRET, expiresAt: null } }: { onClosed: () => void; initial?: RevealedToken }) {
  const [token, setToken] = useState<RevealedToken | null>(initial)
  return <RevealTokenDialog token={token} onClose={() => { setToken(null); onClosed() }} />
}

afterEach(() => vi.restoreAllMocks())

describe('RevealTokenDialog', () => {
  it('shows the token once with a warning and snippets, and copies it', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    render(<Harness onClosed={() => {}} />)
    expect(screen.getByRole('textbox', { name: 'Token' })).toHaveValue(SECRET)
    expect(screen.getByText(/never be shown again/)).toBeInTheDocument()
    expect(screen.getByRole('textbox', { name: 'Environment variable' })).toHaveValue(`export CI_DEPLOY_API_TOKEN="${SECRET}"`)
    expect((screen.getByRole('textbox', { name: 'Test it with curl' }) as HTMLTextAreaElement).value).toContain('Authorization: APIToken $CI_DEPLOY_API_TOKEN')
    await userEvent.click(screen.getByRole('button', { name: 'Copy token' }))
    expect(writeText).toHaveBeenCalledWith(SECRET)
    expect(await screen.findByText('Copied to the clipboard.')).toBeInTheDocument()
  })

  it('selects the text when the clipboard is refused', async () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn().mockRejectedValue(new Error('denied')) }, configurable: true })
    render(<Harness onClosed={() => {}} />)
    await userEvent.click(screen.getByRole('button', { name: 'Copy token' }))
    expect(await screen.findByText(/refused the clipboard/)).toBeInTheDocument()
    const field = screen.getByRole('textbox', { name: 'Token' }) as HTMLTextAreaElement
    expect(document.activeElement).toBe(field)
    expect(field.selectionEnd - field.selectionStart).toBe(SECRET.length)
  })

  it('closes only after "I have stored this token", and the secret leaves the DOM', async () => {
    const onClosed = vi.fn()
    render(<Harness onClosed={onClosed} />)
    const done = screen.getByRole('button', { name: 'Done' })
    expect(done).toBeDisabled()
    await userEvent.keyboard('{Escape}')
    expect(screen.getByRole('dialog')).toBeInTheDocument()
    await userEvent.click(screen.getByLabelText('I have stored this token'))
    await userEvent.click(done)
    expect(onClosed).toHaveBeenCalledOnce()
    expect(document.body.innerHTML).not.toContain(SECRET)
  })

  it('derives the environment variable name from the token name', () => {
    expect(envVarName('terraform-prod-ci')).toBe('TERRAFORM_PROD_CI_API_TOKEN')
  })

  it('keeps the environment variable name across rotations', () => {
    expect(envVarName('terraform-prod-r2')).toBe('TERRAFORM_PROD_API_TOKEN')
    expect(envVarName('terraform-prod-r13')).toBe(envVarName('terraform-prod'))
  })

  it('keeps the token wording for a token', () => {
    render(<Harness onClosed={() => {}} />)
    expect(screen.queryByRole('button', { name: /Download/ })).not.toBeInTheDocument()
    expect(screen.getByLabelText('I have stored this token')).toBeInTheDocument()
  })
})

// Bytes that are not valid UTF-8, so a text round trip would change them.
const P12_BYTES = new Uint8Array([0x30, 0x82, 0x0a, 0xff, 0x00, 0x80, 0xfe, 0x01])
const P12 = btoa(String.fromCharCode(...P12_BYTES))
const YAML = 'apiVersion: v1\nkind: Config\nclusters:\n- name: "tenant"\n  cluster:\n    server: "https://127.0.0.1:6443"\n'

function spyDownloads() {
  const blobs: Blob[] = []
  const clicked: HTMLAnchorElement[] = []
  const create = vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => { blobs.push(b as Blob); return `blob:test/${blobs.length}` })
  const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {})
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { clicked.push(this) })
  return { blobs, clicked, create, revoke }
}

describe('RevealTokenDialog: certificate and kubeconfig', () => {
  it('offers the P12 as a file download, revokes its URL right after, and says the password protects it', async () => {
    const d = spyDownloads()
    render(<Harness onClosed={() => {}} initial={{ name: 'laptop-cert', secret: P12, expiresAt: null, kind: 'API_CERTIFICATE' }} />)
    expect(screen.getByText(/protected by the password you chose/)).toBeInTheDocument()
    expect(screen.getByText(/never be shown again/)).toBeInTheDocument()
    expect(screen.queryByRole('textbox', { name: 'Token' })).not.toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Download laptop-cert.p12' }))
    expect(d.clicked).toHaveLength(1)
    expect(d.clicked[0].download).toBe('laptop-cert.p12')
    expect(d.clicked[0].href).toBe('blob:test/1')
    expect(d.revoke).toHaveBeenCalledWith('blob:test/1')
    expect(d.blobs[0].type).toBe('application/x-pkcs12')
    expect(new Uint8Array(await d.blobs[0].arrayBuffer())).toEqual(P12_BYTES)
    expect(screen.getByText('Saved to your downloads.')).toBeInTheDocument()
    expect(screen.getByLabelText('I have stored this certificate')).toBeInTheDocument()
  })

  it('offers the kubeconfig as a file and as YAML to copy', async () => {
    const d = spyDownloads()
    const writeText = vi.fn().mockResolvedValue(undefined)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    render(<Harness onClosed={() => {}} initial={{ name: 'dev-cluster', secret: btoa(YAML), expiresAt: null, kind: 'KUBE_CONFIG' }} />)
    expect(screen.getByRole('textbox', { name: 'Kubeconfig' })).toHaveValue(YAML)
    await userEvent.click(screen.getByRole('button', { name: 'Copy kubeconfig' }))
    expect(writeText).toHaveBeenCalledWith(YAML)
    await userEvent.click(screen.getByRole('button', { name: 'Download dev-cluster.kubeconfig' }))
    expect(d.clicked[0].download).toBe('dev-cluster.kubeconfig')
    expect(d.revoke).toHaveBeenCalledWith('blob:test/1')
    expect(d.blobs[0].type).toBe('application/yaml')
    expect(await d.blobs[0].text()).toBe(YAML)
  })

  it('shows a kubeconfig once: after Done its YAML is gone from the page', async () => {
    const onClosed = vi.fn()
    render(<Harness onClosed={onClosed} initial={{ name: 'dev-cluster', secret: btoa(YAML), expiresAt: null, kind: 'KUBE_CONFIG' }} />)
    expect(screen.getByRole('button', { name: 'Done' })).toBeDisabled()
    await userEvent.click(screen.getByLabelText('I have stored this kubeconfig'))
    await userEvent.click(screen.getByRole('button', { name: 'Done' }))
    expect(onClosed).toHaveBeenCalledOnce()
    expect(document.body.innerHTML).not.toContain('127.0.0.1:6443')
    expect(document.body.innerHTML).not.toContain(btoa(YAML))
  })

  it('decodes base64 to the exact bytes', () => {
    expect(base64ToBytes(P12)).toEqual(P12_BYTES)
  })
})
