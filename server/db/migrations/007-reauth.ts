// When a session last proved its password. Sign-in sets created_at; a re-entry of
// the password (POST /api/auth/reauthenticate) sets authenticated_at, which then counts instead.
// Null on every existing row, so nothing is rewritten and those sessions fall back to created_at.
import type { Kysely } from 'kysely'

export const reauth = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('authenticated_at', 'bigint').execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').dropColumn('authenticated_at').execute()
  },
}
