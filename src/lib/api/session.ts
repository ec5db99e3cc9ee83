import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import type { LoginRequest, SessionResponse } from '../../../contract/auth'
import { api, setCsrfToken } from '../api-client'

export const sessionQueries = {
  current: () =>
    queryOptions({
      queryKey: ['session'] as const,
      queryFn: async () => {
        // Answers 200 with null when signed out, so a visit to the sign-in page logs no failed request.
        const { session } = await api<{ session: SessionResponse | null }>('/api/console/session', { redirectOn401: false })
        setCsrfToken(session?.csrf_token ?? null)
        return session
      },
      staleTime: 5 * 60_000,
      refetchOnWindowFocus: true,
    }),
}

export function useSignIn() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: LoginRequest) => api<SessionResponse>('/api/auth/login', { method: 'POST', body, redirectOn401: false }),
    onSuccess: (s) => {
      ended = false
      setCsrfToken(s.csrf_token)
      qc.clear()
      qc.setQueryData(sessionQueries.current().queryKey, s)
    },
  })
}

export function useSignOut() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api('/api/auth/logout', { method: 'POST', redirectOn401: false }),
    onSettled: () => {
      setCsrfToken(null)
      qc.clear()
      qc.setQueryData(sessionQueries.current().queryKey, null)
    },
  })
}

/** The signed-in user; only used under the signed-in layout, where a session exists. */
export function useUser() {
  const { data } = useQuery(sessionQueries.current())
  if (!data) throw new Error('useUser outside a signed-in route')
  return data.user
}

let ended = false
/** The one 401 handler marks the session as ended, so every redirect to sign-in says why. */
export const markSessionEnded = () => { ended = true }
/** Read during render, so it does not reset itself; signing in again resets it. */
export const sessionEnded = () => ended
