// The API document's completeness in one place: an operationId and a tag for every operation, the
// error responses each route can give, Retry-After on 429, and integer formats and response bounds.
import type { FastifySchema, RouteOptions } from 'fastify'
import type { SwaggerTransformObject } from '@fastify/swagger'
import fp from 'fastify-plugin'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorBodySchema } from '../../contract/errors.js'

/** Stable camelCase id from method and path: GET /api/users/:id → getUsersById. */
export function operationIdOf(method: string, url: string): string {
  const words = url.replace(/^\/api(?=\/)/, '').split('/').filter(Boolean).flatMap((seg) => {
    const parts = seg.replace(/^:/, '').split(/[^A-Za-z0-9]+/).filter(Boolean)
    return seg.startsWith(':') ? ['by', ...parts] : parts
  })
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()
  return method.toLowerCase() + words.map(cap).join('')
}

type ZodLike = z.ZodType
const isZodObject = (s: unknown): s is z.ZodObject => s instanceof z.ZodObject

/**
 * A path parameter without a length of its own gets Fastify's router limit (maxParamLength, 100):
 * the router already answers a longer one 414, so the document states the bound that holds.
 */
function boundParams(params: unknown): unknown {
  if (!isZodObject(params)) return params
  const extra: Record<string, ZodLike> = {}
  for (const [key, field] of Object.entries(params.shape)) {
    if (field instanceof z.ZodString && field.maxLength === null) extra[key] = field.max(100)
  }
  return Object.keys(extra).length ? params.extend(extra) : params
}

/** Which of the common failures a route can answer, from what every route shares. */
function commonErrors(route: RouteOptions, schema: FastifySchema): number[] {
  const authenticated = route.config?.auth !== 'none' && route.url.startsWith('/api/')
  const method = ([] as string[]).concat(route.method)[0] ?? 'GET'
  const takesInput = Boolean(schema.body ?? schema.querystring ?? schema.params) || ['POST', 'PUT', 'PATCH'].includes(method)
  const codes = [500]
  // The auth plugin refuses a token in the URL (400), a missing or bad credential (401), a session
  // mutation without CSRF token or from another origin, or a caller lacking the permission (403),
  // and a source past the failed-check limit (429 with Retry-After).
  if (authenticated) codes.push(400, 401, 403, 429)
  else if (takesInput) codes.push(400)
  if (route.url.includes(':')) codes.push(404)
  return codes
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again (sign-in brake, failed token checks, a token\'s rate limit)',
    type: 'integer', format: 'int32', minimum: 0, maximum: 86_400,
  },
}

/** Registered before the routes: fills in what a route's own schema leaves out. */
export default fp(async function openapiPlugin(app) {
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide || route.method === 'HEAD') return
    const schema = { ...route.schema } as Omit<FastifySchema, 'tags' | 'response'> & { operationId?: string; tags?: readonly string[]; response?: Record<string, unknown> }
    const method = ([] as string[]).concat(route.method)[0] ?? 'GET'
    schema.operationId ??= operationIdOf(method, route.url)
    if (!schema.tags?.length) schema.tags = [route.url.split('/').filter(Boolean)[1] ?? 'meta']
    if (schema.params) schema.params = boundParams(schema.params)
    const response = { ...(schema.response ?? {}) }
    for (const code of commonErrors(route, schema)) response[code] ??= errorBodySchema
    schema.response = response
    route.schema = schema
  })
})

/**
 * jsonSchemaTransform for the zod schemas (a route may also give plain JSON Schema, which passes
 * through as it is), then the 429 response's Retry-After header, which a zod schema cannot carry.
 */
export const openapiTransform: typeof jsonSchemaTransform = (input) => {
  const given = (input.schema ?? {}) as Record<string, unknown> & { response?: Record<string, unknown> }
  const plain = Object.fromEntries(Object.entries(given.response ?? {}).filter(([, v]) => !(v instanceof z.ZodType)))
  const zodOnly = given.response ? { ...given, response: Object.fromEntries(Object.entries(given.response).filter(([, v]) => v instanceof z.ZodType)) } : given
  const out = jsonSchemaTransform({ ...input, schema: zodOnly as typeof input.schema })
  const response = (out.schema as { response?: Record<string, Record<string, unknown>> }).response
  if (response) Object.assign(response, plain)
  if (response?.['429']) response['429'] = { ...response['429'], headers: RETRY_AFTER }
  if (response && takesTokens(input.route as Pick<RouteOptions, 'url' | 'config'> | undefined, input.url)) {
    for (const [code, r] of Object.entries(response)) {
      if (/^[24]/.test(code)) response[code] = { ...r, headers: { ...(r.headers as object | undefined), ...RATE_LIMIT } }
    }
  }
  return out
}

/** Routes a token authenticates (or checks): a token with a rate limit gets the RateLimit fields on each of their answers. */
function takesTokens(route: Pick<RouteOptions, 'url' | 'config'> | undefined, url: string): boolean {
  if (url === '/api/verify' || url === '/api/oauth2/introspect') return true
  return url.startsWith('/api/') && (route?.config as { auth?: string } | undefined)?.auth !== 'none'
}

/** draft-ietf-httpapi-ratelimit-headers-10 (server/limits/rate-counter.ts); sent only for a token with a rate_limit. */
const RATE_LIMIT = {
  'RateLimit-Policy': {
    description: 'Sent when the calling token has a rate_limit: its quota, as "default";q=<requests>;w=<window seconds>',
    type: 'string', maxLength: 128,
  },
  RateLimit: {
    description: 'Sent when the calling token has a rate_limit: what is left, as "default";r=<remaining>;t=<seconds until the window resets>',
    type: 'string', maxLength: 128,
  },
}

const INT32 = 2 ** 31 - 1
/** Longest string a response carries: echoed input is under the 64 KiB body limit, and the largest generated value (a credential bundle) is far below it. */
const RESPONSE_STRING_MAX = 65_536
const RESPONSE_STRING_MAX_BY_FORMAT: Record<string, number> = { 'date-time': 64, date: 32, uuid: 36, email: 320, uri: 2048 }
/** Longest array a paged or fixed response carries (pages stop at 500; the unpaged F5 list is exempted in .spectral.yaml). */
const RESPONSE_ITEMS_MAX = 10_000

const UNPAGED_LISTS = /^\/api\/web\/namespaces\/\{namespace\}\/(api|service)_credentials$/
type Json = Record<string, unknown>
const typesOf = (s: Json) => ([] as unknown[]).concat(s.type ?? [])

function walk(node: unknown, visit: (s: Json) => void) {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit))
  if (!node || typeof node !== 'object') return
  visit(node as Json)
  for (const v of Object.values(node)) walk(v, visit)
}

/** Integers say int32 or int64 from their enforced range; response strings and arrays get their ceilings. */
export const completeDocument: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject
  const doc = documentObject.openapiObject as Json & { paths?: Record<string, Record<string, Json>> }
  walk(doc.paths, (s) => {
    if (typesOf(s).includes('integer') && s.format === undefined) {
      const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : -Infinity
      const max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : Infinity
      s.format = min >= -INT32 - 1 && max <= INT32 ? 'int32' : 'int64'
    }
  })
  const tags = new Set<string>()
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item)) {
      for (const t of (op.tags as string[] | undefined) ?? []) tags.add(t)
      // A route that declares only its errors (the streamed CSV exports) keeps the success response
      // Fastify's swagger would have given it without any.
      const responses = (op.responses ??= {}) as Record<string, unknown>
      if (!Object.keys(responses).some((code) => code.startsWith('2'))) {
        // With the RateLimit fields its other answers carry, when a token authenticates it.
        const rate = (Object.values(responses) as Array<{ headers?: Record<string, unknown> }>).find((r) => r.headers?.RateLimit)?.headers
        responses['200'] = { description: 'Default Response', ...(rate ? { headers: { RateLimit: rate.RateLimit, 'RateLimit-Policy': rate['RateLimit-Policy'] } } : {}) }
      }
      walk(op.responses, (s) => {
        const types = typesOf(s)
        if (types.includes('string') && s.maxLength === undefined && s.enum === undefined && s.const === undefined) {
          s.maxLength = RESPONSE_STRING_MAX_BY_FORMAT[s.format as string] ?? RESPONSE_STRING_MAX
        }
        if (types.includes('array') && s.maxItems === undefined) s.maxItems = RESPONSE_ITEMS_MAX
      })
    }
  }
  // F5's unpaged list (no limit, cursor or sort) streams every credential the caller owns: no ceiling to declare.
  for (const [url, item] of Object.entries(doc.paths ?? {})) {
    if (!UNPAGED_LISTS.test(url)) continue
    const body = (item.get?.responses as Record<string, { content?: Record<string, { schema?: { properties?: Record<string, Json> } }> }> | undefined)?.['200']
    delete body?.content?.['application/json']?.schema?.properties?.items?.maxItems
  }
  doc.tags = [...tags].sort().map((name) => ({ name }))
  return doc
}
