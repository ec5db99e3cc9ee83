// The status a person sees: the server's status, with "expiring soon" for active tokens close to expiry.
import type { Credential, CredentialStatus } from '../../contract/credentials'

export type DisplayStatus = 'active' | 'scheduled' | 'expiring' | 'expired' | 'revoked' | 'disabled' | 'leaked'
export const EXPIRING_SOON_DAYS = 14

export function displayStatus(c: Pick<Credential, 'status' | 'expiry_timestamp'>, now = Date.now()): DisplayStatus {
  if (c.status !== 'active') return c.status
  if (c.expiry_timestamp && new Date(c.expiry_timestamp).getTime() - now <= EXPIRING_SOON_DAYS * 86_400_000) return 'expiring'
  return 'active'
}

export const statusLabel: Record<DisplayStatus, string> = {
  active: 'Active',
  scheduled: 'Scheduled',
  expiring: 'Expiring soon',
  expired: 'Expired',
  revoked: 'Revoked',
  disabled: 'Disabled',
  leaked: 'Leaked',
}

/** Ended for good or until renewed: no longer authenticates because of the token itself. */
export const ENDED_STATUSES: readonly CredentialStatus[] = ['expired', 'revoked', 'leaked']
export const isEnded = (c: Pick<Credential, 'status'>) => ENDED_STATUSES.includes(c.status)
/** Revoked, by a person or by a leak report: nothing can be changed any more. */
export const isRevoked = (c: Pick<Credential, 'status'>) => c.status === 'revoked' || c.status === 'leaked'
