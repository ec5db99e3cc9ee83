// @vitest-environment happy-dom
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { envVarName, RevealTokenDialog, type RevealedToken } from './reveal-token-dialog'

const SECRET = 'tcp_0123456789abcdefghijABCDEFGHIJ012345'

function Harness({ onClosed }: { onClosed: () => void }) {
  const [token, setToken] = useState<RevealedToken | null>({ name: 'ci-deploy', secret: SECRET, expiresAt: null })
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
})
