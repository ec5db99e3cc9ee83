// Live uniqueness check for a new name. Names are unique across both families and every owner, so
// the console endpoint answers for all of them (a developer gets an answer, not a 403); the server's
// 409 at create time stays the final word.
import { useEffect, useState } from 'react'
import { credentialNameSchema } from '../../../../contract/credentials'
import { nameAvailable } from '../../../lib/api/console'

export type Availability = 'unknown' | 'checking' | 'available' | 'taken'

export function useNameAvailability(name: string): Availability {
  const [state, setState] = useState<{ name: string; value: Availability }>({ name: '', value: 'unknown' })
  const valid = credentialNameSchema.safeParse(name).success
  useEffect(() => {
    if (!valid) return
    const ctrl = new AbortController()
    const t = setTimeout(async () => {
      setState({ name, value: 'checking' })
      try {
        const r = await nameAvailable(name, ctrl.signal)
        setState({ name, value: r.available ? 'available' : 'taken' })
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
