// PATCH (RFC 7644 section 3.5.2) applied to a resource's SCIM representation as a plain object; the
// caller then maps the patched object back to what it stores, through the same code as a replace.
// Paths: "attr", "attr.sub", "attr[filter]", "attr[filter].sub", with or without the schema URN;
// attribute names ignore case; op names too (some clients send "Replace").
import { filter as matcher, parse, type Filter } from 'scim2-parse-filter'
import { ScimError } from './protocol.js'

type Obj = Record<string, unknown>
interface PatchOperation { op: string; path?: string; value?: unknown }
interface Path { attr: string; filter?: Filter; sub?: string }

const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath')
const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget')

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The key of `o` that names `name` ignoring case, or `name` itself when absent. */
function keyOf(o: Obj, name: string): string {
  return Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name
}

export function parsePath(raw: string, schemaUrns: readonly string[]): Path {
  let p = raw.trim()
  for (const urn of schemaUrns) {
    if (p.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) p = p.slice(urn.length + 1)
  }
  const m = /^([A-Za-z][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z][\w$-]*))?$/.exec(p)
  if (!m) throw invalidPath(`The path ${raw} is not supported`)
  let filter: Filter | undefined
  if (m[2] !== undefined) {
    try {
      filter = parse(m[2])
    } catch {
      throw invalidPath(`The filter in path ${raw} is not valid`)
    }
  }
  return { attr: m[1], filter, sub: m[3] }
}

/** Lower-cased keys so a value filter matches attribute names in any case. */
function lowerKeys(v: unknown): unknown {
  if (!isObj(v)) return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), x]))
}

function lowerFilter(f: Filter): Filter {
  switch (f.op) {
    case 'and':
    case 'or': return { ...f, filters: f.filters.map(lowerFilter) }
    case 'not': return { ...f, filter: lowerFilter(f.filter) }
    case '[]': return { ...f, attrPath: f.attrPath.toLowerCase(), valFilter: lowerFilter(f.valFilter) }
    default: return { ...f, attrPath: f.attrPath.toLowerCase() }
  }
}

function matches(f: Filter): (el: unknown) => boolean {
  const test = matcher(lowerFilter(f))
  return (el) => test(lowerKeys(el))
}

function addValue(target: Obj, name: string, value: unknown) {
  const k = keyOf(target, name)
  const current = target[k]
  if (Array.isArray(current)) {
    const more = Array.isArray(value) ? value : [value]
    target[k] = [...current, ...more]
  } else if (isObj(current) && isObj(value)) {
    target[k] = { ...current, ...value }
  } else {
    target[k] = value
  }
}

function applyOne(resource: Obj, operation: PatchOperation, schemaUrns: readonly string[]) {
  const op = String(operation.op ?? '').toLowerCase()
  if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new ScimError(400, `Unknown PATCH op ${String(operation.op)}`, 'invalidSyntax')
  if (operation.path === undefined || operation.path === '') {
    if (op === 'remove') throw noTarget('A remove needs a path')
    if (!isObj(operation.value)) throw new ScimError(400, `An ${op} without a path takes an object value`, 'invalidValue')
    for (const [name, v] of Object.entries(operation.value)) {
      // An attribute named with its schema URN ("urn:…:User:userName") is the same attribute.
      const path = parsePath(name, schemaUrns)
      applyOne(resource, { op, path: path.sub ? `${path.attr}.${path.sub}` : path.attr, value: v }, schemaUrns)
    }
    return
  }
  if (typeof operation.path !== 'string') throw invalidPath('path must be a string')
  const path = parsePath(operation.path, schemaUrns)
  const key = keyOf(resource, path.attr)
  if (path.filter) {
    const list = resource[key]
    const test = matches(path.filter)
    const hits = Array.isArray(list) ? list.filter(test) : []
    if (op === 'remove' && !path.sub) {
      resource[key] = Array.isArray(list) ? list.filter((el) => !test(el)) : list
      return
    }
    if (hits.length === 0) {
      if (op === 'remove') return
      throw noTarget(`Nothing in ${path.attr} matches the path's filter`)
    }
    for (const el of hits) {
      if (!isObj(el)) continue
      if (path.sub) {
        const sk = keyOf(el, path.sub)
        if (op === 'remove') delete el[sk]
        else el[sk] = operation.value
      } else if (isObj(operation.value)) {
        Object.assign(el, operation.value)
      } else {
        throw new ScimError(400, `${operation.path} takes an object value`, 'invalidValue')
      }
    }
    return
  }
  if (path.sub) {
    const parent = isObj(resource[key]) ? resource[key] as Obj : {}
    const sk = keyOf(parent, path.sub)
    if (op === 'remove') delete parent[sk]
    else parent[sk] = operation.value
    resource[key] = parent
    return
  }
  if (op === 'remove') {
    // A remove with a value on a multi-valued attribute removes those values (members by "value").
    if (operation.value !== undefined && Array.isArray(resource[key])) {
      const drop = (Array.isArray(operation.value) ? operation.value : [operation.value])
        .map((v) => (isObj(v) ? v[keyOf(v, 'value')] : v))
      resource[key] = (resource[key] as unknown[]).filter((el) => !drop.includes(isObj(el) ? el[keyOf(el, 'value')] : el))
      return
    }
    delete resource[key]
    return
  }
  if (op === 'add') addValue(resource, key, operation.value)
  else resource[key] = operation.value
}

/** Applies a PatchOp body's Operations to a copy of `resource`; throws a SCIM error for what it cannot do. */
export function applyPatch(resource: Obj, operations: unknown, schemaUrns: readonly string[]): Obj {
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError(400, 'Operations must be a non-empty array', 'invalidSyntax')
  if (operations.length > 1000) throw new ScimError(400, 'At most 1000 operations per PATCH', 'tooMany')
  const copy = structuredClone(resource)
  for (const o of operations) {
    if (!isObj(o)) throw new ScimError(400, 'Each operation is an object', 'invalidSyntax')
    applyOne(copy, o as unknown as PatchOperation, schemaUrns)
  }
  return copy
}
