// SCIM filters (RFC 7644 section 3.4.2.2) on Users, parsed by scim2-parse-filter and compiled to one
// SQL condition on the users table, so a filtered list is one indexed query on either database.
// Only attributes this server stores can be filtered; anything else is a 400 invalidFilter.
import { sql, type Expression, type SqlBool } from 'kysely'
import { parse, type Compare, type Filter } from 'scim2-parse-filter'
import { ScimError, URN } from './protocol.js'

const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter')

type Column = 'email' | 'name' | 'given_name' | 'family_name' | 'external_id' | 'disabled' | 'updated_at' | 'created_at' | 'id'
interface Target { column: Column; kind: 'text' | 'exact' | 'active' | 'time' }

/** Filterable User attributes (lower-cased, core schema prefix removed) and what each reads. */
const USER_ATTRIBUTES: Record<string, Target> = {
  'id': { column: 'id', kind: 'exact' },
  'username': { column: 'email', kind: 'text' },
  'emails': { column: 'email', kind: 'text' },
  'emails.value': { column: 'email', kind: 'text' },
  'externalid': { column: 'external_id', kind: 'exact' },
  'active': { column: 'disabled', kind: 'active' },
  'displayname': { column: 'name', kind: 'text' },
  'name.formatted': { column: 'name', kind: 'text' },
  'name.givenname': { column: 'given_name', kind: 'text' },
  'name.familyname': { column: 'family_name', kind: 'text' },
  'meta.lastmodified': { column: 'updated_at', kind: 'time' },
  'meta.created': { column: 'created_at', kind: 'time' },
}

export function parseFilter(text: string): Filter {
  if (text.length > 2000) throw invalidFilter('The filter is too long')
  try {
    return parse(text)
  } catch {
    throw invalidFilter('The filter is not valid SCIM filter syntax')
  }
}

/** An attribute path without the User schema's URN, in lower case (SCIM attribute names ignore case). */
export function attributeKey(path: string): string {
  const p = path.toLowerCase()
  const prefix = `${URN.user.toLowerCase()}:`
  return p.startsWith(prefix) ? p.slice(prefix.length) : p
}

function like(column: Column, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${sql.ref(column)}) LIKE ${pattern} ESCAPE '\\'`
}

const escapeLike = (s: string) => s.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)

function compare(target: Target, op: string, value: unknown, attr: string): Expression<SqlBool> {
  const col = sql.ref(target.column)
  if (op === 'pr') {
    if (target.kind === 'active' || target.column === 'email' || target.column === 'id') return sql<SqlBool>`1 = 1`
    return sql<SqlBool>`(${col} IS NOT NULL AND ${col} <> '')`
  }
  if (target.kind === 'active') {
    if (typeof value !== 'boolean' || (op !== 'eq' && op !== 'ne')) throw invalidFilter('active takes eq or ne with true or false')
    const disabled = (op === 'eq') === value ? 0 : 1
    return sql<SqlBool>`${col} = ${disabled}`
  }
  if (target.kind === 'time') {
    const at = typeof value === 'string' ? Date.parse(value) : NaN
    if (Number.isNaN(at)) throw invalidFilter(`${attr} compares with a date-time string`)
    const ops: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }
    if (!ops[op]) throw invalidFilter(`${attr} takes eq, ne, gt, ge, lt or le`)
    return sql<SqlBool>`${col} ${sql.raw(ops[op])} ${at}`
  }
  if (typeof value !== 'string') throw invalidFilter(`${attr} compares with a string`)
  if (target.kind === 'exact') {
    // caseExact attributes (id, externalId) compare as they are.
    if (op === 'eq') return sql<SqlBool>`${col} = ${value}`
    if (op === 'ne') return sql<SqlBool>`(${col} IS NULL OR ${col} <> ${value})`
    throw invalidFilter(`${attr} takes eq, ne or pr`)
  }
  // Case-insensitive text: the email is stored in lower case, so its equality stays on its index.
  const v = value.toLowerCase()
  const lowered = target.column === 'email' ? col : sql`lower(${col})`
  switch (op) {
    case 'eq': return sql<SqlBool>`${lowered} = ${v}`
    case 'ne': return sql<SqlBool>`${lowered} <> ${v}`
    case 'co': return like(target.column, `%${escapeLike(v)}%`)
    case 'sw': return like(target.column, `${escapeLike(v)}%`)
    case 'ew': return like(target.column, `%${escapeLike(v)}`)
    case 'gt': return sql<SqlBool>`${lowered} > ${v}`
    case 'ge': return sql<SqlBool>`${lowered} >= ${v}`
    case 'lt': return sql<SqlBool>`${lowered} < ${v}`
    case 'le': return sql<SqlBool>`${lowered} <= ${v}`
    default: throw invalidFilter(`Operator ${op} is not supported`)
  }
}

/** The SQL condition of a User filter; throws 400 invalidFilter for what it cannot express. */
export function userFilterSql(f: Filter, depth = 0): Expression<SqlBool> {
  if (depth > 20) throw invalidFilter('The filter nests too deeply')
  switch (f.op) {
    case 'and':
    case 'or': {
      const parts = f.filters.map((x) => userFilterSql(x, depth + 1))
      return sql<SqlBool>`(${sql.join(parts, sql.raw(f.op === 'and' ? ' AND ' : ' OR '))})`
    }
    case 'not':
      return sql<SqlBool>`NOT (${userFilterSql(f.filter, depth + 1)})`
    case '[]': {
      // emails[value eq "x"] (and type/primary, which every stored address satisfies as "work"/true).
      if (attributeKey(f.attrPath) !== 'emails') throw invalidFilter(`Filtering inside ${f.attrPath} is not supported`)
      return emailValueFilter(f.valFilter, depth + 1)
    }
    default: {
      const key = attributeKey(f.attrPath)
      const target = USER_ATTRIBUTES[key]
      if (!target) throw invalidFilter(`Filtering on ${f.attrPath} is not supported`)
      return compare(target, f.op, 'compValue' in f ? f.compValue : undefined, f.attrPath)
    }
  }
}

function emailValueFilter(f: Filter, depth: number): Expression<SqlBool> {
  if (f.op === 'and' || f.op === 'or') {
    const parts = f.filters.map((x) => emailValueFilter(x, depth + 1))
    return sql<SqlBool>`(${sql.join(parts, sql.raw(f.op === 'and' ? ' AND ' : ' OR '))})`
  }
  if (f.op === 'not' || f.op === '[]') throw invalidFilter('Unsupported filter inside emails[...]')
  const e = f as Compare | Extract<Filter, { op: 'pr' }>
  const value = 'compValue' in e ? e.compValue : undefined
  const sub = e.attrPath.toLowerCase()
  if (sub === 'value') return compare(USER_ATTRIBUTES['emails.value'], e.op, value, 'emails.value')
  if (sub === 'type' && e.op === 'eq') return value === 'work' ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`
  if (sub === 'primary' && e.op === 'eq') return value === true ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`
  throw invalidFilter(`Filtering on emails.${e.attrPath} is not supported`)
}

/** Groups filter on displayName (eq) or id (eq); the answer is the role names that match. */
export function groupFilter(f: Filter, roles: readonly string[]): string[] {
  if (f.op === 'and') return f.filters.reduce((acc, x) => acc.filter((r) => groupFilter(x, roles).includes(r)), [...roles])
  if (f.op === 'or') return roles.filter((r) => f.filters.some((x) => groupFilter(x, roles).includes(r)))
  if (f.op !== 'eq') throw invalidFilter('Groups take displayName eq or id eq filters')
  const cmp = f as Compare
  const key = attributeKey(cmp.attrPath).replace(`${URN.group.toLowerCase()}:`, '')
  if (key !== 'displayname' && key !== 'id') throw invalidFilter(`Filtering Groups on ${cmp.attrPath} is not supported`)
  const v = typeof cmp.compValue === 'string' ? cmp.compValue : ''
  return roles.filter((r) => (key === 'id' ? r === v : r.toLowerCase() === v.toLowerCase()))
}
