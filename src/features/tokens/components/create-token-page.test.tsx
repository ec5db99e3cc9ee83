// @vitest-environment happy-dom
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ConsoleCredentialType, SessionResponse } from '../../../../contract/auth'
import { renderWizard as renderWizardWith, wizardSession } from './wizard-test-support'

let session: SessionResponse

function renderWizard(role: 'admin' | 'developer' = 'developer', kind: 'API_TOKEN' | 'SERVICE_API_TOKEN' = 'API_TOKEN', types?: ConsoleCredentialType[]) {
  // Built before rendering: the fetch stub below answers it when the wizard asks for the session.
  session = wizardSession(role, types)
  return renderWizardWith({ session, kind })
}

beforeEach(() => {
  // Before "Create" the wizard asks only the name check, and the session again when it lacks the types.
  vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(url.startsWith('/api/console/session') ? { session } : { available: true }), { status: 200 })))
})
afterEach(() => vi.unstubAllGlobals())

describe('creation wizard', () => {
  it('says what is wrong with the name, suggests one, moves focus to it, and keeps the person on the step', async () => {
    renderWizard()
    const user = userEvent.setup()
    const name = screen.getByRole('textbox', { name: 'Name' })
    await user.type(name, 'Terraform CI')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    const alert = await screen.findByText(/capital letters, spaces/, { selector: '[role=alert]' })
    expect(alert).toHaveTextContent('Try “terraform-ci”')
    // The rule stays a hint; it is not repeated in red.
    expect(screen.queryByText(/lowercase letters, digits and hyphens/, { selector: '[role=alert]' })).not.toBeInTheDocument()
    expect(name).toHaveAttribute('aria-invalid', 'true')
    expect(name).toHaveFocus()
    expect(screen.getByRole('heading', { name: 'Details' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Use “terraform-ci”' }))
    expect(name).toHaveValue('terraform-ci')
  })

  it('counts description characters and refuses too long a description as it is typed', async () => {
    renderWizard()
    const user = userEvent.setup()
    const description = screen.getByRole('textbox', { name: 'Description (optional)' })
    await user.type(description, 'abc')
    expect(screen.getByText('3 / 1024')).toBeInTheDocument()
    await user.click(description)
    await user.paste('x'.repeat(1030))
    expect(screen.getByText(/at most 1024 characters \(9 too many\)/, { selector: '[role=alert]' })).toBeInTheDocument()
  })

  it('has a page of its own for a service credential', () => {
    renderWizard('admin', 'SERVICE_API_TOKEN')
    expect(screen.getByRole('heading', { name: 'Add service credential' })).toBeInTheDocument()
    expect(screen.getByRole('link', { name: /Service Credentials/ })).toHaveAttribute('href', '/service-credentials')
    expect(screen.queryByRole('radio', { name: /Personal API token/ })).not.toBeInTheDocument()
    expect(screen.getByRole('combobox', { name: 'Service account' })).toBeInTheDocument()
  })

  it('offers a calendar reminder as an action on the expiry step', async () => {
    renderWizard()
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-ci-token')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('button', { name: /Add a rotation reminder to my calendar/ })).toBeInTheDocument()
    expect(screen.queryByText(/Set a reminder/)).not.toBeInTheDocument()
  })

  it('walks forward and back without losing what was typed, and needs a permission for custom', async () => {
    renderWizard()
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-ci-token')
    await user.type(screen.getByRole('textbox', { name: 'Description (optional)' }), 'for CI')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('heading', { name: 'Scope' })).toBeInTheDocument()
    expect(screen.queryByText(/Use with caution/)).not.toBeInTheDocument()
    await user.click(screen.getByRole('radio', { name: /Full access/ }))
    expect(screen.getByText(/Use with caution/)).toBeInTheDocument()
    await user.click(screen.getByRole('radio', { name: /Custom/ }))
    await user.click(screen.getByRole('button', { name: /Next/ }))
    expect(await screen.findByText('Choose at least one permission')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: /Back/ }))
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveValue('my-ci-token')
    expect(screen.getByRole('textbox', { name: 'Description (optional)' })).toHaveValue('for CI')
  })

  it('offers the expiry presets, no "never" under this policy, and shows the resulting date', async () => {
    renderWizard()
    const user = userEvent.setup()
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'my-ci-token')
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await user.click(await screen.findByRole('button', { name: /Next/ }))
    expect(await screen.findByRole('radio', { name: /90 days/ })).toBeChecked()
    expect(screen.getByRole('radio', { name: /Never/ })).toBeDisabled()
    expect(screen.getByText(/^Expires on/)).toBeInTheDocument()
  })

  it('shows no owner field to a developer', () => {
    renderWizard('developer')
    expect(screen.queryByRole('combobox', { name: 'Owner' })).not.toBeInTheDocument()
  })
})
