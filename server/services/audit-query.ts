// Reading the audit log: filters, keyset pages (newest first), streamed CSV, and chain verification.
import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely'
import type { AuditEventsTable, Database } from '../db/schema.js'
import type { AuditEvent, AuditQuery } from '../../contract/audit.js'
import { GENESIS_HASH, rowHash } from './audit.js'
import { consoleReader, consoleReadPool } from '../db/read-pool.js'
import { csvCell } from '../lib/csv.js'
import { can, type Principal } from './principal.js'
import type { CheckPressure } from '../lib/check-pressure.js'

type Filter = Omit<AuditQuery, 'cursor' | 'limit'>

function escapeLike(s: string) {
  return s.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)
}

/** Seed 001's rule: people without audit:read see only events about their own tokens and account. */
function baseQuery(db: Kysely<Database>, p: Principal, f: Filter) {
  return db.selectFrom('audit_events').where((eb) => {
    const conds: Expression<SqlBool>[] = []
    if (!can(p, 'audit:read')) conds.push(eb.or([eb('target_owner_id', '=', p.account.id), eb('actor_id', '=', p.account.id)]))
    if (f.actor) conds.push(eb(sql`lower(actor_email)`, '=', f.actor.toLowerCase()))
    if (f.credential) conds.push(eb.or([eb('target_name', '=', f.credential), eb('credential_name', '=', f.credential)]))
    if (f.action) conds.push(eb('action', '=', f.action))
    if (f.outcome) conds.push(eb('outcome', '=', f.outcome))
    if (f.from) conds.push(eb('at', '>=', Date.parse(f.from)))
    if (f.to) conds.push(eb('at', '<=', Date.parse(f.to)))
    if (f.q) {
      const like = `%${escapeLike(f.q)}%`
      conds.push(sql<SqlBool>`(lower(coalesce(actor_email, '')) LIKE ${like} ESCAPE '\\' OR lower(coalesce(target_name, '')) LIKE ${like} ESCAPE '\\'
        OR lower(action) LIKE ${like} ESCAPE '\\' OR lower(details) LIKE ${like} ESCAPE '\\' OR lower(coalesce(source_ip, '')) LIKE ${like} ESCAPE '\\')`)
    }
    return eb.and(conds)
  })
}

type Row = Selectable<AuditEventsTable>

export function toEvent(r: Row): AuditEvent {
  return {
    id: Number(r.id), at: new Date(r.at).toISOString(), actor_id: r.actor_id, actor_email: r.actor_email, actor_type: r.actor_type,
    credential_name: r.credential_name, action: r.action, target_type: r.target_type, target_name: r.target_name, outcome: r.outcome,
    source_ip: r.source_ip, user_agent: r.user_agent, details: JSON.parse(r.details) as Record<string, unknown>,
  }
}

/**
 * Free text has no index over five columns: a page with `q` examines at most this many ids, newest
 * first, and when it found fewer matches than asked its cursor says where to go on examining. The
 * structured filters (actor, credential, action, outcome, time, own events) are (column, id) indexes.
 */
export const TEXT_SCAN_WINDOW = 20_000

async function maxId(db: Kysely<Database>) {
  return Number((await db.selectFrom('audit_events').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst())?.id ?? 0)
}

/** One page's query (limit + 1 rows): `before` is exclusive; with q, ids below `floor` wait for the next page. */
async function auditPageQuery(db: Kysely<Database>, p: Principal, f: Filter, before: number | undefined, limit: number) {
  let query = baseQuery(db, p, f).selectAll().orderBy('id', 'desc').limit(limit + 1)
  if (before !== undefined) query = query.where('id', '<', before)
  let floor = 0
  if (f.q) {
    const top = before ?? (await maxId(db)) + 1
    floor = Math.max(0, top - TEXT_SCAN_WINDOW)
    query = query.where('id', '>=', floor)
  }
  return { query, floor }
}

/** Where the next page starts: after the last row when there were more, else below the text-scan floor. */
const nextCursor = (more: boolean, lastId: number, floor: number) => (more ? lastId : floor > 1 ? floor : null)

async function auditPage(db: Kysely<Database>, p: Principal, f: Filter, before: number | undefined, limit: number) {
  const { query, floor } = await auditPageQuery(db, p, f, before, limit)
  const rows = (await query.execute()) as Row[]
  const more = rows.length > limit
  if (more) rows.length = limit
  return { rows, next: nextCursor(more, Number(rows[rows.length - 1]?.id), floor) }
}

export async function listAudit(main: Kysely<Database>, p: Principal, q: AuditQuery) {
  const db = consoleReader(main)
  const limit = (q.limit as number | undefined) ?? 50
  const { rows, next } = await auditPage(db, p, q, q.cursor as number | undefined, limit)
  return { items: rows.map(toEvent), next_cursor: next === null ? null : String(next) }
}

const CSV_COLUMNS = ['id', 'at', 'actor_email', 'actor_type', 'credential_name', 'action', 'target_type', 'target_name', 'outcome', 'source_ip', 'user_agent', 'details'] as const


/** The filtered log as CSV, read in keyset pages so memory stays flat however many rows there are. */
export async function* auditCsv(main: Kysely<Database>, pressure: CheckPressure, p: Principal, f: Filter, pageSize = 1000): AsyncGenerator<string> {
  const db = consoleReader(main)
  const pool = consoleReadPool(main)
  yield CSV_COLUMNS.join(',') + '\r\n'
  let cursor: number | undefined
  for (;;) {
    if (pool) {
      // SQLite: the read thread formats the slice at its own (lower) priority; only text comes back.
      const { query, floor } = await auditPageQuery(db, p, f, cursor, pageSize)
      const c = query.compile()
      const out = await pool.csv(c.sql, c.parameters, { columns: CSV_COLUMNS, iso: ['at'], limit: pageSize, key: 'id' })
      if (out.text) yield out.text
      const next = nextCursor(out.more, Number(out.last), floor)
      if (next === null) return
      cursor = next
      continue
    }
    // PostgreSQL: rows are parsed on the event loop as they arrive, so the whole slice counts.
    const began = performance.now()
    const { rows, next } = await auditPage(db, p, f, cursor, pageSize)
    let chunk = ''
    for (const r of rows) {
      const e = { ...r, at: new Date(r.at).toISOString() }
      chunk += CSV_COLUMNS.map((c) => csvCell(e[c as keyof typeof e])).join(',') + '\r\n'
    }
    // Measured before the yield: the time the reader takes to pull the chunk is not the loop's.
    const spent = performance.now() - began
    if (chunk) yield chunk
    await pressure.yieldToChecks(spent)
    if (next === null) return
    cursor = next
  }
}

/** The newest archive checkpoint: the live log's chain starts from its hash (server/audit-retention). */
export async function latestCheckpoint(db: Kysely<Database>) {
  return db.selectFrom('audit_checkpoints').selectAll().orderBy('last_id', 'desc').limit(1).executeTakeFirst()
}

/**
 * Recomputes every row's hash in id order; the first row whose bytes or link do not match is the break.
 * After an archive the live log begins behind a checkpoint: the first live row must link to the
 * checkpoint's hash (the archived rows are verified offline, `npm run audit:verify`).
 */
export async function verifyChain(main: Kysely<Database>, pressure: CheckPressure, pageSize = 2000) {
  const db = consoleReader(main)
  const cp = await latestCheckpoint(db)
  const checkpoint = cp ? { last_id: Number(cp.last_id), last_hash: cp.last_hash, archived_at: new Date(Number(cp.created_at)).toISOString() } : null
  let prev = cp?.last_hash ?? GENESIS_HASH
  let checked = 0
  let after = cp ? Number(cp.last_id) : 0
  for (;;) {
    const rows = (await db.selectFrom('audit_events').selectAll().where('id', '>', after).orderBy('id').limit(pageSize).execute()) as Row[]
    const began = performance.now()
    for (const r of rows) {
      const id = Number(r.id)
      if (r.prev_hash !== prev || rowHash({ ...r, id }, prev) !== r.hash) return { intact: false, checked, first_broken_id: id, checkpoint }
      prev = r.hash
      checked++
    }
    if (rows.length < pageSize) return { intact: true, checked, first_broken_id: null, checkpoint }
    after = Number(rows[rows.length - 1].id)
    await pressure.yieldToChecks(performance.now() - began)
  }
}
