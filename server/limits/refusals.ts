// The answers to a valid token refused by its own limits, one shape for /api/verify, introspection and
// every API call it authenticates. They name the reason (details[].reason) so a gateway can log why,
// and carry nothing secret: the token is never echoed, only the caller's own address.
import { ApiError } from '../lib/errors.js'
import { REALM } from '../plugins/errors.js'
import type { TokenCheck } from '../services/identity.js'
import { rateLimitHeaders } from './rate-counter.js'

type Refused = Extract<TokenCheck, { ok: false }>

/**
 * The refusal for a limit, or undefined for the other reasons (the caller's usual answer). A source
 * past the failed-check limit still gets that 429 first: retryAfter set on a not_yet_valid or
 * address_not_allowed refusal is the failure brake's.
 */
export function limitRefusal(r: Refused, ip: string | null): ApiError | undefined {
  if (r.reason === 'rate_limited' && r.rate) {
    const d = r.rate
    return new ApiError('RESOURCE_EXHAUSTED', `This token's rate limit is used up (${d.limit} requests per ${d.windowSeconds} s); try again in ${d.reset} s`,
      [{ reason: 'rate_limited' }], { ...rateLimitHeaders(d), 'retry-after': String(d.reset) })
  }
  if (r.retryAfter !== undefined) return undefined
  if (r.reason === 'not_yet_valid') return refusal('not_yet_valid', 'This token is not valid yet: it starts at its not_before time')
  if (r.reason === 'address_not_allowed') return refusal('address_not_allowed', `This token may not be used from ${ip ?? 'an unknown address'}: it is not in the token's allowed addresses`)
  return undefined
}

function refusal(reason: string, message: string) {
  // RFC 6750 section 3: invalid_token, with the reason in error_description (quoted-string: no " or \\).
  return new ApiError('UNAUTHENTICATED', message, [{ reason }], {
    'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${reason}"`,
  })
}
