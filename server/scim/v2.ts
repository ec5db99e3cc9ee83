// SCIM 2.0 (RFC 7643, RFC 7644) under /scim/v2: discovery, Users and role Groups. The tenant's SCIM
// token, as Authorization: Bearer, is the only credential accepted here (no session, API token or
// certificate), checked against the database on every request so its revocation takes effect at
// once. Every answer, errors included, is application/scim+json; errors use the SCIM error schema.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../app.js'
import type { ValidityBus } from '../services/check-cache.js'
import { ApiError } from '../lib/errors.js'
import { hashToken } from '../lib/tokens.js'
import { isTransient } from '../services/audit.js'
import { auditContext } from '../plugins/auth.js'
import { REALM } from '../plugins/errors.js'
import { SCIM_BASE_PATH } from '../../contract/scim.js'
import { SCIM_TYPE } from './queries.js'
import {
  DEFAULT_COUNT, MAX_COUNT, resourceTypes, schemas, SCIM_CONTENT_TYPE, ScimError, serviceProviderConfig, URN, badValue, notFoundScim,
} from './protocol.js'
import { groupFilter, parseFilter } from './filter.js'
import { applyPatch } from './patch.js'
import {
  groupVersion, personInput, ROLES, ScimDirectory, userResource, userVersion, type Role, type ScimClient,
} from './directory.js'

declare module 'fastify' {
  interface FastifyRequest {
    scimClient: ScimClient | null
  }
}

type Obj = Record<string, unknown>
const hidden = { hide: true }
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const unauthorized = (detail: string) => new ScimError(401, detail, undefined, { 'www-authenticate': `Bearer realm="${REALM}"` })

function baseUrl(req: FastifyRequest) {
  return `${req.protocol}://${req.host}${SCIM_BASE_PATH}`
}

function listResponse(resources: unknown[], total: number, startIndex: number) {
  return { schemas: [URN.list], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources }
}

function intParam(raw: unknown, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n)) throw badValue(`${name} must be an integer`)
  return n
}

/** startIndex (1-based; less than 1 means 1) and count (negative means 0; at most MAX_COUNT). */
function paging(q: Obj) {
  const startIndex = Math.max(1, intParam(q.startIndex, 'startIndex') ?? 1)
  const count = Math.min(MAX_COUNT, Math.max(0, intParam(q.count, 'count') ?? DEFAULT_COUNT))
  return { startIndex, count }
}

function attributeList(raw: unknown): string[] | undefined {
  if (typeof raw !== 'string' || !raw.trim()) return undefined
  return raw.split(',').map((a) => a.trim().toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, '').split('.')[0])
}

/** attributes / excludedAttributes (RFC 7644 section 3.9) on top-level attributes; id, schemas and meta always stay. */
function project(resource: Obj, q: Obj): Obj {
  const only = attributeList(q.attributes)
  const without = attributeList(q.excludedAttributes)
  if (!only && !without) return resource
  const always = new Set(['id', 'schemas', 'meta'])
  return Object.fromEntries(Object.entries(resource).filter(([k]) => {
    const key = k.toLowerCase()
    if (always.has(key)) return true
    if (only) return only.includes(key)
    return !without!.includes(key)
  }))
}

function ifMatchOf(req: FastifyRequest): string | undefined {
  const v = req.headers['if-match']
  return typeof v === 'string' ? v : undefined
}

/** If-None-Match on a GET: the client's copy is current, 304 without a body. */
function notModified(req: FastifyRequest, reply: FastifyReply, version: string): boolean {
  const v = req.headers['if-none-match']
  if (typeof v !== 'string') return false
  const strip = (t: string) => t.trim().replace(/^W\//, '')
  if (!v.split(',').some((t) => t.trim() === '*' || strip(t) === strip(version))) return false
  reply.code(304).header('etag', version).send()
  return true
}

function requireSchema(body: unknown, urn: string): Obj {
  if (!isObj(body)) throw new ScimError(400, 'The body must be a JSON object', 'invalidSyntax')
  const schemasOf = body.schemas
  if (!Array.isArray(schemasOf) || !schemasOf.includes(urn)) throw new ScimError(400, `schemas must include ${urn}`, 'invalidSyntax')
  return body
}

function roleOf(id: string): Role {
  if (!(ROLES as readonly string[]).includes(id)) throw notFoundScim('Group', id)
  return id as Role
}

/**
 * The name a PATCH meant. The display name (name.formatted, also shown as displayName) and the parts
 * are kept apart; a display name that was just its parts joined follows the parts when only they change.
 */
function patchedName(before: Obj, after: Obj): Obj {
  const get = (o: unknown, k: string) => (isObj(o) ? Object.entries(o).find(([x]) => x.toLowerCase() === k)?.[1] : undefined)
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined)
  const given = text(get(after.name, 'givenname'))
  const family = text(get(after.name, 'familyname'))
  const was = text(get(before.name, 'formatted'))
  const joined = (g?: string, f?: string) => [g, f].filter(Boolean).join(' ') || undefined
  let formatted = text(get(after.name, 'formatted'))
  const display = text(get(after, 'displayname'))
  if (formatted === was) {
    if (display !== undefined && display !== text(before.displayName)) formatted = display
    else if (was === joined(text(get(before.name, 'givenname')), text(get(before.name, 'familyname')))) formatted = joined(given, family) ?? was
  }
  return { formatted: formatted ?? joined(given, family) ?? display, givenName: given, familyName: family }
}

export async function scimV2(app: FastifyInstance, opts: { services: Services; validity: ValidityBus }) {
  const s = opts.services
  const dir = new ScimDirectory(s.db.db, s.db.dialect, s.audit, opts.validity, s.users)

  // SCIM clients send application/scim+json; plain JSON is accepted too (Fastify parses it already).
  app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
  app.decorateRequest('scimClient', null)

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let e: ScimError
    if (err instanceof ScimError) e = err
    else if (err instanceof ApiError) e = new ScimError(err.status, err.message, err.status === 400 ? 'invalidValue' : undefined, err.headers)
    else if (isTransient(err)) e = new ScimError(503, 'The database is busy; try again shortly', undefined, { 'retry-after': '1' })
    else if (err.statusCode && err.statusCode < 500) {
      // Fastify's own refusals (bad JSON, body too large, unknown media type): their messages are safe.
      e = new ScimError(err.statusCode, err.message, err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'invalidSyntax' : undefined)
    } else {
      req.log.error({ err }, 'SCIM request failed')
      e = new ScimError(500, 'Internal error')
    }
    const headers = e.status === 401 && !Object.keys(e.headers).some((h) => h.toLowerCase() === 'www-authenticate')
      ? { ...e.headers, 'www-authenticate': `Bearer realm="${REALM}"` } : e.headers
    return reply.status(e.status).headers(headers).type(SCIM_CONTENT_TYPE).send(e.body())
  })
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).type(SCIM_CONTENT_TYPE).send(new ScimError(404, `No SCIM endpoint ${req.method} ${req.url.split('?')[0]}`).body())
  })

  // Before the body is read: a caller without the SCIM token learns nothing, whatever it sends.
  app.addHook('onRequest', async (req, reply) => {
    reply.type(SCIM_CONTENT_TYPE)
    const q = req.query as Obj | undefined
    if (q && ['token', 'access_token', 'api_token', 'apitoken', 'authorization'].some((k) => k in q)) {
      throw unauthorized('Tokens are never accepted in the URL; send the SCIM token as Authorization: Bearer')
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    if (!m) throw unauthorized('Send the tenant\'s SCIM token as Authorization: Bearer <token>')
    const now = Date.now()
    const row = await s.db.db.selectFrom('credentials as c').innerJoin('users as u', 'u.id', 'c.owner_id')
      .select(['c.id', 'c.name', 'c.owner_id', 'u.email', 'u.disabled'])
      .where('c.token_hash', '=', hashToken(s.secret, m[1])).where('c.type', '=', SCIM_TYPE)
      .where('c.revoked_at', 'is', null).where((eb) => eb.or([eb('c.expires_at', 'is', null), eb('c.expires_at', '>', now)]))
      .executeTakeFirst()
    if (!row || row.disabled) throw unauthorized('The SCIM token is not valid')
    s.usage.record(row.id, req.ip ?? null, typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null, now)
    req.scimClient = { tokenId: row.id, actor: { id: row.owner_id, email: row.email, type: 'token', credentialName: row.name } }
  })

  const client = (req: FastifyRequest) => req.scimClient!
  const send = (reply: FastifyReply, status: number, body: unknown, version?: string) => {
    if (version) reply.header('etag', version)
    return reply.status(status).type(SCIM_CONTENT_TYPE).send(body)
  }

  // Discovery (RFC 7644 section 4)
  app.get('/ServiceProviderConfig', { schema: hidden }, async (req, reply) => send(reply, 200, serviceProviderConfig(baseUrl(req))))
  app.get('/ResourceTypes', { schema: hidden }, async (req, reply) => {
    const all = resourceTypes(baseUrl(req))
    return send(reply, 200, listResponse(all, all.length, 1))
  })
  app.get<{ Params: { id: string } }>('/ResourceTypes/:id', { schema: hidden }, async (req, reply) => {
    const one = resourceTypes(baseUrl(req)).find((r) => r.id === req.params.id)
    if (!one) throw notFoundScim('ResourceType', req.params.id)
    return send(reply, 200, one)
  })
  app.get('/Schemas', { schema: hidden }, async (req, reply) => {
    const all = schemas(baseUrl(req))
    return send(reply, 200, listResponse(all, all.length, 1))
  })
  app.get<{ Params: { id: string } }>('/Schemas/:id', { schema: hidden }, async (req, reply) => {
    const one = schemas(baseUrl(req)).find((r) => r.id === req.params.id)
    if (!one) throw notFoundScim('Schema', req.params.id)
    return send(reply, 200, one)
  })

  // Users
  const listUsers = async (req: FastifyRequest, reply: FastifyReply, q: Obj) => {
    const { startIndex, count } = paging(q)
    if (q.filter !== undefined && typeof q.filter !== 'string') throw new ScimError(400, 'filter must be a string', 'invalidFilter')
    const filter = typeof q.filter === 'string' && q.filter.trim() ? parseFilter(q.filter) : undefined
    const { total, rows } = await dir.list(filter, startIndex, count)
    const base = baseUrl(req)
    return send(reply, 200, listResponse(rows.map((u) => project(userResource(u, base), q)), total, startIndex))
  }
  app.get('/Users', { schema: hidden }, async (req, reply) => listUsers(req, reply, (req.query ?? {}) as Obj))
  app.post('/Users/.search', { schema: hidden }, async (req, reply) => {
    const body = requireSchema(req.body, 'urn:ietf:params:scim:api:messages:2.0:SearchRequest')
    return listUsers(req, reply, { ...body, attributes: Array.isArray(body.attributes) ? body.attributes.join(',') : body.attributes, excludedAttributes: Array.isArray(body.excludedAttributes) ? body.excludedAttributes.join(',') : body.excludedAttributes })
  })
  app.post('/Users', { schema: hidden }, async (req, reply) => {
    const input = personInput(requireSchema(req.body, URN.user))
    const u = await dir.create(client(req), input, auditContext(req))
    const r = userResource(u, baseUrl(req))
    reply.header('location', r.meta.location)
    return send(reply, 201, r, r.meta.version)
  })
  app.get<{ Params: { id: string } }>('/Users/:id', { schema: hidden }, async (req, reply) => {
    const u = await dir.get(req.params.id)
    if (notModified(req, reply, userVersion(u))) return reply
    return send(reply, 200, project(userResource(u, baseUrl(req)), (req.query ?? {}) as Obj), userVersion(u))
  })
  app.put<{ Params: { id: string } }>('/Users/:id', { schema: hidden }, async (req, reply) => {
    const input = personInput(requireSchema(req.body, URN.user))
    const u = await dir.update(client(req), req.params.id, () => input, auditContext(req), ifMatchOf(req))
    return send(reply, 200, userResource(u, baseUrl(req)), userVersion(u))
  })
  app.patch<{ Params: { id: string } }>('/Users/:id', { schema: hidden }, async (req, reply) => {
    const body = requireSchema(req.body, URN.patch)
    const base = baseUrl(req)
    const u = await dir.update(client(req), req.params.id, (cur) => {
      const before: Obj = userResource(cur, base)
      const after = applyPatch(before, body.Operations ?? body.operations, [URN.user])
      if (after.id !== cur.id) throw new ScimError(400, 'id cannot be changed', 'mutability')
      return personInput({ ...after, name: patchedName(before, after), displayName: undefined })
    }, auditContext(req), ifMatchOf(req))
    return send(reply, 200, userResource(u, base), userVersion(u))
  })
  app.delete<{ Params: { id: string } }>('/Users/:id', { schema: hidden }, async (req, reply) => {
    await dir.remove(client(req), req.params.id, auditContext(req), ifMatchOf(req))
    return reply.status(204).send()
  })

  // Groups: admin, developer and auditor, the console's roles
  const groupResource = async (role: Role, base: string, withMembers = true) => {
    const members = await dir.members(role)
    return {
      schemas: [URN.group], id: role, displayName: role,
      ...(withMembers ? { members: members.map((m) => ({ value: m.id, display: m.email, type: 'User', $ref: `${base}/Users/${m.id}` })) } : {}),
      meta: { resourceType: 'Group', location: `${base}/Groups/${role}`, version: groupVersion(role, members) },
    }
  }
  const membersExcluded = (q: Obj) => attributeList(q.excludedAttributes)?.includes('members') === true
    || (attributeList(q.attributes) !== undefined && !attributeList(q.attributes)!.includes('members'))
  app.get('/Groups', { schema: hidden }, async (req, reply) => {
    const q = (req.query ?? {}) as Obj
    const { startIndex, count } = paging(q)
    const matching = typeof q.filter === 'string' && q.filter.trim() ? groupFilter(parseFilter(q.filter), ROLES) : [...ROLES]
    const page = matching.slice(startIndex - 1, startIndex - 1 + count) as Role[]
    const base = baseUrl(req)
    const resources = await Promise.all(page.map(async (r) => project(await groupResource(r, base, !membersExcluded(q)), q)))
    return send(reply, 200, listResponse(resources, matching.length, startIndex))
  })
  app.get<{ Params: { id: string } }>('/Groups/:id', { schema: hidden }, async (req, reply) => {
    const q = (req.query ?? {}) as Obj
    const g = await groupResource(roleOf(req.params.id), baseUrl(req), !membersExcluded(q))
    if (notModified(req, reply, g.meta.version)) return reply
    return send(reply, 200, project(g, q), g.meta.version)
  })
  const memberIds = (members: unknown): string[] => {
    if (members === undefined || members === null) return []
    if (!Array.isArray(members)) throw badValue('members must be an array')
    const ids = members.map((m) => (isObj(m) ? Object.entries(m).find(([k]) => k.toLowerCase() === 'value')?.[1] : m))
    if (ids.some((v) => typeof v !== 'string')) throw badValue('Each member needs a value (a User id)')
    return [...new Set(ids as string[])]
  }
  const changeGroup = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, next: (current: Obj) => Obj) => {
    const role = roleOf(req.params.id)
    const base = baseUrl(req)
    const current = await groupResource(role, base)
    const wanted = next(current)
    const display = Object.entries(wanted).find(([k]) => k.toLowerCase() === 'displayname')?.[1]
    if (display !== undefined && display !== role) throw new ScimError(400, 'A group\'s displayName is its role and cannot change', 'mutability')
    const members = Object.entries(wanted).find(([k]) => k.toLowerCase() === 'members')?.[1]
    await dir.setMembers(client(req), role, memberIds(members), auditContext(req), ifMatchOf(req))
    const g = await groupResource(role, base)
    return send(reply, 200, g, g.meta.version)
  }
  app.put<{ Params: { id: string } }>('/Groups/:id', { schema: hidden }, async (req, reply) => changeGroup(req, reply, () => requireSchema(req.body, URN.group)))
  app.patch<{ Params: { id: string } }>('/Groups/:id', { schema: hidden }, async (req, reply) => {
    const body = requireSchema(req.body, URN.patch)
    return changeGroup(req, reply, (current) => applyPatch(current, body.Operations ?? body.operations, [URN.group]))
  })
  const fixedGroups = async () => {
    throw new ScimError(501, 'Groups are the console\'s three roles (admin, developer, auditor); they cannot be created or deleted')
  }
  app.post('/Groups', { schema: hidden }, fixedGroups)
  app.delete('/Groups/:id', { schema: hidden }, fixedGroups)
}
