import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, onUnauthorized, setCsrfToken } from './api-client'

function respond(status: number, body: unknown) {
  return vi.fn().mockImplementation(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }))
}
afterEach(() => { vi.unstubAllGlobals(); onUnauthorized(null); setCsrfToken(null) })

describe('api client', () => {
  it('turns the error envelope into a typed ApiError with field details', async () => {
    vi.stubGlobal('fetch', respond(409, { code: 6, message: 'Object already exists', details: [{ field: 'name', reason: 'already exists' }] }))
    const err = (await api('/x', { method: 'POST', body: {} }).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 409, code: 6, message: 'Object already exists' })
    expect(err.fieldError('name')).toBe('already exists')
  })

  it('sends the CSRF token on mutations only', async () => {
    const fetch = respond(200, { ok: true })
    vi.stubGlobal('fetch', fetch)
    setCsrfToken('csrf-1')
    await api('/a')
    await api('/b', { method: 'POST', body: { x: 1 } })
    expect(fetch.mock.calls[0][1].headers['x-csrf-token']).toBeUndefined()
    expect(fetch.mock.calls[1][1].headers['x-csrf-token']).toBe('csrf-1')
  })

  it('calls the one 401 handler, except where 401 is an answer', async () => {
    const handler = vi.fn()
    onUnauthorized(handler)
    vi.stubGlobal('fetch', respond(401, { code: 16, message: 'Authentication required', details: [] }))
    await expect(api('/a')).rejects.toThrow('Authentication required')
    await expect(api('/b', { redirectOn401: false })).rejects.toThrow()
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('hides an unparseable 5xx behind a plain message', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response('<html>oops</html>', { status: 502 })))
    await expect(api('/a')).rejects.toMatchObject({ status: 502, message: 'The server could not complete the request. Try again.' })
  })
})
