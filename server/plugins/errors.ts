// One error handler: every failure leaves as {code, message, details}; 5xx never shows internals.
import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { errorCodes } from '../../contract/errors.js'
import { ApiError } from '../lib/errors.js'
import { isTransient } from '../services/audit.js'

interface ZodIssueLike {
  path?: PropertyKey[]
  message: string
  code?: string
  keys?: string[]
}

function issuesToDetails(prefix: string, issues: ZodIssueLike[]) {
  return issues.flatMap((i) => {
    const base = [prefix, ...(i.path ?? []).map(String)].filter(Boolean).join('.')
    if (i.code === 'unrecognized_keys' && i.keys?.length) {
      return i.keys.map((k) => ({ field: base ? `${base}.${k}` : k, reason: `Unknown field "${k}"` }))
    }
    return [{ field: base || undefined, reason: i.message }]
  })
}

/** The protection space of every challenge this server sends. */
export const REALM = 'token-console'

/**
 * RFC 9110 section 15.5.2: a 401 carries a WWW-Authenticate challenge. A refusal that names its own
 * (a refused token: error="invalid_token") keeps it; every other 401 (no credentials at all, an
 * expired console session, a wrong password, a stale sign-in) gets the plain Bearer challenge, with
 * no error code, as RFC 6750 section 3.1 asks when the request carried no usable credentials.
 */
export function withChallenge(status: number, headers: Record<string, string>): Record<string, string> {
  if (status !== 401 || Object.keys(headers).some((h) => h.toLowerCase() === 'www-authenticate')) return headers
  return { ...headers, 'www-authenticate': `Bearer realm="${REALM}"` }
}

export function registerErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).headers(withChallenge(err.status, err.headers)).send(err.toBody())
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext === 'body' ? '' : (err.validationContext ?? '')
      const details = issuesToDetails(where === 'querystring' || where === 'params' ? '' : where, err.validation.map((v) => ({
        path: v.instancePath.split('/').filter(Boolean),
        message: v.message ?? 'is invalid',
        code: v.keyword,
        keys: (v.params as { keys?: string[] }).keys,
      })))
      const first = details[0]
      const message = first ? (first.field ? `${first.field}: ${first.reason}` : first.reason) : 'Invalid request'
      return reply.status(400).send({ code: errorCodes.INVALID_ARGUMENT, message, details })
    }
    if (err.name === 'ZodError') {
      const issues = (err as unknown as { issues: ZodIssueLike[] }).issues
      const details = issuesToDetails('', issues)
      return reply.status(400).send({ code: errorCodes.INVALID_ARGUMENT, message: details[0]?.reason ?? 'Invalid request', details })
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err: { message: err.message, cause: String(err.cause) } }, 'response did not match the contract')
      return reply.status(500).send({ code: errorCodes.INTERNAL, message: 'Internal error', details: [] })
    }
    if (isTransient(err)) {
      return reply.status(503).header('retry-after', '1').send({ code: errorCodes.UNAVAILABLE, message: 'The database is busy; try again shortly', details: [] })
    }
    const status = err.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      return reply.status(500).send({ code: errorCodes.INTERNAL, message: 'Internal error', details: [] })
    }
    // Fastify's own 4xx (bad JSON, body too large, wrong content type): their messages are safe.
    const code = status === 401 ? errorCodes.UNAUTHENTICATED : status === 403 ? errorCodes.PERMISSION_DENIED
      : status === 404 ? errorCodes.NOT_FOUND : status === 429 ? errorCodes.RESOURCE_EXHAUSTED : errorCodes.INVALID_ARGUMENT
    return reply.status(status).headers(withChallenge(status, {})).send({ code, message: err.message, details: [] })
  })
}
