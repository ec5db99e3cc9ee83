// Credential queries. Lists are keyset pages on one (key, id) index per sort; filters are index ranges
// on the stored `state` (expired = live with expires_at <= now); totals come from trigger-kept
// counters, never COUNT(*) over the table. Console reads go to the read pool (see read-pool.ts).
import { sql, type Expression, type Kysely, type SqlBool, type ExpressionBuilder } from 'kysely'
import type { Database } from './schema.js'
import type { CredentialStatus, SortField } from '../../contract/credentials.js'
import { DAY_MS } from '../lib/time.js'
import { NEVER } from './migrations/003-scale.js'
import { consoleReader } from './read-pool.js'
import { isSqlite, searchPlan, type SearchPlan } from './credential-search.js'

export type Family = 'user' | 'service'
// Certificate and kubeconfig types (server/pki and server/kube) belong to the same two families.
const userTypes = ['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG']
const serviceTypes = ['SERVICE_API_TOKEN', 'SERVICE_API_CERTIFICATE', 'SERVICE_KUBE_CONFIG', 'SITE_GLOBAL_KUBE_CONFIG']
export const familyTypes: Record<Family | 'all', string[]> = { user: userTypes, service: serviceTypes, all: [...userTypes, ...serviceTypes] }
export type UsageFilter = 'never_used' | 'idle_30' | 'idle_90' | 'idle_365' | 'used_24h'

type EB = ExpressionBuilder<Database & { c: Database['credentials']; u: Database['users'] }, 'c' | 'u'>

/** Status from the row and its owner; the token check uses this one (it joins the owner anyway). */
export const statusSql = (now: number) => sql<CredentialStatus>`CASE
  WHEN c.revoked_at IS NOT NULL AND c.leaked_at IS NOT NULL THEN 'leaked'
  WHEN c.revoked_at IS NOT NULL THEN 'revoked'
  WHEN u.disabled = 1 THEN 'disabled'
  WHEN c.not_before IS NOT NULL AND c.not_before > ${now} THEN 'scheduled'
  WHEN c.expires_at IS NOT NULL AND c.expires_at <= ${now} THEN 'expired'
  ELSE 'active' END`

/** The sort keys, written exactly as the indexes of migration 003 are, so the planner uses them. */
const sortSql: Record<Exclude<SortField, 'status'>, Expression<unknown>> = {
  name: sql`c.name`,
  type: sql`c.type`,
  owner: sql`c.owner_email`,
  scope: sql`c.scope`,
  created: sql`c.created_at`,
  last_used: sql`COALESCE(c.last_used_at, 0)`,
  expires: sql`COALESCE(c.expires_at, ${sql.lit(NEVER)})`,
}
const numericSort = new Set<SortField>(['created', 'last_used', 'expires'])
/** Status sort order: each status is one index range, visited in this order (reversed for desc). */
const STATUS_ORDER: CredentialStatus[] = ['active', 'scheduled', 'disabled', 'expired', 'revoked', 'leaked']

export interface ListFilter {
  family: Family | 'all'
  usage?: UsageFilter
  ownerId?: string
  /** With ownerId: also the credentials this account created for others (the F5 "created by the user"). */
  orCreatedBy?: boolean
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
  // CROSS JOIN: on SQLite it keeps credentials the outer loop (owners are one primary-key lookup per
  // row). With an inner join the planner sometimes started from users and then sorted every
  // matching credential (status=expired at 1M: a temporary B-tree over ~450k rows instead of a
  // walk down the sort index). PostgreSQL plans it as the inner join it is.
  return db
    .selectFrom('credentials as c')
    .crossJoin('users as u')
    .whereRef('u.id', '=', 'c.owner_id')
    .selectAll('c')
    .select(['u.email as owner_email', 'u.name as owner_name', 'u.kind as owner_kind', 'u.disabled as owner_disabled'])
    .select(statusSql(now).as('status'))
}
export type CredentialRow = Awaited<ReturnType<ReturnType<typeof credentialQuery>['executeTakeFirstOrThrow']>>

export function escapeLike(s: string) {
  return s.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)
}

/** One status as an index-friendly condition on the stored state. */
/**
 * `hidden`: the same condition written so that no index serves it (`|| ''`, `+ 0`), for a large
 * matching set read in sort-index order. Without range statistics SQLite otherwise took the state
 * or (owner_id, state, expires_at) index and sorted every match (status=expired at 1M: a temporary
 * B-tree over ~450k rows) where the sort index finds a page of matches after a few rows.
 */
export function statusCond(s: CredentialStatus, now: number, hidden = false, hideState = hidden): Expression<SqlBool> {
  const state = hideState ? sql`(c.state || '')` : sql`c.state`
  const expires = hidden ? sql`(c.expires_at + 0)` : sql`c.expires_at`
  switch (s) {
    // Leaked is revoked with leaked_at set: few rows, read through the partial index of migration 018.
    case 'revoked': return sql<SqlBool>`(${state} = 'revoked' AND c.leaked_at IS NULL)`
    case 'leaked': return sql<SqlBool>`(c.leaked_at IS NOT NULL AND ${state} = 'revoked')`
    case 'disabled': return sql<SqlBool>`${state} = 'disabled'`
    case 'expired': return sql<SqlBool>`(${state} = 'live' AND ${expires} <= ${now})`
    // Scheduled tokens (migration 021) are few: read through the partial index on not_before.
    case 'scheduled': return sql<SqlBool>`(${state} = 'live' AND c.not_before > ${now})`
    case 'active': return sql<SqlBool>`(${state} = 'live' AND (c.expires_at IS NULL OR ${expires} > ${now}) AND (c.not_before IS NULL OR c.not_before <= ${now}))`
  }
}

interface FilterHow {
  sqlite: boolean
  /** Write status and type so that no index serves them (see statusCond). */
  hideStatus?: boolean
  /** The same for the stored state alone; defaults to hideStatus. */
  hideState?: boolean
}

function filterExpr(eb: EB, f: ListFilter, now: number, search: SearchPlan | undefined, how: FilterHow): Expression<SqlBool> {
  const { sqlite, hideStatus = false, hideState = hideStatus } = how
  const types = f.types?.length ? familyTypes[f.family].filter((t) => f.types!.includes(t)) : familyTypes[f.family]
  // Hidden like a large status set (see statusCond): one type is often a tenth of the table or more.
  const typeCond = hideStatus ? sql<SqlBool>`(c.type || '') IN (${sql.join(types)})` : eb('c.type', 'in', types)
  const conds: Expression<SqlBool>[] = [types.length ? typeCond : sql<SqlBool>`1 = 0`]
  if (f.ownerId && f.orCreatedBy) conds.push(eb.or([eb('c.owner_id', '=', f.ownerId), eb('c.created_by', '=', f.ownerId)]))
  else if (f.ownerId) conds.push(eb('c.owner_id', '=', f.ownerId))
  if (search) conds.push(search.cond)
  if (f.statuses?.length) conds.push(eb.or(f.statuses.map((s) => statusCond(s, now, hideStatus, hideState))))
  if (f.usage === 'never_used') conds.push(eb('c.last_used_at', 'is', null))
  else if (f.usage === 'used_24h') conds.push(sql<SqlBool>`COALESCE(c.last_used_at, 0) >= ${now - DAY_MS}`)
  else if (f.usage) {
    // Idle: not used for N days, counting a never-used token from its creation.
    const cutoff = now - Number(f.usage.slice(5)) * DAY_MS
    conds.push(sql<SqlBool>`COALESCE(c.last_used_at, c.created_at) <= ${cutoff}`)
    // Implied (a use comes after creation), and it lets the created index skip the recent rows,
    // none of which can be idle: newest-first pages start at the cutoff instead of scanning to it.
    conds.push(eb('c.created_at', '<=', cutoff))
  }
  // Rotated-away tokens are few, but SQLite's statistics cannot tell (every row but those has NULL):
  // the hint makes it read them through their index instead of walking every live token (1.2 s at 1M).
  if (f.replaced === true) conds.push(sqlite ? sql<SqlBool>`likelihood(c.replaced_by IS NOT NULL, 0.0001)` : eb('c.replaced_by', 'is not', null))
  else if (f.replaced === false) conds.push(eb('c.replaced_by', 'is', null))
  if (f.expiringWithinDays !== undefined) {
    conds.push(sql<SqlBool>`COALESCE(c.expires_at, ${sql.lit(NEVER)}) <= ${now + f.expiringWithinDays * DAY_MS}`)
    // The lower bound also on the expiry sort key, so the index range starts at now instead of
    // walking every expired row first.
    if (!f.includeExpired) conds.push(eb('c.expires_at', '>', now), sql<SqlBool>`COALESCE(c.expires_at, ${sql.lit(NEVER)}) > ${now}`)
  }
  return eb.and(conds)
}

/**
 * How many rows the filter can touch at most, from counters, when that is cheap to know; a small
 * set is read through its filter index and sorted, a large one in sort-index order with the filter.
 */
async function candidateBound(db: Kysely<Database>, f: ListFilter, search: SearchPlan | undefined): Promise<number> {
  let bound = Infinity
  if (search?.bound !== undefined) bound = Math.min(bound, search.bound)
  // "Mine" (owned or created by the caller) and rotation leftovers are small by nature.
  if (f.replaced === true || f.orCreatedBy) bound = Math.min(bound, 0)
  if (f.statuses?.length) {
    // Every status is counted from counters (expired: live rows by expiry day plus one day's range).
    const types = f.types?.length ? familyTypes[f.family].filter((t) => f.types!.includes(t)) : familyTypes[f.family]
    const needExpired = types.length > 0 && (f.statuses.includes('active') || f.statuses.includes('expired'))
    const needScheduled = types.length > 0 && (f.statuses.includes('active') || f.statuses.includes('scheduled'))
    const [by, expired, scheduled] = await Promise.all([
      types.length ? stateCounts(db, f.ownerId ?? '', types) : { live: 0, disabled: 0, revoked: 0, leaked: 0 },
      needExpired ? expiredCount(db, f.ownerId, types, Date.now()) : 0,
      needScheduled ? scheduledCount(db, f.ownerId, types, Date.now()) : 0,
    ])
    let n = (f.statuses.includes('revoked') ? by.revoked : 0) + (f.statuses.includes('leaked') ? by.leaked : 0) + (f.statuses.includes('disabled') ? by.disabled : 0)
    if (needExpired || needScheduled) {
      n += (f.statuses.includes('active') ? by.live - expired - scheduled : 0) + (f.statuses.includes('expired') ? expired : 0)
        + (f.statuses.includes('scheduled') ? scheduled : 0)
    }
    bound = Math.min(bound, n)
  } else {
    // The family's or the chosen types, all states (the whole tenant without an owner).
    const types = f.types?.length ? familyTypes[f.family].filter((t) => f.types!.includes(t)) : familyTypes[f.family]
    const r = types.length
      ? await db.selectFrom('credential_counts').select((eb) => eb.fn.sum<number>('n').as('n'))
        .where('owner_id', '=', f.ownerId ?? '').where('type', 'in', types).executeTakeFirst()
      : undefined
    bound = Math.min(bound, Number(r?.n ?? 0))
  }
  return bound
}
const SMALL_SET = 5000

interface Plan { search?: SearchPlan; small: boolean }
/** The plan made for a filter, kept so the count that follows the page does not probe again. */
const plans = new WeakMap<ListFilter, Promise<Plan>>()
function planFor(db: Kysely<Database>, f: ListFilter): Promise<Plan> {
  let p = plans.get(f)
  if (!p) {
    p = (async () => {
      const search = f.q ? await searchPlan(db, f.q) : undefined
      return { search, small: (await candidateBound(db, f, search)) <= SMALL_SET }
    })()
    plans.set(f, p)
  }
  return p
}

export async function listCredentials(main: Kysely<Database>, f: ListFilter, page: Page | undefined, now: number) {
  const db = consoleReader(main)
  const { search, small } = await planFor(db, f)
  const sort = page?.sort ?? 'created'
  const order = page?.order ?? (page?.sort ? 'asc' : 'desc')
  const limit = page ? page.limit : Number.MAX_SAFE_INTEGER

  if (sort === 'status') return statusPages(db, f, search, order, limit, page?.cursor, now, small)

  // On SQLite a unary plus hides the sort index from the planner, so a small filtered set is read
  // through its own index and sorted; PostgreSQL's planner makes that choice from statistics.
  const plus = small && isSqlite(db) ? sql.raw('+') : sql.raw('')
  const key = sql`${plus}${sortSql[sort]}`
  // A large status set is read in sort-index order (see statusCond); a small one through its index.
  const hide = !small && isSqlite(db)
  // Sorted by creation, each status is a range of (state, created_at, id, expires_at) (migration 011),
  // tested in the index as it is walked: there the state stays visible to the planner.
  const hideState = hide && !(sort === 'created' && f.statuses?.length)
  let q = credentialQuery(db, now).where((eb) => filterExpr(eb as unknown as EB, f, now, search, { sqlite: isSqlite(db), hideStatus: hide, hideState }))
  if (page?.cursor) {
    const cmp = sql.raw(order === 'asc' ? '>' : '<')
    q = q.where(sql<SqlBool>`(${key}, c.id) ${cmp} (${page.cursor.v}, ${page.cursor.id})`)
  }
  q = q.orderBy(key as never, order).orderBy('c.id', order)
  if (page) q = q.limit(limit + 1)
  const rows = await q.execute()
  let nextCursor: string | null = null
  if (page && rows.length > limit) {
    rows.length = limit
    const last = rows[rows.length - 1]
    nextCursor = encodeCursor(sortValue(last, sort), last.id)
  }
  return { rows, nextCursor }
}

/** Sort by status: each status is its own index range ordered by id, visited one after another. */
async function statusPages(
  db: Kysely<Database>, f: ListFilter, search: SearchPlan | undefined, order: 'asc' | 'desc', limit: number,
  cursor: Page['cursor'], now: number, small: boolean,
) {
  let statuses = STATUS_ORDER.filter((s) => !f.statuses?.length || f.statuses.includes(s))
  if (order === 'desc') statuses = statuses.reverse()
  if (cursor) statuses = statuses.slice(Math.max(0, statuses.indexOf(cursor.v as CredentialStatus)))
  const rows: CredentialRow[] = []
  const plus = small && isSqlite(db) ? sql.raw('+') : sql.raw('')
  for (const s of statuses) {
    let q = credentialQuery(db, now).where((eb) => filterExpr(eb as unknown as EB, { ...f, statuses: [s] }, now, search, { sqlite: isSqlite(db) }))
    if (cursor && cursor.v === s) q = q.where('c.id', order === 'asc' ? '>' : '<', cursor.id)
    const want = limit + 1 - rows.length
    rows.push(...await q.orderBy(sql`${plus}c.id`, order).limit(want).execute())
    if (rows.length > limit) break
  }
  let nextCursor: string | null = null
  if (rows.length > limit) {
    rows.length = limit
    const last = rows[rows.length - 1]
    nextCursor = encodeCursor(last.status, last.id)
  }
  return { rows, nextCursor }
}

/**
 * The total for a list, from counters: exact when the filter is made of family/type, status and
 * owner only; null otherwise (searches and usage/expiry filters answer `has_more` instead).
 */
export async function countCredentials(main: Kysely<Database>, f: ListFilter, now: number): Promise<number | null> {
  const db = consoleReader(main)
  if (f.q || f.usage || f.expiringWithinDays !== undefined || f.replaced !== undefined || f.orCreatedBy) {
    // A small candidate set (a rare search term, one owner) is counted directly: bounded by that set.
    const { search, small } = await planFor(db, f)
    const base = db.selectFrom('credentials as c').innerJoin('users as u', 'u.id', 'c.owner_id')
      .where((eb) => filterExpr(eb as unknown as EB, f, now, search, { sqlite: isSqlite(db) }))
    if (small) return Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
    // PostgreSQL answers a trigram search from its GIN index: count it up to a cap.
    if (f.q && !isSqlite(db)) {
      const capped = base.select(sql.lit(1).as('one')).limit(SMALL_SET + 1)
      const n = Number((await db.selectFrom(capped.as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
      return n <= SMALL_SET ? n : null
    }
    return null
  }
  const types = f.types?.length ? familyTypes[f.family].filter((t) => f.types!.includes(t)) : familyTypes[f.family]
  if (!types.length) return 0
  const statuses = f.statuses?.length ? f.statuses : STATUS_ORDER
  const wantActive = statuses.includes('active')
  const wantExpired = statuses.includes('expired')
  const wantScheduled = statuses.includes('scheduled')
  const [byState, expired, scheduled] = await Promise.all([
    stateCounts(db, f.ownerId ?? '', types),
    wantActive || wantExpired ? expiredCount(db, f.ownerId, types, now) : 0,
    wantActive || wantScheduled ? scheduledCount(db, f.ownerId, types, now) : 0,
  ])
  let total = 0
  if (statuses.includes('revoked')) total += byState.revoked
  if (statuses.includes('leaked')) total += byState.leaked
  if (statuses.includes('disabled')) total += byState.disabled
  if (wantActive || wantExpired) {
    if (wantActive) total += byState.live - expired - scheduled
    if (wantExpired) total += expired
  }
  if (wantScheduled) total += scheduled
  return total
}

/** Live tokens that start later (not_before after now): few, counted through their partial index. */
export async function scheduledCount(db: Kysely<Database>, ownerId: string | undefined, types: string[], now: number) {
  let q = db.selectFrom('credentials as c').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('c.not_before', '>', now).where('c.state', '=', 'live')
  if (ownerId) q = q.where('c.owner_id', '=', ownerId)
  if (types.length < familyTypes.all.length) q = q.where('c.type', 'in', types)
  return Number((await q.executeTakeFirstOrThrow()).n)
}

async function stateCounts(db: Kysely<Database>, ownerId: string, types: string[]) {
  const rows = await db.selectFrom('credential_counts').select(['state', 'n'])
    .where('owner_id', '=', ownerId).where('type', 'in', types).execute()
  const out = { live: 0, disabled: 0, revoked: 0, leaked: 0 }
  for (const r of rows) if (r.state in out) out[r.state as keyof typeof out] += Number(r.n)
  // The counters know revoked only; leaked ones are counted through their partial index (they are
  // few) and taken out of revoked, as the statuses are.
  if (out.revoked > 0) {
    let q = db.selectFrom('credentials as c').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('c.leaked_at', 'is not', null).where('c.state', '=', 'revoked').where('c.type', 'in', types)
    if (ownerId) q = q.where('c.owner_id', '=', ownerId)
    out.leaked = Number((await q.executeTakeFirstOrThrow()).n)
    out.revoked -= out.leaked
  }
  return out
}

/** Live credentials with lo < expires_at <= hi (lo null: no lower end), by counters plus edge ranges. */
export async function liveExpiringBetween(db: Kysely<Database>, ownerId: string | undefined, types: string[], lo: number | null, hi: number) {
  const rangeCount = async (from: number | null, to: number) => {
    let q = db.selectFrom('credentials as c').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('c.state', '=', 'live').where('c.expires_at', '<=', to)
    if (from !== null) q = q.where('c.expires_at', '>', from)
    if (ownerId) q = q.where('c.owner_id', '=', ownerId)
    if (types.length < familyTypes.all.length) q = q.where('c.type', 'in', types)
    return Number((await q.executeTakeFirstOrThrow()).n)
  }
  // A single owner's rows are a bounded index range; the tenant's are summed from day counters.
  if (ownerId) return rangeCount(lo, hi)
  const firstFull = lo === null ? null : Math.floor(lo / DAY_MS) + 1
  const endDay = Math.floor((hi + 1) / DAY_MS)
  if (firstFull !== null && firstFull >= endDay) return rangeCount(lo, hi)
  let q = db.selectFrom('credential_expiry_counts').select((eb) => eb.fn.sum<number>('n').as('n'))
    .where('type', 'in', types).where('day', '<', endDay)
  if (firstFull !== null) q = q.where('day', '>=', firstFull)
  const [days, head, tail] = await Promise.all([
    q.executeTakeFirst().then((r) => Number(r?.n ?? 0)),
    firstFull === null ? 0 : rangeCount(lo, firstFull * DAY_MS - 1),
    rangeCount(endDay * DAY_MS - 1, hi),
  ])
  return days + head + tail
}

export const expiredCount = (db: Kysely<Database>, ownerId: string | undefined, types: string[], now: number) =>
  liveExpiringBetween(db, ownerId, types, null, now)

/** Active tokens by type for the whole tenant, from counters. */
export async function activeByType(main: Kysely<Database>, now: number) {
  const db = consoleReader(main)
  const out: Record<string, number> = {}
  await Promise.all(familyTypes.all.map(async (t) => {
    const [by, expired, scheduled] = await Promise.all([stateCounts(db, '', [t]), expiredCount(db, undefined, [t], now), scheduledCount(db, undefined, [t], now)])
    out[t] = by.live - expired - scheduled
  }))
  return out
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

export function encodeCursor(v: string | number, id: string) {
  return Buffer.from(JSON.stringify([v, id])).toString('base64url')
}

export function decodeCursor(cursor: string, sort: SortField): { v: string | number; id: string } | undefined {
  try {
    const [v, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    const typeOk = numericSort.has(sort) ? typeof v === 'number' : typeof v === 'string'
    if (!typeOk || typeof id !== 'string') return undefined
    if (sort === 'status' && !STATUS_ORDER.includes(v as CredentialStatus)) return undefined
    return { v: v as string | number, id }
  } catch {
    return undefined
  }
}

export async function findCredentialByName(db: Kysely<Database>, name: string, now: number) {
  return credentialQuery(db, now).where('c.name', '=', name).executeTakeFirst()
}

/**
 * Active tokens of one owner for the limit check: an index range over the owner's unexpired,
 * unrevoked rows, read no further than `cap` entries (the limit), so it never walks the history.
 */
export async function countActiveTokens(db: Kysely<Database>, ownerId: string, now: number, cap = 1_000_000) {
  const inner = db.selectFrom('credentials')
    .select(sql.lit(1).as('one'))
    .where('owner_id', '=', ownerId)
    .where('state', 'in', ['live', 'disabled'])
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(cap)
  const r = await db.selectFrom(inner.as('a')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(r.n)
}
