// Rotation planner rules: urgency groups, lineage names, and the calendar reminder.
import type { Credential } from '../../../contract/credentials'
import { rotationIcs } from '../../lib/calendar'

export type GroupKey = 'expired' | 'd3' | 'd7' | 'd14'
export const groupTitles: Record<GroupKey, string> = {
  expired: 'Expired',
  d3: 'Expires within 3 days',
  d7: 'Expires within 7 days',
  d14: 'Expires within 14 days',
}
const DAY = 86_400_000

export function groupOf(c: Pick<Credential, 'expiry_timestamp' | 'status'>, now = Date.now()): GroupKey | null {
  if (!c.expiry_timestamp || c.status === 'revoked') return null
  const left = new Date(c.expiry_timestamp).getTime() - now
  if (left <= 0 || c.status === 'expired') return 'expired'
  if (left <= 3 * DAY) return 'd3'
  if (left <= 7 * DAY) return 'd7'
  if (left <= 14 * DAY) return 'd14'
  return null
}

/** Tokens that need rotating, most urgent first, in groups; replaced-but-kept tokens apart. */
export function planRotation(items: Credential[], now = Date.now()) {
  const groups: Record<GroupKey, Credential[]> = { expired: [], d3: [], d7: [], d14: [] }
  const replaced: Credential[] = []
  for (const c of items) {
    if (c.status === 'revoked') continue
    if (c.replaced_by) {
      replaced.push(c)
      continue
    }
    const g = groupOf(c, now)
    if (g) groups[g].push(c)
  }
  const byExpiry = (a: Credential, b: Credential) => new Date(a.expiry_timestamp!).getTime() - new Date(b.expiry_timestamp!).getTime()
  for (const g of Object.values(groups)) g.sort(byExpiry)
  return { groups, replaced }
}

/** terraform-prod → terraform-prod-r2 → terraform-prod-r3, always within the 64-character limit. */
export function lineageName(name: string): string {
  const m = /^(.*)-r(\d+)$/.exec(name)
  const base = m ? m[1] : name
  const n = m ? Number(m[2]) + 1 : 2
  const suffix = `-r${n}`
  return `${base.slice(0, 64 - suffix.length).replace(/-+$/, '')}${suffix}`
}

/** The token's lifetime in whole days, to give its replacement the same one (within policy). */
export function lifetimeDays(c: Pick<Credential, 'create_timestamp' | 'expiry_timestamp'>, max: number): number {
  if (!c.expiry_timestamp) return Math.min(90, max)
  const days = Math.round((new Date(c.expiry_timestamp).getTime() - new Date(c.create_timestamp).getTime()) / DAY)
  return Math.max(1, Math.min(days, max))
}

export const ROTATION_STEPS = [
  'Generate the new token (Rotate)',
  'Update CI/CD secrets with the new token',
  'Update application configuration',
  'Test that the new token works',
  'Revoke the old token',
  'Verify no application still uses the old token',
]

/** An all-day reminder two weeks before expiry, or today when that day has passed. */
export function reminderIcs(c: Pick<Credential, 'name' | 'uid' | 'expiry_timestamp'>, origin: string, now = new Date()): string {
  return rotationIcs({ name: c.name, uid: c.uid, expiry: new Date(c.expiry_timestamp!), steps: ROTATION_STEPS, link: `${origin}/rotation` }, now)
}
