// People managed from outside: by the company's identity provider through single sign-on (the OpenID
// Connect subject that signs them in) or provisioned by a SCIM client (its externalId). `managed_by`
// says which, so the console shows their profile as read-only and SCIM or SSO stays the one source.
import { sql, type Kysely } from 'kysely'

export const identity = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('users').addColumn('managed_by', 'text').execute() // null | 'sso' | 'scim'
    await db.schema.alterTable('users').addColumn('external_id', 'text').execute()
    await db.schema.alterTable('users').addColumn('oidc_subject', 'text').execute()
    await sql`CREATE UNIQUE INDEX users_external_id ON users (external_id) WHERE external_id IS NOT NULL`.execute(db)
    await sql`CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject) WHERE oidc_subject IS NOT NULL`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP INDEX users_oidc_subject`.execute(db)
    await sql`DROP INDEX users_external_id`.execute(db)
    await db.schema.alterTable('users').dropColumn('oidc_subject').execute()
    await db.schema.alterTable('users').dropColumn('external_id').execute()
    await db.schema.alterTable('users').dropColumn('managed_by').execute()
  },
}
