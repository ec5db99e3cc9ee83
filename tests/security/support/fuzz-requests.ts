// fast-check arbitraries for requests to every operation of the OpenAPI document: mostly well-formed
// enough to reach the handlers, mixed with hostile strings, wrong types, extra fields, duplicate
// parameters, oversized and malformed bodies, and broken credentials.
import fc from 'fast-check'

type JsonSchema = {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  maxItems?: number
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  additionalProperties?: boolean | JsonSchema
}

interface Param { name: string; in: 'path' | 'query' | 'header' | 'cookie'; schema: JsonSchema }

export interface Operation {
  method: string
  path: string
  params: Param[]
  body?: { contentType: string; schema: JsonSchema }
}

/** How a fuzzed request presents itself; resolved against the live principals when it is sent. */
export type AuthCase =
  | { kind: 'admin' | 'developer-token' | 'anonymous' | 'bad-csrf' | 'no-origin' | 'foreign-origin' | 'token-and-cookie' }
  | { kind: 'raw-authorization'; value: string }
  | { kind: 'raw-cookie'; value: string }

export interface FuzzRequest {
  op: string
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  auth: AuthCase
}

export interface Pools {
  names: string[]
  ids: string[]
  emails: string[]
}

export function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: Param[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = op.requestBody?.content
      const contentType = content && Object.keys(content)[0]
      ops.push({
        method: method.toUpperCase(), path, params: op.parameters ?? [],
        body: contentType ? { contentType, schema: content[contentType].schema } : undefined,
      })
    }
  }
  return ops
}

// Hostile strings. None contains what the leak check looks for (SQL text, paths), so an echo of
// our own input is never mistaken for a leak.
const SPECIALS = [
  '', ' ', '\u0000', 'abc\u0000def', 'token-\u0000-name', '\u0000'.repeat(8), '\ud800', 'name-\udfff', '\udc00\ud800', '\uffff', '\ufeffabc',
  '\u212adelvin@example.com', 'ADMIN@EXAMPLE.COM', 'ａｄｍｉｎ', '\u202eevil', 'é', 'e\u0301', '😀😀', '\r\n', '\t', '\\', '\\\\x00',
  "'", '"', "' OR '1'='1", "abc' --", '1; DROP TABLE credentials', "') OR 1=1 --", '1 UNION ALL NULL', '%', '%%', '_', '%_%', '*', '?', '#',
  '../../etc/passwd', '..%2f..%2f', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '${7*7}', '{{7*7}}', '__proto__', 'constructor',
  'null', 'undefined', 'NaN', 'Infinity', '-1', '0', '1e309', '9007199254740993', '-0', 'true', '[]', '{}', '2025-02-30T00:00:00Z',
  'a'.repeat(65), 'a'.repeat(255), 'a'.repeat(1025), 'x'.repeat(5000),
]

/** Values the contract accepts for free-text parameters that the server checks itself. */
const HINTS: Record<string, string[]> = {
  namespace: ['system'],
  status: ['active', 'revoked', 'expired', 'active,revoked', 'disabled'],
  type: ['API_TOKEN', 'SERVICE_API_TOKEN', 'API_TOKEN,SERVICE_API_TOKEN'],
  family: ['api_credentials', 'service_credentials', 'user', 'service'],
  account_type: ['user', 'service'],
}

/** The arbitrary's value one time in `n`, otherwise null. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), loneSurrogate, fc.string({ maxLength: 10 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[a-z0-9-]{6,20}$/), fc.constantFrom('\u0000', '\n', '\u00a0', '\u200b', '\u0130')).map(([a, b]) => a + b) },
)

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
)

const printableAscii = (max: number) => fc.string({ unit: 'binary-ascii', maxLength: max }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))
const base62 = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'), minLength: n, maxLength: n })

/** Authorization values that are each wrong in their own way (never a real token: those look alike only by shape). */
const badAuthorization = fc.oneof(
  fc.constantFrom('', 'APIToken', 'APIToken ', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Digest x', 'APIToken  tcp_', 'apitoken', 'Bearer null', 'APIToken undefined'),
  base62(30).map((s) => `APIToken tcp_${s}`),
  base62(37).map((s) => `Bearer tcs_${s}`),
  base62(36).map((s) => `APIToken xyz_${s}`),
  printableAscii(80).map((s) => `APIToken ${s}`),
  printableAscii(80),
  fc.constant(`Bearer ${'A'.repeat(8000)}`),
)

const badCookie = fc.oneof(
  fc.constantFrom('tc_session=', 'tc_session=garbage', 'tc_session=%00', 'tc_session="x"', 'tc_session=a; tc_session=b', 'tc_session', '=;=;', 'tc_session=' + 'A'.repeat(4000)),
  printableAscii(60).map((s) => `tc_session=${s.replace(/[;,]/g, '')}`),
  printableAscii(60),
)

const authCase: fc.Arbitrary<AuthCase> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'admin' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'developer-token' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'anonymous' as const }) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: 'bad-csrf' as const }, { kind: 'no-origin' as const }, { kind: 'foreign-origin' as const }, { kind: 'token-and-cookie' as const }) },
  { weight: 1, arbitrary: badAuthorization.map((value) => ({ kind: 'raw-authorization' as const, value })) },
  { weight: 1, arbitrary: badCookie.map((value) => ({ kind: 'raw-cookie' as const, value })) },
)

/** Percent-encodes anything, lone surrogates included (as the raw bytes a hostile client would send). */
export function encodeAny(s: string): string {
  let out = ''
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')
    } else out += encodeURIComponent(ch)
  }
  return out
}

export class RequestArbitraries {
  constructor(private readonly pools: Pools) {}

  private poolFor(key: string): fc.Arbitrary<string> | undefined {
    const p = this.pools
    const hint = HINTS[key]
    if (hint) return fc.constantFrom(...hint)
    if (/(^|_)name$|^names$|^credential$|rotated_from/.test(key) && p.names.length) return fc.constantFrom(...p.names)
    if (/(^|_)id$/.test(key) && p.ids.length) return fc.constantFrom(...p.ids)
    if (/email|actor/.test(key) && p.emails.length) return fc.constantFrom(...p.emails)
    return undefined
  }

  /** A value that satisfies the schema where fast-check can, so requests get past validation. */
  private validish(schema: JsonSchema, key: string, depth: number): fc.Arbitrary<unknown> {
    const alts = schema.anyOf ?? schema.oneOf
    if (alts?.length) return fc.oneof(...alts.map((s) => this.valueFor(s, key, depth)))
    if (schema.allOf?.length) return this.validish(Object.assign({}, ...schema.allOf), key, depth)
    if (schema.const !== undefined) return fc.constant(schema.const)
    if (schema.enum?.length) return fc.constantFrom(...schema.enum)
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
    switch (type) {
      case 'string': {
        const pooled = this.poolFor(key)
        let own: fc.Arbitrary<string> = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) })
        if (schema.pattern) {
          try {
            own = fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 1e9) && s.length >= (schema.minLength ?? 0))
          } catch {
            // a pattern fast-check cannot read: plain strings will do
          }
        }
        return pooled ? fc.oneof(pooled, own) : own
      }
      case 'integer':
        return fc.oneof(fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 400) }), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1.5))
      case 'number':
        return fc.double({ noNaN: true })
      case 'boolean':
        return fc.boolean()
      case 'array':
        return fc.oneof(
          { weight: 9, arbitrary: fc.array(this.valueFor(schema.items ?? {}, key, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) }) },
          { weight: 1, arbitrary: fc.array(fc.constant('abcdef'), { minLength: 201, maxLength: 210 }) },
        )
      case 'object':
        return this.object(schema, depth)
      default:
        return fc.jsonValue({ maxDepth: 2 })
    }
  }

  private object(schema: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
    if (depth > 3) return fc.constant({})
    const props = Object.entries(schema.properties ?? {})
    const required = new Set(schema.required ?? [])
    const fields = props.map(([k, s]) =>
      fc.tuple(fc.constant(k), fc.integer({ min: 0, max: 9 }), this.valueFor(s, k, depth + 1)).map(([key, roll, v]) => ((required.has(key) ? roll < 9 : roll < 5) ? [key, v] : undefined)),
    )
    const extras = rarely(fc.dictionary(fc.oneof(nastyString, fc.constantFrom('owner_id', 'role', 'revoked_at', '__proto__', 'admin')), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), 8)
    return fc.tuple(fc.tuple(...fields), extras).map(([entries, extra]) => {
      const obj: Record<string, unknown> = {}
      for (const e of entries) if (e) obj[e[0] as string] = e[1]
      return extra ? { ...obj, ...extra } : obj
    })
  }

  valueFor(schema: JsonSchema, key: string, depth = 0): fc.Arbitrary<unknown> {
    return fc.oneof(
      { weight: 12, arbitrary: this.validish(schema, key, depth) },
      { weight: 2, arbitrary: nastyString },
      { weight: 1, arbitrary: wrongType },
    )
  }

  private scalar(schema: JsonSchema, key: string): fc.Arbitrary<string> {
    return this.valueFor(schema, key).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''))
  }

  private body(op: Operation): fc.Arbitrary<{ payload?: string; contentType?: string }> {
    if (!op.body) {
      return fc.oneof(
        { weight: 9, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' })) },
      )
    }
    const { schema, contentType } = op.body
    const form = contentType === 'application/x-www-form-urlencoded'
    const encode = (v: unknown) => {
      if (!form) return JSON.stringify(v)
      if (!v || typeof v !== 'object') return encodeAny(String(v))
      return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${encodeAny(k)}=${encodeAny(typeof x === 'string' ? x : JSON.stringify(x) ?? '')}`).join('&')
    }
    return fc.oneof(
      { weight: 14, arbitrary: this.validish(schema, '', 0).map((v) => ({ payload: encode(v), contentType })) },
      { weight: 2, arbitrary: this.valueFor(schema, '').map((v) => ({ payload: encode(v), contentType })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ payload: JSON.stringify(v), contentType })) },
      { weight: 1, arbitrary: fc.constantFrom('{', '{"name":', '{"name":"abc"}}', '[', 'nul', '\u0000', '{"a":1,"a":2}', '{"name":"x\\ud800"}', '{"__proto__":{"admin":true}}').map((payload) => ({ payload, contentType })) },
      // Around and over the 64 KiB body limit.
      { weight: 1, arbitrary: fc.constantFrom(60_000, 65_500, 70_000, 300_000).map((n) => ({ payload: JSON.stringify({ name: 'a'.repeat(n) }), contentType })) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16'), printableAscii(60)).map(([ct, s]) => ({ payload: s, contentType: ct })) },
      { weight: 1, arbitrary: fc.constant({ contentType }) },
    )
  }

  private query(op: Operation): fc.Arbitrary<string> {
    const params = op.params.filter((p) => p.in === 'query')
    const one = (p: Param) => fc.tuple(fc.integer({ min: 0, max: 9 }), this.scalar(p.schema, p.name), this.scalar(p.schema, p.name)).map(([roll, a, b]) => {
      if (roll < 6) return [] // absent
      if (roll === 9) return [`${p.name}=${encodeAny(a)}`, `${p.name}=${encodeAny(b)}`] // duplicated
      return [`${p.name}=${encodeAny(a)}`]
    })
    const extra = rarely(fc.oneof(
      fc.constantFrom('token=abc', 'unknown=1', '%', '%zz', '%E0%A4%A', '&&', '=', 'a=b=c', 'q', 'q[]=1&q[]=2', 'q[a]=1', '__proto__[x]=1'),
      fc.tuple(nastyString, nastyString).map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`),
    ), 12)
    return fc.tuple(fc.tuple(...params.map(one)), extra).map(([parts, x]) => {
      const all = parts.flat()
      if (x !== null) all.push(x)
      return all.length ? `?${all.join('&')}` : ''
    })
  }

  request(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.params.filter((p) => p.in === 'path')
    const pathValues = fc.tuple(...pathParams.map((p) => fc.oneof(
      { weight: 3, arbitrary: p.name === 'namespace' ? fc.constant('system') : (this.poolFor(p.name) ?? fc.constant('abcdef')) },
      { weight: 2, arbitrary: this.scalar(p.schema, p.name) },
    )))
    const methodOverride = rarely(fc.constantFrom('HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'POST', 'GET'), 40)
    return fc.record({ pathValues, query: this.query(op), body: this.body(op), auth: authCase, method: methodOverride, ua: rarely(printableAscii(40), 4) }).map((r) => {
      let path = op.path
      pathParams.forEach((p, i) => {
        path = path.replace(`{${p.name}}`, encodeAny(r.pathValues[i]) || 'x')
      })
      const headers: Record<string, string> = {}
      if (r.body.contentType) headers['content-type'] = r.body.contentType
      if (r.ua !== null) headers['user-agent'] = r.ua
      const method = r.method ?? op.method
      return {
        op: `${op.method} ${op.path}`, method, url: path + r.query, headers,
        payload: method === 'GET' || method === 'HEAD' ? undefined : r.body.payload, auth: r.auth,
      }
    })
  }
}

/** What must never appear in an answer: internals a caller could learn the system from. */
export const LEAKS: Array<[string, RegExp]> = [
  ['stack trace', /\bat (?:async )?[\w$.<>]+ \(|\n\s+at \S|Error: .*\n\s+at /],
  ['SQL text', /\bSELECT\b[\s\S]{0,300}\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b|\bUPDATE "?\w+"? SET\b|syntax error|violates .* constraint|duplicate key|relation "/i],
  ['database internals', /sqlite|SQLITE_|pg_catalog|better-sqlite3/i],
  ['file path', /\/work\/|node_modules|\.ts:\d|\.js:\d|file:\/\//],
]

export function leaksIn(body: string, url: string): string[] {
  const found: string[] = []
  for (const [what, re] of LEAKS) {
    // The health check names its database by design.
    if (what === 'database internals' && url.startsWith('/api/health')) continue
    if (re.test(body)) found.push(what)
  }
  return found
}
