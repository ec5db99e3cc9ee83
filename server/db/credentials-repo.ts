// Credential queries: rows joined with their owner, with status computed in SQL so it can be
// filtered and sorted on the server.
import { sql, type Expression, type Kysely, type SqlBool, type ExpressionBuilder } from 'kysely'
import type { Database } from './schema.js'
import type { CredentialStatus, SortField } from '../../contract/credentials.js'
import { DAY_MS } from '../lib/time.js'

export type Family = 'user' | 'service'
export const familyTypes: Record<Family | 'all', string[]> = { user: ['API_TOKEN'], service: ['SERVICE_API_TOKEN'], all: ['API_TOKEN', 'SERVICE_API_TOKEN'] }
export type UsageFilter = 'never_used' | 'idle_30' | 'idle_90' | 'idle_365' | 'used_24h'

type EB = ExpressionBuilder<Database & { c: Database['credentials']; u: Database['users'] }, 'c' | 'u'>

export const statusSql = (now: number) => sql<CredentialStatus>`CASE
  WHEN c.revoked_at IS NOT NULL THEN 'revoked'
  WHEN u.disabled = 1 THEN 'disabled'
  WHEN c.expires_at IS NOT NULL AND c.expires_at <= ${now} THEN 'expired'
  ELSE 'active' END`

const NEVER = 9_000_000_000_000_000
const sortSql: Record<SortField, (now: number) => Expression<unknown>> = {
  name: () => sql`c.name`,
  type: () => sql`c.type`,
  owner: () => sql`u.email`,
  scope: () => sql`c.scope`,
  created: () => sql`c.created_at`,
  last_used: () => sql`COALESCE(c.last_used_at, 0)`,
  expires: () => sql`COALESCE(c.expires_at, ${sql.lit(NEVER)})`,
  status: statusSql,
}
const numericSort = new Set<SortField>(['created', 'last_used', 'expires'])

export interface ListFilter {
  family: Family | 'all'
  usage?: UsageFilter
  ownerId?: string
  q?: string
  statuses?: CredentialStatus[]
  types?: string[]
  expiringWithinDays?: number
  includeExpired?: boolean
  replaced?: boolean
}

export interface Page {
  sort: SortField
  order: 'asc' | 'desc'
  limit: number
  cursor?: { v: string | number; id: string }
}

export function credentialQuery(db: Kysely<Database>, now: number) {
  return db
    .selectFrom('credentials as c')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .selectAll('c')
    .select(['u.email as owner_email', 'u.name as owner_name', 'u.kind as owner_kind', 'u.disabled as owner_disabled'])
    .select(statusSql(now).as('status'))
}
export type CredentialRow = Awaited<ReturnType<ReturnType<typeof credentialQuery>['executeTakeFirstOrThrow']>>

function escapeLike(s: string) {
  return s.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)
}

function filterExpr(eb: EB, f: ListFilter, now: number): Expression<SqlBool> {
  const conds: Expression<SqlBool>[] = [eb('c.type', 'in', familyTypes[f.family])]
  if (f.ownerId) conds.push(eb('c.owner_id', '=', f.ownerId))
  if (f.q) {
    const pattern = `%${escapeLike(f.q)}%`
    conds.push(sql<SqlBool>`(lower(c.name) LIKE ${pattern} ESCAPE '\\' OR lower(c.description) LIKE ${pattern} ESCAPE '\\')`)
  }
  if (f.statuses?.length) conds.push(sql<SqlBool>`${statusSql(now)} IN (${sql.join(f.statuses)})`)
  if (f.types?.length) conds.push(eb('c.type', 'in', f.types))
  if (f.usage === 'never_used') conds.push(eb('c.last_used_at', 'is', null))
  else if (f.usage === 'used_24h') conds.push(eb('c.last_used_at', '>=', now - DAY_MS))
  else if (f.usage) {
    // Idle: not used for N days, counting a never-used token from its creation.
    const cutoff = now - Number(f.usage.slice(5)) * DAY_MS
    conds.push(sql<SqlBool>`COALESCE(c.last_used_at, c.created_at) <= ${cutoff}`)
  }
  if (f.replaced !== undefined) conds.push(eb('c.replaced_by', f.replaced ? 'is not' : 'is', null))
  if (f.expiringWithinDays !== undefined) {
    conds.push(eb('c.expires_at', 'is not', null))
    conds.push(eb('c.expires_at', '<=', now + f.expiringWithinDays * DAY_MS))
    if (!f.includeExpired) conds.push(eb('c.expires_at', '>', now))
  }
  return eb.and(conds)
}

export async function listCredentials(db: Kysely<Database>, f: ListFilter, page: Page | undefined, now: number) {
  let q = credentialQuery(db, now).where((eb) => filterExpr(eb as unknown as EB, f, now))
  const sort = page?.sort ?? 'created'
  const order = page?.order ?? (page?.sort ? 'asc' : 'desc')
  const key = sortSql[sort](now)
  if (page?.cursor) {
    const { v, id } = page.cursor
    const cmp = order === 'asc' ? sql.raw('>') : sql.raw('<')
    q = q.where(sql<SqlBool>`(${key} ${cmp} ${v} OR (${key} = ${v} AND c.id ${cmp} ${id}))`)
  }
  q = q.orderBy(key as never, order).orderBy('c.id', order)
  if (page) q = q.limit(page.limit + 1)
  const rows = await q.execute()
  let nextCursor: string | null = null
  if (page && rows.length > page.limit) {
    rows.length = page.limit
    const last = rows[rows.length - 1]
    nextCursor = encodeCursor(sortValue(last, sort), last.id)
  }
  return { rows, nextCursor }
}

export async function countCredentials(db: Kysely<Database>, f: ListFilter, now: number) {
  const r = await db
    .selectFrom('credentials as c')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .where((eb) => filterExpr(eb as unknown as EB, f, now))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

function sortValue(row: CredentialRow, sort: SortField): string | number {
  switch (sort) {
    case 'name': return row.name
    case 'type': return row.type
    case 'owner': return row.owner_email
    case 'scope': return row.scope
    case 'created': return row.created_at
    case 'last_used': return row.last_used_at ?? 0
    case 'expires': return row.expires_at ?? NEVER
    case 'status': return row.status
  }
}

function encodeCursor(v: string | number, id: string) {
  return Buffer.from(JSON.stringify([v, id])).toString('base64url')
}

export function decodeCursor(cursor: string, sort: SortField): { v: string | number; id: string } | undefined {
  try {
    const [v, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    const typeOk = numericSort.has(sort) ? typeof v === 'number' : typeof v === 'string'
    if (!typeOk || typeof id !== 'string') return undefined
    return { v: v as string | number, id }
  } catch {
    return undefined
  }
}

export async function findCredentialByName(db: Kysely<Database>, name: string, now: number) {
  return credentialQuery(db, now).where('c.name', '=', name).executeTakeFirst()
}

export async function countActiveTokens(db: Kysely<Database>, ownerId: string, now: number) {
  const r = await db
    .selectFrom('credentials')
    .where('owner_id', '=', ownerId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}
