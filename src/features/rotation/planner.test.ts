import { describe, expect, it } from 'vitest'
import type { Credential } from '../../../contract/credentials'
import { groupOf, lineageName, lifetimeDays, planRotation, reminderIcs } from './planner'

const NOW = Date.parse('2026-11-24T12:00:00Z')
const DAY = 86_400_000
function cred(name: string, days: number | null, extra: Partial<Credential> = {}): Credential {
  return {
    name, uid: `uid-${name}`, namespace: 'system', type: 'API_TOKEN', user_email: 'a@example.com', active: true,
    create_timestamp: new Date(NOW - 80 * DAY).toISOString(), expiry_timestamp: days === null ? null : new Date(NOW + days * DAY).toISOString(),
    description: '', owner: { id: 'u1', email: 'a@example.com', name: 'A', kind: 'user' }, created_by: null, scope: 'full_access',
    permissions: [], status: days !== null && days <= 0 ? 'expired' : 'active', last_used_timestamp: null, revoked_timestamp: null, leaked_timestamp: null,
    rotated_from: null, replaced_by: null, token_hint: '…abcd', namespace_roles: [], namespace_access: { namespace_role_map: {} }, user_group_names: [],
    ...extra,
  }
}

describe('planner grouping', () => {
  it('puts each token in its urgency group, most urgent first', () => {
    const items = [cred('in-ten-days', 10), cred('gone-yesterday', -1), cred('in-two-days', 2), cred('in-six-days', 6), cred('in-three-days', 3), cred('in-thirty', 30), cred('never-ends', null)]
    const { groups } = planRotation(items, NOW)
    expect(groups.expired.map((c) => c.name)).toEqual(['gone-yesterday'])
    expect(groups.d3.map((c) => c.name)).toEqual(['in-two-days', 'in-three-days'])
    expect(groups.d7.map((c) => c.name)).toEqual(['in-six-days'])
    expect(groups.d14.map((c) => c.name)).toEqual(['in-ten-days'])
  })

  it('keeps replaced tokens apart and leaves revoked ones out', () => {
    const { groups, replaced } = planRotation([cred('old-one', 5, { replaced_by: 'old-one-r2' }), cred('dead-one', 2, { status: 'revoked' })], NOW)
    expect(replaced.map((c) => c.name)).toEqual(['old-one'])
    expect(Object.values(groups).flat()).toEqual([])
  })

  it('treats the 14-day boundary as inside and 15 days as outside', () => {
    expect(groupOf(cred('x', 14), NOW)).toBe('d14')
    expect(groupOf(cred('x', 15), NOW)).toBeNull()
  })
})

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
