import { describe, expect, it } from 'vitest'
import { displayStatus } from './token-status'

const NOW = Date.parse('2026-11-24T12:00:00Z')
const inDays = (d: number) => new Date(NOW + d * 86_400_000).toISOString()

describe('display status', () => {
  it('marks active tokens within 14 days of expiry as expiring soon', () => {
    expect(displayStatus({ status: 'active', expiry_timestamp: inDays(13) }, NOW)).toBe('expiring')
    expect(displayStatus({ status: 'active', expiry_timestamp: inDays(15) }, NOW)).toBe('active')
    expect(displayStatus({ status: 'active', expiry_timestamp: null }, NOW)).toBe('active')
  })
  it('keeps the server status otherwise', () => {
    expect(displayStatus({ status: 'revoked', expiry_timestamp: inDays(3) }, NOW)).toBe('revoked')
    expect(displayStatus({ status: 'expired', expiry_timestamp: inDays(-1) }, NOW)).toBe('expired')
  })
})
