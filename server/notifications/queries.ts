// Notification rows: each person's own, newest first, keyset pages on (created_at, id); the unread
// count is bounded; inserts happen inside the caller's transaction.
import crypto from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database, NotificationsTable } from '../db/schema.js'
import { UNREAD_COUNT_MAX, type Notification } from '../../contract/notifications.js'
import { iso, isoOrNull } from '../lib/time.js'

export type NewNotice = Omit<NotificationsTable, 'id' | 'read_at' | 'data' | 'created_at'> & { data: Record<string, unknown> }

export async function insertNotices(trx: Transaction<Database>, rows: NewNotice[], now: number): Promise<void> {
  if (!rows.length) return
  await trx.insertInto('notifications').values(rows.map((r) => ({
    ...r, id: crypto.randomUUID(), data: JSON.stringify(r.data), created_at: now, read_at: null,
  }))).execute()
}

export const encodeCursor = (at: number, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url')

export function decodeCursor(cursor: string): { at: number; id: string } | undefined {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    return typeof at === 'number' && typeof id === 'string' ? { at, id } : undefined
  } catch {
    return undefined
  }
}

type Row = Pick<NotificationsTable, 'id' | 'kind' | 'credential_name' | 'title' | 'body' | 'data' | 'created_at' | 'read_at'>

export function toNotification(r: Row): Notification {
  const data = JSON.parse(r.data) as Record<string, unknown>
  const family = data.family === 'service' ? 'service_credentials' : data.family === 'user' ? 'api_credentials' : null
  return {
    id: r.id, kind: r.kind, credential_name: r.credential_name, family, title: r.title, body: r.body, data,
    created_at: iso(Number(r.created_at)), read_at: isoOrNull(r.read_at === null ? null : Number(r.read_at)),
  }
}

export async function listNotices(db: Kysely<Database>, userId: string, opts: { unread: boolean; limit: number; cursor?: { at: number; id: string } }) {
  let q = db.selectFrom('notifications').select(['id', 'kind', 'credential_name', 'title', 'body', 'data', 'created_at', 'read_at'])
    .where('user_id', '=', userId)
  if (opts.unread) q = q.where('read_at', 'is', null)
  const c = opts.cursor
  if (c) q = q.where((eb) => eb.or([eb('created_at', '<', c.at), eb.and([eb('created_at', '=', c.at), eb('id', '<', c.id)])]))
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute()
  const page = rows.slice(0, opts.limit)
  const last = page.at(-1)
  return { items: page.map(toNotification), next_cursor: rows.length > opts.limit && last ? encodeCursor(Number(last.created_at), last.id) : null }
}

/** Counts at most UNREAD_COUNT_MAX rows: one person's unread range of the index, bounded. */
export async function countUnread(db: Kysely<Database>, userId: string): Promise<number> {
  const inner = db.selectFrom('notifications').select(sql.lit(1).as('x')).where('user_id', '=', userId).where('read_at', 'is', null).limit(UNREAD_COUNT_MAX)
  const row = await db.selectFrom(inner.as('u')).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst()
  return Number(row?.n ?? 0)
}

export async function markRead(trx: Transaction<Database>, userId: string, ids: string[] | 'all', now: number): Promise<number> {
  let q = trx.updateTable('notifications').set({ read_at: now }).where('user_id', '=', userId).where('read_at', 'is', null)
  if (ids !== 'all') q = q.where('id', 'in', ids)
  const res = await q.executeTakeFirst()
  return Number(res.numUpdatedRows)
}
