// The words of each notice: expiry notices (days left, still in use or not) and the notices an
// owner gets when someone else acts on their token. Kept apart from the queries so they read as text.
import type { AuditEvent } from '../services/audit.js'

export interface UsageFacts {
  inUse: boolean
  lastUsed: string | null
  sources: Array<{ ip: string; user_agent: string; last_seen: string }>
}

export const IN_USE_DAYS = 30

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export function expiryText(name: string, daysLeft: number, usage: UsageFacts, forAdmins: boolean) {
  const whose = forAdmins ? 'Service credential' : 'Your token'
  const title = daysLeft <= 0 ? `${whose} "${name}" has expired` : `${whose} "${name}" expires in ${plural(daysLeft, 'day')}`
  let body: string
  if (usage.inUse) {
    const from = usage.sources.slice(0, 3).map((s) => s.ip).join(', ')
    const more = usage.sources.length > 3 ? ` and ${usage.sources.length - 3} more` : ''
    body = `Still in use: last used ${usage.lastUsed ?? 'recently'}${from ? ` from ${from}${more}` : ''}. `
      + (daysLeft <= 0 ? 'Rotate now: its callers are being refused.' : 'Rotate now, so its callers move to a new token before it stops working.')
  } else {
    body = `Not used in the last ${IN_USE_DAYS} days${usage.lastUsed ? ` (last used ${usage.lastUsed})` : ' (never used)'}. `
      + (daysLeft <= 0 ? 'Nothing needs doing; revoke it to make the end final.' : 'Let it expire or revoke it.')
  }
  return { title: clip(title, 300), body: clip(body, 2000) }
}

/** One service credential in an administrator's daily expiry digest. */
export interface DigestEntry {
  name: string
  credential_type: string
  threshold_days: number
  days_left: number
  expires_at: string
  in_use: boolean
  last_used: string | null
  advice: 'rotate_now' | 'let_expire_or_revoke'
}

/** The administrators' daily digest of expiring service credentials: soonest first, in-use ones called out. */
export function digestText(entries: DigestEntry[]) {
  const sorted = [...entries].sort((a, b) => a.days_left - b.days_left || a.name.localeCompare(b.name))
  const n = sorted.length
  const ended = sorted.filter((e) => e.days_left <= 0).length
  const title = ended === n
    ? `${plural(n, 'service credential')} ${n === 1 ? 'has' : 'have'} expired`
    : `${plural(n, 'service credential')} ${n === 1 ? 'is' : 'are'} expiring${ended ? ` (${ended} already expired)` : ''}`
  const line = (e: DigestEntry) => `"${e.name}" ${e.days_left <= 0 ? 'has expired' : `expires in ${plural(e.days_left, 'day')}`}`
    + (e.in_use ? ' (in use: rotate now)' : ` (not used in ${IN_USE_DAYS} days: let it expire or revoke it)`)
  const lines: string[] = []
  let length = 0
  for (const e of sorted) {
    const l = line(e)
    if (length + l.length > 1800) break
    lines.push(l)
    length += l.length + 2
  }
  const more = n - lines.length
  const body = `${lines.join('; ')}${more ? `; and ${more} more` : ''}. The Service Credentials page lists them all.`
  return { title: clip(title, 300), body: clip(body, 2000) }
}

/** What the actor did, and the title's past participle. */
const VERBS: Partial<Record<AuditEvent['action'], [string, string]>> = {
  'credential.revoke': ['revoked', 'revoked'],
  'credential.bulk_revoke': ['revoked', 'revoked'],
  'credential.renew': ['renewed', 'renewed'],
  'credential.activate': ['re-activated', 're-activated'],
  'credential.rotate': ['rotated', 'rotated'],
  'credential.roles_change': ['changed the roles of', 'changed'],
  'credential.update': ['changed the description of', 'changed'],
  'credential.policy_apply': ['applied the tenant policy to', 'changed by the tenant policy'],
  'credential.create': ['created', 'created for you'],
}

/** Actions by someone else that notify the token's owner. */
export const NOTIFYING_ACTIONS = new Set(Object.keys(VERBS))

function who(e: AuditEvent) {
  const email = e.actor.email ?? 'An administrator'
  return e.actor.type === 'token' && e.actor.credentialName ? `${email} (with token "${e.actor.credentialName}")` : email
}

function detail(e: AuditEvent): string {
  const d = e.details ?? {}
  switch (e.action) {
    case 'credential.renew': return typeof d.new_expiry === 'string' ? ` It now expires ${d.new_expiry}.` : ''
    case 'credential.rotate':
      if (typeof d.replaced_by === 'string') return ` Its successor is "${d.replaced_by}"; the old token stops working ${String(d.overlap_ends ?? 'soon')}.`
      // Rotated in place: same name, a new secret; both named by their last four only.
      if (d.mode === 'new_secret') return ` It keeps its name and has a new secret (${String(d.new_secret)}); the previous secret (${String(d.previous_secret)}) stops working ${String(d.overlap_ends ?? 'soon')}.`
      return ''
    case 'credential.activate': return typeof d.reason === 'string' ? ` Reason: ${d.reason}` : ''
    case 'credential.revoke': case 'credential.bulk_revoke': return ' It no longer authenticates.'
    default: return ''
  }
}

export function actionText(e: AuditEvent, name: string) {
  const [verb, done] = VERBS[e.action] ?? ['changed', 'changed']
  const title = e.action === 'credential.create' ? `A token "${name}" was ${done}` : `Your token "${name}" was ${done}`
  const body = `${who(e)} ${verb} ${e.action === 'credential.create' ? 'a token for you,' : 'your token'} "${name}".${detail(e)}`
  return { title: clip(title, 300), body: clip(body, 2000) }
}

export function idleEndText(name: string, days: unknown) {
  return {
    title: clip(`Your token "${name}" was ended as idle`, 300),
    body: clip(`It was not used for ${typeof days === 'number' ? plural(days, 'day') : 'longer than the tenant policy allows'}, so it stopped working. Renew it to bring it back, or let it go.`, 2000),
  }
}

export function leakText(name: string, d: Record<string, unknown>) {
  const where = typeof d.url === 'string' && d.url ? ` It was found at ${d.url}` : ''
  const source = typeof d.source === 'string' && d.source ? ` (${d.source})` : ''
  return {
    title: clip(`Your token "${name}" was reported as leaked and revoked`, 300),
    body: clip(`A secret scanner reported it.${where}${source}. It can never be re-activated: create a replacement with the same settings from its page and update its callers.`, 2000),
  }
}
