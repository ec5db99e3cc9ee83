// The status a person sees: the server's status, with "expiring soon" for active tokens close to expiry.
import type { Credential } from '../../contract/credentials'

export type DisplayStatus = 'active' | 'expiring' | 'expired' | 'revoked' | 'disabled'
export const EXPIRING_SOON_DAYS = 14

export function displayStatus(c: Pick<Credential, 'status' | 'expiry_timestamp'>, now = Date.now()): DisplayStatus {
  if (c.status !== 'active') return c.status
  if (c.expiry_timestamp && new Date(c.expiry_timestamp).getTime() - now <= EXPIRING_SOON_DAYS * 86_400_000) return 'expiring'
  return 'active'
}

export const statusLabel: Record<DisplayStatus, string> = {
  active: 'Active',
  expiring: 'Expiring soon',
  expired: 'Expired',
  revoked: 'Revoked',
  disabled: 'Disabled',
}
