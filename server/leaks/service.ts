// Leak response: a signed report from a secret scanner revokes the live tokens it names at once,
// marks them leaked (never re-activated) and audits each. The signature covers the timestamp and the
// raw body; a report older than the window, or one already accepted, is refused.
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { LeakReport, LeakReportResponse } from '../../contract/leaks.js'
import type { AuditContext, AuditLog } from '../services/audit.js'
import type { ValidityBus } from '../services/check-cache.js'
import { ApiError, notFound, unauthenticated } from '../lib/errors.js'
import { hashToken, isWellFormedToken } from '../lib/tokens.js'

/** How far a report's timestamp may be from now, either way. */
export const LEAK_WINDOW_MS = 5 * 60_000
const SCANNER = { id: null, email: null, type: 'anonymous' as const, credentialName: null }

export function signLeakReport(secret: string, timestamp: string, rawBody: string): string {
  return `v1=${crypto.createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`
}

export class LeakService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tokenSecret: Buffer,
    private readonly reportSecret: string | undefined,
    private readonly audit: AuditLog,
    private readonly validity: ValidityBus,
  ) {}

  /** Throws 401 unless the signature is right and the timestamp recent; returns the signature. */
  verify(timestamp: string | undefined, signature: string | undefined, rawBody: string, now = Date.now()): string {
    if (!this.reportSecret) throw notFound('Leak reporting')
    if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) throw unauthenticated('A signed leak report needs x-leak-report-timestamp and x-leak-report-signature')
    if (Math.abs(now - Number(timestamp) * 1000) > LEAK_WINDOW_MS) throw unauthenticated('The leak report is too old or from the future')
    const want = Buffer.from(signLeakReport(this.reportSecret, timestamp, rawBody))
    const got = Buffer.from(signature)
    if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) throw unauthenticated('The leak report signature is not valid')
    return signature
  }

  async report(entries: LeakReport, signature: string, ctx: AuditContext): Promise<LeakReportResponse> {
    const now = Date.now()
    const hashes = entries.map((e) => (isWellFormedToken(e.token) ? hashToken(this.tokenSecret, e.token) : null))
    const known = hashes.filter((h): h is string => h !== null)
    const rows = known.length
      ? await this.db.selectFrom('credentials').select(['id', 'name', 'owner_id', 'token_hash', 'previous_token_hash'])
        .where((eb) => eb.or([eb('token_hash', 'in', known), eb('previous_token_hash', 'in', known)])).execute()
      : []
    // A rotation's previous secret is the credential's too: its leak ends the credential like the current one's.
    const byHash = new Map(rows.flatMap((r) => [[r.token_hash, r], ...(r.previous_token_hash ? [[r.previous_token_hash, r] as const] : [])]))
    return this.audit.transact(async (trx, after) => {
      // Replay: the accepted report's signature is in the audit log; decided under the write lock.
      const seen = await trx.selectFrom('audit_events').select('id').where('action', '=', 'leak.report')
        .where('at', '>=', now - 2 * LEAK_WINDOW_MS).where('details', 'like', `%${signature.slice(3)}%`).executeTakeFirst()
      if (seen) throw new ApiError('UNAUTHENTICATED', 'This leak report was already received')
      const results: LeakReportResponse['results'] = []
      const ended: string[] = []
      for (const [i, e] of entries.entries()) {
        const row = hashes[i] ? byHash.get(hashes[i]!) : undefined
        if (!row) { results.push({ label: 'false_positive', status: 'unknown' }); continue }
        const res = await trx.updateTable('credentials').set({ revoked_at: now }).where('id', '=', row.id).where('revoked_at', 'is', null).executeTakeFirst()
        const live = Number(res.numUpdatedRows) > 0
        await trx.updateTable('credentials').set({ leaked_at: now }).where('id', '=', row.id).where('leaked_at', 'is', null).execute()
        await this.audit.append(trx, ctx, {
          action: 'credential.leak_report', actor: SCANNER, targetType: 'credential', targetName: row.name, targetOwnerId: row.owner_id,
          outcome: 'success', details: { revoked: live, url: e.url, source: e.source, type: e.type, ...(row.token_hash === hashes[i] ? {} : { secret: 'previous' }) },
        }, now)
        if (live) ended.push(row.token_hash)
        results.push({ label: 'true_positive', status: live ? 'revoked' : 'already_ended' })
      }
      await this.audit.append(trx, ctx, {
        action: 'leak.report', actor: SCANNER, outcome: 'success',
        details: { signature: signature.slice(3), entries: entries.length, revoked: ended.length },
      }, now)
      await this.validity.publish(trx, after, ended)
      return { revoked: ended.length, results }
    })
  }
}

