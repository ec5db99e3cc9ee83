// Rotate from the planner: the server-side rotation through the shared dialog, which names
// the overlap before anything happens and reveals the successor once. The state lives with the page,
// not the row: the row moves to another group as soon as the replacement exists.
import { useState } from 'react'
import type { Credential } from '../../../../contract/credentials'
import type { Family } from '../../../lib/api/credentials'
import { RotateDialog } from '../../../components/rotate-dialog'

const familyOf = (c: Credential): Family => (c.type === 'SERVICE_API_TOKEN' ? 'service_credentials' : 'api_credentials')

export function useRotation() {
  const [old, setOld] = useState<Credential | null>(null)
  const element = old && (
    <RotateDialog family={familyOf(old)} credential={old} open onOpenChange={(o) => { if (!o) setOld(null) }} />
  )
  return { start: (c: Credential) => setOld(c), pendingName: undefined as string | undefined, element }
}
