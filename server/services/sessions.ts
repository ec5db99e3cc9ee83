// Console sessions: a random id in an HttpOnly cookie, stored only as a SHA-256 hash, with idle and
// absolute timeouts. The CSRF token is derived from the session id, so nothing more is stored.
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { readPolicy } from '../policy/queries.js'

export const SESSION_COOKIE = 'tc_session'
const TOUCH_EVERY_MS = 60_000

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

export class Sessions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: Buffer,
    private readonly idleMs: number,
    private readonly absoluteMs: number,
  ) {}

  async create(userId: string, ip: string | null, userAgent: string | null, now = Date.now()) {
    const id = crypto.randomBytes(32).toString('base64url')
    const idHash = sha256(id)
    const expiresAt = now + this.absoluteMs
    await this.db
      .insertInto('sessions')
      .values({ id_hash: idHash, user_id: userId, created_at: now, last_seen_at: now, expires_at: expiresAt, ip, user_agent: userAgent?.slice(0, 512) ?? null })
      .execute()
    return { id, idHash, expiresAt: Math.min(expiresAt, now + this.idleMs) }
  }

  /** The user id of a live session, refreshing its idle timer at most once a minute. */
  async resolve(id: string, now = Date.now()) {
    const idHash = sha256(id)
    const row = await this.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst()
    if (!row) return undefined
    if (row.expires_at <= now || row.last_seen_at + this.idleMs <= now) {
      await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
      return undefined
    }
    if (now - row.last_seen_at > TOUCH_EVERY_MS) {
      await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute()
    }
    return { idHash, userId: row.user_id, expiresAt: Math.min(row.expires_at, now + this.idleMs) }
  }

  /** Drops sessions past their absolute or idle limit; run at each sign-in, so the table stays small. */
  async purgeExpired(now = Date.now()) {
    await this.db.deleteFrom('sessions').where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - this.idleMs)])).execute()
  }

  /**
   * When the session last proved its password (the last re-entry, else the sign-in) and the tenant
   * policy's re-authentication window. The stored policy row is read directly: it always exists
   * once the app has started (PolicyService.init), and this runs only on create, renew and rotate.
   */
  async signInFreshness(idHash: string): Promise<{ signedInAt: number; windowMinutes: number | null } | undefined> {
    const [row, policy] = await Promise.all([
      this.db.selectFrom('sessions').select(['created_at', 'authenticated_at']).where('id_hash', '=', idHash).executeTakeFirst(),
      readPolicy(this.db),
    ])
    if (!row) return undefined
    return { signedInAt: row.authenticated_at ?? row.created_at, windowMinutes: policy?.settings.reauth_window_minutes ?? null }
  }

  /** Records a password re-entry; inside the caller's transaction, so it commits with its audit row. */
  async markAuthenticated(db: Kysely<Database>, idHash: string, now = Date.now()) {
    await db.updateTable('sessions').set({ authenticated_at: now }).where('id_hash', '=', idHash).execute()
  }

  async destroy(idHash: string) {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
  }

  async destroyAllFor(userId: string) {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute()
  }

  csrfTokenFor(idHash: string): string {
    return crypto.createHmac('sha256', this.secret).update(`csrf:${idHash}`).digest('base64url')
  }

  checkCsrf(idHash: string, presented: string | undefined): boolean {
    if (!presented) return false
    const a = Buffer.from(this.csrfTokenFor(idHash))
    const b = Buffer.from(presented)
    return a.length === b.length && crypto.timingSafeEqual(a, b)
  }
}
