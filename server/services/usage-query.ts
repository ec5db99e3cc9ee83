// Reads a credential's recorded usage: daily counts over 90 days (zero-filled) and its sources.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { UsageResponse } from '../../contract/usage.js'
import type { CredentialRow } from '../db/credentials-repo.js'
import { DAY_MS, iso, isoOrNull } from '../lib/time.js'

export async function readUsage(db: Kysely<Database>, c: CredentialRow, now = Date.now()): Promise<UsageResponse> {
  const days: string[] = []
  for (let i = 89; i >= 0; i--) days.push(new Date(now - i * DAY_MS).toISOString().slice(0, 10))
  const counts = await db.selectFrom('usage_daily').select(['day', 'count']).where('credential_id', '=', c.id).where('day', '>=', days[0]).execute()
  const byDay = new Map(counts.map((r) => [r.day, Number(r.count)]))
  const sources = await db.selectFrom('usage_sources').selectAll().where('credential_id', '=', c.id).orderBy('last_seen', 'desc').limit(100).execute()
  const daily = days.map((day) => ({ day, count: byDay.get(day) ?? 0 }))
  const since = c.last_used_at ?? c.created_at
  return {
    name: c.name,
    last_used_timestamp: isoOrNull(c.last_used_at),
    last_used_ip: c.last_used_ip,
    last_used_user_agent: c.last_used_user_agent,
    never_used: c.last_used_at === null,
    idle_days: Math.max(0, Math.floor((now - since) / DAY_MS)),
    total_uses_90d: daily.reduce((s, d) => s + d.count, 0),
    daily,
    sources: sources.map((s) => ({ ip: s.ip, user_agent: s.user_agent, first_seen: iso(s.first_seen), last_seen: iso(s.last_seen), count: Number(s.count) })),
  }
}
