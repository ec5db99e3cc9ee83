// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { act, renderHook, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useCreateCredential } from './credentials'

const SECRET = 'tcp_0123456789abcdefghijABCDEFGHIJ012345'
afterEach(() => vi.unstubAllGlobals())

describe('useCreateCredential', () => {
  it('hands the secret to the caller and keeps it out of the query and mutation caches', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ active: true, data: SECRET, expiration_timestamp: '2027-01-01T00:00:00Z', name: 'ci-token' }), { status: 200 })))
    const qc = new QueryClient()
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={qc}>{children}</QueryClientProvider>
    const onSecret = vi.fn()
    const { result } = renderHook(() => useCreateCredential('api_credentials', onSecret), { wrapper })
    await act(() => result.current.mutateAsync({ name: 'ci-token' }))
    await waitFor(() => expect(result.current.isSuccess).toBe(true))
    expect(onSecret).toHaveBeenCalledWith(SECRET, { active: true, expiration_timestamp: '2027-01-01T00:00:00Z', name: 'ci-token' })
    const cached = JSON.stringify([qc.getMutationCache().getAll().map((m) => m.state), qc.getQueryCache().getAll().map((q) => q.state)])
    expect(cached).toContain('ci-token')
    expect(cached).not.toContain(SECRET)
  })
})
