// Rotation planner rules: lineage names, lifetimes and the calendar reminder (the server groups by urgency).
import type { Credential } from '../../../contract/credentials'
import { rotationIcs } from '../../lib/calendar'

const DAY = 86_400_000

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
  'Rotate: the token keeps its name and gets a new secret; the previous one works for the overlap',
  'Update CI/CD secrets with the new secret',
  'Update application configuration',
  'Test that the new secret works',
  'Check on the token page that every caller has switched to the new secret',
  'Let the overlap end (or end it once every caller has switched)',
]

/** An all-day reminder two weeks before expiry, or today when that day has passed. */
export function reminderIcs(c: Pick<Credential, 'name' | 'uid' | 'expiry_timestamp'>, origin: string, now = new Date()): string {
  return rotationIcs({ name: c.name, uid: c.uid, expiry: new Date(c.expiry_timestamp!), steps: ROTATION_STEPS, link: `${origin}/rotation` }, now)
}
