// Live uniqueness check for a new name: a 404 from both families means it is free (as far as this
// person can see; the server's 409 at create time is the final word).
import { useEffect, useState } from 'react'
import { credentialNameSchema } from '../../../../contract/credentials'
import { api, ApiError } from '../../../lib/api-client'
import { API_BASE } from '../../../lib/api/credentials'

export type Availability = 'unknown' | 'checking' | 'available' | 'taken'

export function useNameAvailability(name: string): Availability {
  const [state, setState] = useState<{ name: string; value: Availability }>({ name: '', value: 'unknown' })
  const valid = credentialNameSchema.safeParse(name).success
  useEffect(() => {
    if (!valid) return
    const ctrl = new AbortController()
    const t = setTimeout(async () => {
      setState({ name, value: 'checking' })
      const exists = async (family: string) => {
        try {
          await api(`${API_BASE}/${family}/${encodeURIComponent(name)}`, { signal: ctrl.signal })
          return true
        } catch (err) {
          if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return false
          throw err
        }
      }
      try {
        const [a, b] = await Promise.all([exists('api_credentials'), exists('service_credentials')])
        setState({ name, value: a || b ? 'taken' : 'available' })
      } catch {
        if (!ctrl.signal.aborted) setState({ name, value: 'unknown' })
      }
    }, 350)
    return () => {
      clearTimeout(t)
      ctrl.abort()
    }
  }, [name, valid])
  return valid && state.name === name ? state.value : 'unknown'
}
