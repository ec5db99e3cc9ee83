// Creating, renewing and rotating a credential, and every administrative change (the policy, people
// and their roles or passwords, service credential roles, webhooks, the SCIM token), need a recent
// sign-in from a console session when the policy sets reauth_window_minutes (GitHub's sudo mode).
// A route opts in with `config: { recentSignIn: true }`; the auth plugin runs this check right after
// authenticating and before the handler, so a refusal comes before any state change. Ending things
// (revoking a credential or the SCIM token) is never gated: containment must not wait for a password.
// API tokens and client certificates carry no password to re-enter: they are never asked.
import type { FastifyRequest } from 'fastify'
import { REAUTHENTICATION_REQUIRED } from '../../contract/auth.js'
import { errorBodySchema } from '../../contract/errors.js'
import { ApiError } from '../lib/errors.js'
import type { Sessions } from '../services/sessions.js'

/** The 401 of an opted-in route, described for the API document. */
export const reauthErrorResponse = errorBodySchema.describe(
  `Unauthenticated. A console session whose last sign-in is older than the policy's reauth_window_minutes gets details [{ reason: "${REAUTHENTICATION_REQUIRED}" }]: confirm the password with POST /api/auth/reauthenticate, then repeat the request`,
)

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export function reauthenticationRequired(ageMinutes: number, windowMinutes: number): ApiError {
  return new ApiError(
    'UNAUTHENTICATED',
    `Confirm your password to continue: your last sign-in was ${plural(ageMinutes, 'minute')} ago; the tenant policy asks for one within ${plural(windowMinutes, 'minute')}`,
    [{ reason: REAUTHENTICATION_REQUIRED }],
  )
}

export function recentSignInCheck(sessions: Sessions, now: () => number = Date.now) {
  return async function requireRecentSignIn(req: FastifyRequest) {
    const p = req.principal
    if (p?.via !== 'session' || !p.sessionIdHash) return
    const fresh = await sessions.signInFreshness(p.sessionIdHash)
    if (!fresh || fresh.windowMinutes === null) return
    const age = now() - fresh.signedInAt
    if (age > fresh.windowMinutes * 60_000) throw reauthenticationRequired(Math.floor(age / 60_000), fresh.windowMinutes)
  }
}
