// The F5 XC credential family under /api/web/namespaces/system: api_credentials and service_credentials.
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  activateRequestSchema, bulkRevokeRequestSchema, bulkRevokeResponseSchema, createCredentialRequestSchema, createCredentialResponseSchema,
  createServiceCredentialRequestSchema, credentialNameParamsSchema, getResponseSchema, listQuerySchema,
  listResponseSchema, nameRequestSchema, renewRequestSchema, replaceServiceCredentialRequestSchema,
  replaceServiceCredentialResponseSchema, statusResponseSchema,
} from '../../contract/credentials.js'
import { errorBodySchema } from '../../contract/errors.js'
import { invalid } from '../lib/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { Services } from '../app.js'
import type { Family } from '../db/credentials-repo.js'
import type { BulkRevokesTable } from '../db/schema.js'
import { bulkRevokeJobSchema } from '../../contract/bulk-revokes.js'
import { BulkRevokes, toJob } from '../bulk-revoke/service.js'
import { storedRolesETag } from '../services/credential-etag.js'

const base = '/api/web/namespaces/:namespace'
const nsParams = z.strictObject({ namespace: z.string() })
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 429: errorBodySchema }
const staleRoles = errorBodySchema.describe('Precondition Failed: If-Match names roles that are no longer the stored ones (someone changed them since); details [{ field: "If-Match", reason: "etag_mismatch" }]. Read the credential again (its ETag) and reapply the change')

function checkNamespace(ns: string, bodyNs?: string) {
  if (ns !== 'system') throw invalid('namespace must be "system"', 'namespace')
  if (bodyNs !== undefined && bodyNs !== ns) throw invalid('namespace in the body must match the path', 'namespace')
}

export function credentialRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const families: Array<[Family, string, string]> = [
    ['user', 'api_credentials', 'API credentials'],
    ['service', 'service_credentials', 'Service credentials'],
  ]
  for (const [family, res, tag] of families) {
    r.get(`${base}/${res}`, {
      schema: { tags: [tag], summary: `List ${res}`, params: nsParams, querystring: listQuerySchema, response: { 200: listResponseSchema, ...errors } },
    }, async (req, reply) => {
      checkNamespace(req.params.namespace)
      const q = req.query
      if (q.limit !== undefined || q.cursor !== undefined || q.sort !== undefined) return s.credentials.list(requirePrincipal(req), family, q)
      // Unpaged (F5's own list): streamed from keyset pages, so memory stays flat whatever its length.
      const pieces = await s.credentials.listOwnJson(requirePrincipal(req), family, q)
      // A stream skips the response serializer; the body has the schema's shape (tests/api/scale-f5-stream.test.ts).
      return reply.type('application/json; charset=utf-8').send(Readable.from(pieces, { highWaterMark: 1 }) as never)
    })

    r.get(`${base}/${res}/:name`, {
      schema: {
        tags: [tag], summary: `Get one of ${res}`, params: nsParams.extend(credentialNameParamsSchema.shape), response: { 200: getResponseSchema, ...errors },
        ...(family === 'service' ? { description: 'The ETag header is the version of its namespace roles: send it in If-Match with PUT to change them only if no one has since.' } : {}),
      },
    }, async (req, reply) => {
      checkNamespace(req.params.namespace)
      // The tag is read before the body: a change in between makes it older than what is shown, so a
      // PUT with it is refused (412) rather than overwriting a change the caller never saw.
      const etag = family === 'service' ? await storedRolesETag(s.db.db, { name: req.params.name }) : undefined
      const body = await s.credentials.get(requirePrincipal(req), family, req.params.name)
      if (etag) reply.header('etag', etag)
      return body
    })

    if (family === 'user') {
      r.post(`${base}/${res}`, {
        schema: { tags: [tag], summary: 'Create an API token; its value is in this response only', params: nsParams, body: createCredentialRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse } },
        config: { recentSignIn: true },
      }, async (req) => {
        checkNamespace(req.params.namespace, req.body.namespace)
        return s.credentials.create(requirePrincipal(req), req.body, auditContext(req))
      })
    } else {
      r.post(`${base}/${res}`, {
        schema: { tags: [tag], summary: 'Create a service credential; its value is in this response only', params: nsParams, body: createServiceCredentialRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse } },
        config: { recentSignIn: true },
      }, async (req) => {
        checkNamespace(req.params.namespace, req.body.namespace)
        return s.credentials.createService(requirePrincipal(req), req.body, auditContext(req))
      })
      r.put(`${base}/${res}/:name`, {
        schema: {
          tags: [tag], summary: 'Change the namespace roles of a service credential', params: nsParams.extend(credentialNameParamsSchema.shape),
          description: 'With If-Match (the ETag of GET, or *), the roles change only while that version is the stored one; otherwise 412 and nothing changes. Without it (F5 clients), as before. The answer\'s ETag is the new version.',
          body: replaceServiceCredentialRequestSchema, response: { 200: replaceServiceCredentialResponseSchema, ...errors, 401: reauthErrorResponse, 412: staleRoles },
        },
        // Raising roles (up to ves-io-admin) is as weighty as creating a credential with them.
        config: { recentSignIn: true },
      }, async (req, reply) => {
        checkNamespace(req.params.namespace, req.body.namespace)
        const { etag, ...replaced } = await s.credentials.replaceRoles(requirePrincipal(req), req.params.name, req.body, auditContext(req), req.headers['if-match'])
        reply.header('etag', etag)
        return replaced
      })
    }

    r.post(`${base}/renew/${res}`, {
      schema: { tags: [tag], summary: 'Set a new expiry counted from now', params: nsParams, body: renewRequestSchema, response: { 200: statusResponseSchema, ...errors, 401: reauthErrorResponse } },
      config: { recentSignIn: true },
    }, async (req) => {
      checkNamespace(req.params.namespace, req.body.namespace)
      return s.credentials.renew(requirePrincipal(req), family, req.body, auditContext(req))
    })

    r.post(`${base}/revoke/${res}`, {
      schema: { tags: [tag], summary: 'Revoke at once: refused from the moment this returns', params: nsParams, body: nameRequestSchema, response: { 200: statusResponseSchema, ...errors } },
    }, async (req) => {
      checkNamespace(req.params.namespace, req.body.namespace)
      return s.credentials.revoke(requirePrincipal(req), family, req.body.name, auditContext(req))
    })

    r.post(`${base}/activate/${res}`, {
      schema: { tags: [tag], summary: 'Re-activate: a no-op unless revoked; a revoked one only where the policy allows it (administrators; reason optional, kept in the audit log), never a leaked one', params: nsParams, body: activateRequestSchema, response: { 200: statusResponseSchema, ...errors } },
    }, async (req) => {
      checkNamespace(req.params.namespace, req.body.namespace)
      return s.credentials.activate(requirePrincipal(req), family, req.body, auditContext(req))
    })

    r.post(`/api/web/namespaces/system/bulk_revoke/${res}`, {
      schema: {
        tags: [tag],
        summary: 'Revoke up to 200 by name, or every expired one: in batches, each committed with its audit rows; '
          + 'Location names the job (GET it for progress). With Prefer: respond-async, 202 and the job at once',
        body: bulkRevokeRequestSchema,
        response: { 200: bulkRevokeResponseSchema, 202: bulkRevokeJobSchema, ...errors, 503: errorBodySchema },
      },
    }, async (req, reply) => {
      const p = requirePrincipal(req)
      if (req.body.name_selector) return s.credentials.bulkRevokeByName(p, family, req.body.name_selector.names, auditContext(req))
      const job = await s.bulkRevokes.create(p, family, req.body.expired_selector!.credential_type, req.body.expired_selector!.expected_count)
      const run = s.bulkRevokes.run(job, p, auditContext(req))
      reply.header('location', BulkRevokes.location(job.id))
      if (prefersAsync(req.headers.prefer)) {
        s.bulkRevokes.keepRunning(job.id, run)
        return reply.code(202).header('preference-applied', 'respond-async').send(toJob(job, Date.now()))
      }
      // F5's answer, streamed batch by batch: its names list has no bound, so it is never held whole.
      const body = f5BulkRevokeBody(run, () => s.bulkRevokes.keepRunning(job.id, run))
      return reply.type('application/json; charset=utf-8').send(Readable.from(body, { highWaterMark: 1 }) as never)
    })
  }
}

/** RFC 7240: the client would rather have 202 and follow the job than wait for the whole answer. */
function prefersAsync(prefer: string | string[] | undefined) {
  const all = Array.isArray(prefer) ? prefer.join(',') : prefer ?? ''
  return all.split(',').some((p) => p.split(';')[0].trim().toLowerCase() === 'respond-async')
}

/**
 * The F5 bulk revoke answer for expired_selector, one piece per committed batch. A run that stops
 * part-way says so in error_message (F5's field for it) with the job's address to resume it; the
 * status is already sent by then. If the reader goes away, the job goes on in the background.
 */
async function* f5BulkRevokeBody(run: AsyncGenerator<string[], BulkRevokesTable>, keepRunning: () => void) {
  let ended = false
  try {
    yield '{"credentials_failed":[],"credentials_marked_for_deletion":['
    for (let first = true; ;) {
      const step = await run.next()
      if (step.done) {
        ended = true
        const job = step.value
        const message = job.state === 'done' ? ''
          : `Stopped after revoking ${job.revoked} of ${job.total}: ${job.error ?? job.state}. Follow or resume it at ${BulkRevokes.location(job.id)}`
        yield `],"error_message":${JSON.stringify(message)}}`
        return
      }
      yield (first ? '' : ',') + step.value.map((n) => JSON.stringify(n)).join(',')
      first = false
    }
  } finally {
    if (!ended) keepRunning()
  }
}
