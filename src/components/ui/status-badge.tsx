import type { Credential } from '../../../contract/credentials'
import { displayStatus, statusLabel, type DisplayStatus } from '../../lib/token-status'
import { Badge } from './badge'

const tone: Record<DisplayStatus, 'green' | 'amber' | 'red' | 'slate'> = {
  active: 'green',
  scheduled: 'slate',
  expiring: 'amber',
  expired: 'red',
  revoked: 'slate',
  disabled: 'slate',
  leaked: 'red',
}

export function StatusBadge({ credential }: { credential: Pick<Credential, 'status' | 'expiry_timestamp'> }) {
  const s = displayStatus(credential)
  return <Badge tone={tone[s]}>{statusLabel[s]}</Badge>
}
