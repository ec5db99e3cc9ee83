// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import type { QueryParams } from '../../../lib/api/insights'
import { useTextFilters } from './audit-filters'

describe('useTextFilters', () => {
  it('keeps what was typed in the next field when its own earlier apply reaches the URL late', () => {
    const apply = vi.fn()
    let applied: QueryParams = { actor: 'dev@example.com' }
    const { result, rerender } = renderHook(() => useTextFilters(applied, apply, 10_000))
    // Clear the actor and leave the field: that applies { actor: '' } …
    act(() => result.current.setDraft('actor', ''))
    act(() => result.current.flush())
    expect(apply).toHaveBeenLastCalledWith({ q: '', actor: '', credential: '' })
    // … and the token name is typed before the URL says so.
    act(() => result.current.setDraft('credential', 'audit-svc-1'))
    applied = {}
    rerender()
    expect(result.current.draft).toEqual({ q: '', actor: '', credential: 'audit-svc-1' })
    act(() => result.current.flush())
    expect(apply).toHaveBeenLastCalledWith({ q: '', actor: '', credential: 'audit-svc-1' })
  })

  it('shows what the URL says when it changes from elsewhere (back button, a saved link)', () => {
    let applied: QueryParams = { actor: 'dev@example.com' }
    const { result, rerender } = renderHook(() => useTextFilters(applied, vi.fn(), 10_000))
    act(() => result.current.setDraft('credential', 'half-typed'))
    applied = { credential: 'from-a-link' }
    rerender()
    expect(result.current.draft).toEqual({ q: '', actor: '', credential: 'from-a-link' })
  })
})
