// The leak timeline of one credential, from what is already recorded: the credential's last use,
// the scanner's report and the revoke in the audit log, and the refused checks the failure
// aggregator wrote there since (credential.use_denied rows: one per source, reason and interval),
// plus the refused checks it has counted but not yet written, so a use refused seconds ago shows
// now rather than after the aggregator's next write.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { LeakTimelineEvent, LeakTimelineResponse } from '../../contract/leaks.js'
import type { CredentialRow } from '../db/credentials-repo.js'
import type { PendingFailure } from '../services/check-failures.js'
import { iso } from '../lib/time.js'

const REFUSED_SHOWN = 200

const parse = (details: string): Record<string, unknown> => {
  try { return JSON.parse(details) as Record<string, unknown> } catch { return {} }
}
const text = (v: unknown) => (typeof v === 'string' ? v : undefined)

export async function leakTimeline(db: Kysely<Database>, row: CredentialRow, pending: readonly PendingFailure[] = []): Promise<LeakTimelineResponse | undefined> {
  if (row.leaked_at === null) return undefined
  const leakedAt = row.leaked_at
  const audit = () => db.selectFrom('audit_events').select(['at', 'action', 'actor_email', 'actor_type', 'source_ip', 'user_agent', 'details'])
    .where('target_name', '=', row.name).where('target_type', '=', 'credential')
  const [report, revoke, refused] = await Promise.all([
    audit().where('action', '=', 'credential.leak_report').orderBy('at').limit(1).executeTakeFirst(),
    audit().where('action', 'in', ['credential.revoke', 'credential.bulk_revoke', 'credential.leak_report']).where('outcome', '=', 'success')
      .orderBy('at').execute(),
    audit().where('action', '=', 'credential.use_denied').where('at', '>=', leakedAt).orderBy('at', 'desc').limit(REFUSED_SHOWN + 1).execute(),
  ])
  const events: LeakTimelineEvent[] = []
  if (row.last_used_at !== null && row.last_used_at <= leakedAt) {
    events.push({ at: iso(row.last_used_at), kind: 'last_use', ip: row.last_used_ip, user_agent: row.last_used_user_agent })
  }
  const reported = parse(report?.details ?? '{}')
  events.push({ at: iso(leakedAt), kind: 'reported', ip: null, user_agent: null, url: text(reported.url), source: text(reported.source) })
  if (row.revoked_at !== null) {
    // The revoke that ended it: the leak report's own (it says revoked: true) or an earlier one.
    const ends = revoke.filter((e) => e.at <= row.revoked_at! && (e.action !== 'credential.leak_report' || parse(e.details).revoked === true))
    const ended = ends[ends.length - 1]
    const byReport = ended?.action === 'credential.leak_report'
    events.push({
      at: iso(row.revoked_at), kind: 'revoked', ip: byReport ? null : ended?.source_ip ?? null, user_agent: byReport ? null : ended?.user_agent ?? null,
      by: byReport ? 'leak report' : ended?.actor_email ?? (ended?.actor_type === 'system' ? 'system' : undefined),
    })
  }
  // A stored row and a pending one are the same aggregate when source and first time agree (a write
  // that committed while this was read).
  const stored = new Set<string>()
  for (const e of refused.slice(0, REFUSED_SHOWN).reverse()) {
    const d = parse(e.details)
    const first = text(d.first) ?? iso(e.at)
    stored.add(`${e.source_ip ?? ''}\u0000${first}`)
    events.push({
      at: first, kind: 'refused_use', count: typeof d.count === 'number' ? d.count : 1, last_at: text(d.last) ?? iso(e.at),
      ip: e.source_ip, user_agent: e.user_agent,
    })
  }
  for (const f of pending) {
    // As the stored rows: refusals whose latest attempt came after the report.
    if (f.last < leakedAt || f.reason === 'unknown' || stored.has(`${f.ip ?? ''}\u0000${iso(f.first)}`)) continue
    events.push({ at: iso(f.first), kind: 'refused_use', count: f.count, last_at: iso(f.last), ip: f.ip, user_agent: f.userAgent })
  }
  events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  return { leaked_timestamp: iso(leakedAt), events, truncated: refused.length > REFUSED_SHOWN }
}
