// @vitest-environment happy-dom
// The owner picker: searches people on the server as one types (a few at a time), follows the WAI-ARIA
// combobox pattern from the keyboard, shows the chosen person's email (read by id after a reload)
// and clears back to its empty choice.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { User } from '../../contract/users'
import { OwnerCombobox } from './owner-combobox'

const person = (id: string, email: string, role: User['role'] = 'developer', disabled = false): User => ({
  id, email, name: email.split('@')[0], role, kind: 'user', disabled, created_at: '2026-01-01T00:00:00Z', last_login_at: null, active_tokens: 0, managed_by: null,
})
const people = [person('p1', 'ada@example.com', 'admin'), person('p2', 'bob@example.com'), person('p3', 'zoe.last@example.com', 'auditor')]
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

let searches: URLSearchParams[]
beforeEach(() => {
  searches = []
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    const u = new URL(url, 'http://x')
    const one = /^\/api\/users\/(.+)$/.exec(u.pathname)
    if (one) { const p = people.find((x) => x.id === one[1]); return p ? json(200, p) : json(404, { code: 5, message: 'User not found', details: [] }) }
    searches.push(u.searchParams)
    const q = u.searchParams.get('q') ?? ''
    return json(200, { items: people.filter((p) => p.email.includes(q)), next_cursor: q ? null : 'more' })
  }))
})
afterEach(() => vi.unstubAllGlobals())

function Harness({ initial = '', onChange }: { initial?: string; onChange: (u: User | null) => void }) {
  const [value, setValue] = useState(initial)
  return <OwnerCombobox aria-label="Owner" emptyLabel="Any owner" value={value} onChange={(u) => { onChange(u); setValue(u?.id ?? '') }} />
}
function renderBox(initial = '') {
  const onChange = vi.fn()
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(<QueryClientProvider client={qc}><Harness initial={initial} onChange={onChange} /></QueryClientProvider>)
  return { onChange, box: screen.getByRole('combobox', { name: 'Owner' }) }
}

describe('OwnerCombobox', () => {
  it('is a combobox owning a listbox, searches the server as one types, and picks with the arrows and Enter', async () => {
    const { box, onChange } = renderBox()
    const user = userEvent.setup()
    expect(box).toHaveAttribute('aria-expanded', 'false')
    expect(box).toHaveAttribute('aria-autocomplete', 'list')
    const listbox = document.getElementById(box.getAttribute('aria-controls')!)!
    expect(listbox).toHaveAttribute('role', 'listbox')
    await user.type(box, 'zoe')
    expect(box).toHaveAttribute('aria-expanded', 'true')
    await screen.findByRole('option', { name: /zoe\.last@example\.com/ })
    await waitFor(() => expect(Object.fromEntries(searches.at(-1)!)).toEqual({ q: 'zoe', limit: '10' }))
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Any owner', 'zoe.last@example.com' + 'zoe.last · auditor'])
    expect(box).not.toHaveAttribute('aria-activedescendant')
    await user.keyboard('{ArrowDown}{ArrowDown}')
    const active = document.getElementById(box.getAttribute('aria-activedescendant')!)!
    expect(active).toHaveAttribute('aria-selected', 'true')
    expect(active).toHaveTextContent('zoe.last@example.com')
    await user.keyboard('{Enter}')
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ id: 'p3', email: 'zoe.last@example.com', role: 'auditor' }))
    expect(box).toHaveValue('zoe.last@example.com')
    expect(box).toHaveAttribute('aria-expanded', 'false')
    expect(box).not.toHaveAttribute('aria-activedescendant')
  })

  it('closes on Escape and keeps the choice it had', async () => {
    const { box, onChange } = renderBox('p1')
    const user = userEvent.setup()
    await waitFor(() => expect(box).toHaveValue('ada@example.com'))
    await user.clear(box)
    await user.type(box, 'bo')
    await screen.findByRole('option', { name: /bob@example\.com/ })
    await user.keyboard('{Escape}')
    expect(box).toHaveAttribute('aria-expanded', 'false')
    expect(box).toHaveValue('ada@example.com')
    expect(onChange).not.toHaveBeenCalled()
  })

  it('shows the chosen person read by id, and clears back to the empty choice by button or keyboard', async () => {
    const { box, onChange } = renderBox('p3')
    const user = userEvent.setup()
    await waitFor(() => expect(box).toHaveValue('zoe.last@example.com'))
    await user.click(screen.getByRole('button', { name: 'Clear: Any owner' }))
    expect(onChange).toHaveBeenLastCalledWith(null)
    expect(box).toHaveValue('')
    expect(box).toHaveAttribute('placeholder', 'Any owner')
    expect(box).toHaveFocus()
    // From the keyboard: open, pick someone, then the first option is the empty choice again.
    await user.keyboard('{ArrowDown}')
    expect(box).toHaveAttribute('aria-expanded', 'true')
    await screen.findByRole('option', { name: /bob@example\.com/ })
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}')
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ id: 'p2' }))
    await user.keyboard('{ArrowDown}')
    expect(document.getElementById(box.getAttribute('aria-activedescendant')!)).toHaveTextContent('Any owner')
    await user.keyboard('{Enter}')
    expect(onChange).toHaveBeenLastCalledWith(null)
    expect(box).toHaveValue('')
  })

  it('says when more people match than it shows', async () => {
    const { box } = renderBox()
    await userEvent.click(box)
    expect(await screen.findByText('More people match: keep typing to narrow.')).toBeInTheDocument()
    expect(Object.fromEntries(searches.at(-1)!)).toEqual({ limit: '10' })
  })
})
