// Issue 10 item 2: the password prompt the api client opens when creating, renewing or rotating is
// refused for an old sign-in. The refused request waits while it is open and is sent again after the
// password is confirmed. This host only listens; the prompt's form (react-hook-form, zod) is loaded
// the first time it is needed, so the console's first download does not carry it.
import { lazy, Suspense, useEffect, useRef, useState } from 'react'
import { onReauthenticationRequired, ReauthCancelledError } from '../lib/api-client'
import type { PendingReauth } from './reauth-prompt'

const ReauthPrompt = lazy(() => import('./reauth-prompt').then((m) => ({ default: m.ReauthPrompt })))

export function ReauthDialog() {
  const [pending, setPending] = useState<PendingReauth | null>(null)
  const pendingRef = useRef<PendingReauth | null>(null)
  const [loaded, setLoaded] = useState(false)

  useEffect(() => {
    onReauthenticationRequired((message) => new Promise<void>((resolve, reject) => {
      const p = { message, resolve, reject }
      pendingRef.current = p
      setPending(p)
      setLoaded(true)
    }))
    return () => {
      onReauthenticationRequired(null)
      pendingRef.current?.reject(new ReauthCancelledError())
    }
  }, [])

  if (!loaded) return null
  return (
    <Suspense fallback={null}>
      <ReauthPrompt pending={pending} onDone={() => { pendingRef.current = null; setPending(null) }} />
    </Suspense>
  )
}
