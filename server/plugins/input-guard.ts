// Refuses strings no field may hold (NUL, control characters, lone surrogates) in the body, query
// string and path of every request, before validation: one rule for every route and both databases.
// PostgreSQL rejects NUL in text with an error and would silently replace lone surrogates, so
// leaving this to each schema would let one forgotten field answer 500 or store something else.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { unsafeStringReason } from '../../contract/identifiers.js'
import { ApiError } from '../lib/errors.js'

/** The first unsafe string in a parsed value, walked without recursion (bodies can nest deeply). */
export function findUnsafeString(root: unknown, prefix = ''): { field: string; reason: string } | undefined {
  const stack: Array<[unknown, string]> = [[root, prefix]]
  while (stack.length) {
    const [v, at] = stack.pop()!
    if (typeof v === 'string') {
      const reason = unsafeStringReason(v)
      if (reason) return { field: at || 'value', reason }
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`])
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const keyReason = unsafeStringReason(k)
        const label = keyReason ? JSON.stringify(k) : k
        const path = at ? `${at}.${label}` : label
        if (keyReason) return { field: path, reason: `field name ${keyReason}` }
        stack.push([child, path])
      }
    }
  }
  return undefined
}

function guard(req: FastifyRequest) {
  const bad = findUnsafeString(req.params) ?? findUnsafeString(req.query) ?? findUnsafeString(req.body)
  if (bad) throw new ApiError('INVALID_ARGUMENT', `${bad.field}: ${bad.reason}`, [{ field: bad.field, reason: bad.reason }])
}

export default fp(async function inputGuard(app: FastifyInstance) {
  // Callback style: on the token-check path an async hook costs a promise and a microtask per request.
  app.addHook('preValidation', (req, _reply, done) => {
    try {
      guard(req)
      done()
    } catch (err) {
      done(err as Error)
    }
  })
})
