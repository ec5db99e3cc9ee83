import { describe, expect, it } from 'vitest'
import type { Credential } from '../../../contract/credentials'
import { lineageName, lifetimeDays, reminderIcs } from './planner'

const NOW = Date.parse('2026-11-24T12:00:00Z')
const DAY = 86_400_000
function cred(name: string, days: number | null, extra: Partial<Credential> = {}): Credential {
  return {
    name, uid: `uid-${name}`, namespace: 'system', type: 'API_TOKEN', user_email: 'a@example.com', active: true,
    create_timestamp: new Date(NOW - 80 * DAY).toISOString(), expiry_timestamp: days === null ? null : new Date(NOW + days * DAY).toISOString(),
    description: '', owner: { id: 'u1', email: 'a@example.com', name: 'A', kind: 'user' }, created_by: null, scope: 'full_access',
    permissions: [], status: days !== null && days <= 0 ? 'expired' : 'active', last_used_timestamp: null, revoked_timestamp: null, leaked_timestamp: null,
    rotated_from: null, replaced_by: null, token_hint: '…abcd', namespace_roles: [], namespace_access: { namespace_role_map: {} }, user_group_names: [], allowed_cidrs: null, rate_limit: null, not_before_timestamp: null,
    ...extra,
  }
}

describe('lineage names', () => {
  it('adds and increments a -rN suffix within 64 characters', () => {
    expect(lineageName('terraform-prod')).toBe('terraform-prod-r2')
    expect(lineageName('terraform-prod-r2')).toBe('terraform-prod-r3')
    expect(lineageName('terraform-prod-r9')).toBe('terraform-prod-r10')
    const long = lineageName('a'.repeat(64))
    expect(long).toHaveLength(64)
    expect(long.endsWith('-r2')).toBe(true)
  })

  it('gives the replacement the same lifetime, capped by policy', () => {
    expect(lifetimeDays(cred('x', 10), 365)).toBe(90)
    expect(lifetimeDays(cred('x', 400), 365)).toBe(365)
  })
})

describe('calendar reminder', () => {
  it('is an all-day event two weeks before expiry with escaped text and CRLF lines', () => {
    const ics = reminderIcs(cred('deploy,bot', 30), 'http://127.0.0.1:8080', new Date(NOW))
    expect(ics.split('\r\n')).toContain('BEGIN:VEVENT')
    expect(ics).toContain('DTSTART;VALUE=DATE:20261210')
    expect(ics).toContain('SUMMARY:Rotate API token deploy\\,bot')
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true)
  })

  it('is dated today, not in the past, when the token expires within two weeks', () => {
    const ics = reminderIcs(cred('soon-token', 5), 'http://127.0.0.1:8080', new Date(NOW))
    expect(ics).toContain(`DTSTART;VALUE=DATE:${new Date(NOW).toISOString().slice(0, 10).replace(/-/g, '')}`)
    const expired = reminderIcs(cred('gone-token', -3), 'http://127.0.0.1:8080', new Date(NOW))
    expect(expired).toContain(`DTSTART;VALUE=DATE:${new Date(NOW).toISOString().slice(0, 10).replace(/-/g, '')}`)
  })
})
