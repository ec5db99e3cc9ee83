// The password prompt the api client opens when creating, renewing or rotating is
// refused for an old sign-in. The refused request waits while it is open and is sent again after the
// password is confirmed. This host only listens; the prompt's form (react-hook-form, zod) is loaded
// the first time it is needed, so the console's first download does not carry it.
import { useQueryClient } from '@tanstack/react-query'
import { lazy, Suspense, useEffect, useRef, useState } from 'react'
import { onReauthenticationRequired, ReauthCancelledError } from '../lib/api-client'
import { sessionQueries } from '../lib/api/session'
import type { PendingReauth } from './reauth-prompt'

const ReauthPrompt = lazy(() => import('./reauth-prompt').then((m) => ({ default: m.ReauthPrompt })))

export function ReauthDialog() {
  const [pending, setPending] = useState<PendingReauth | null>(null)
  const pendingRef = useRef<PendingReauth | null>(null)
  const [loaded, setLoaded] = useState(false)
  const queryClient = useQueryClient()

  // Back from a refused confirmation at the identity provider (re-authentication redirects to the
  // page it started from with ?sso_error=…): say why, then drop the code from the address. Its
  // messages and the toast library load only then.
  useEffect(() => {
    const url = new URL(window.location.href)
    const code = url.searchParams.get('sso_error')
    if (!code || url.pathname === '/sign-in') return
    url.searchParams.delete('sso_error')
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
    void Promise.all([import('../../contract/identity'), import('sonner')]).then(([{ ssoErrorMessages }, { toast }]) => {
      const message = Object.hasOwn(ssoErrorMessages, code) ? ssoErrorMessages[code as keyof typeof ssoErrorMessages] : 'Single sign-on did not confirm your sign-in.'
      toast.error(`Not confirmed: ${message}`)
    })
  }, [])

  useEffect(() => {
    onReauthenticationRequired((message) => new Promise<void>((resolve, reject) => {
      const viaSso = queryClient.getQueryData(sessionQueries.current().queryKey)?.signed_in_with === 'sso'
      const p = { message, viaSso, resolve, reject }
      pendingRef.current = p
      setPending(p)
      setLoaded(true)
    }))
    return () => {
      onReauthenticationRequired(null)
      pendingRef.current?.reject(new ReauthCancelledError())
    }
  }, [queryClient])

  if (!loaded) return null
  return (
    <Suspense fallback={null}>
      <ReauthPrompt pending={pending} onDone={() => { pendingRef.current = null; setPending(null) }} />
    </Suspense>
  )
}
