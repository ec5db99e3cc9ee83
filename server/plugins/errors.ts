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

export function registerErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).headers(err.headers).send(err.toBody())
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
    return reply.status(status).send({ code, message: err.message, details: [] })
  })
}
