// Strong entity tags for documents two administrators may edit at once (the policy, a service
// credential's roles): GET sends ETag, PUT honours If-Match (RFC 9110 §13.1.1) so a write based on
// an old read is refused with 412 instead of silently overwriting the other's change. Without
// If-Match a PUT behaves as before (F5's clients never send it).
import crypto from 'node:crypto'
import { ApiError } from './errors.js'

/** The detail reason of a 412: the If-Match header named a version that is no longer stored. */
export const STALE_ETAG = 'etag_mismatch'

/** A strong tag over the stored version: the same bytes give the same tag on every instance. */
export function strongETag(...parts: Array<string | number>): string {
  const h = crypto.createHash('sha256')
  for (const p of parts) h.update(String(p)).update('\0')
  return `"${h.digest('base64url').slice(0, 27)}"`
}

/**
 * Whether If-Match lets the write through: absent, `*` (the document exists, which these always
 * do), or a list holding the current tag. Strong comparison: a weak tag (W/"…") never matches.
 */
export function ifMatchHolds(header: string | string[] | undefined, current: string): boolean {
  if (header === undefined) return true
  const tags = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim()).filter(Boolean)
  return tags.some((t) => t === '*' || t === current)
}

/** 412 in the project's error shape (code 9, FAILED_PRECONDITION): the HTTP status is the precondition's own. */
export class PreconditionFailed extends ApiError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message, [{ field: 'If-Match', reason: STALE_ETAG }])
  }
  override get status() {
    return 412
  }
}

export function requireIfMatch(header: string | string[] | undefined, current: string, what: string) {
  if (!ifMatchHolds(header, current)) {
    throw new PreconditionFailed(`${what} changed since you read it (If-Match does not name the current version); read it again and reapply your change`)
  }
}
