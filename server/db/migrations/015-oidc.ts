// Single sign-on with an OpenID Connect provider: the tenant's settings (one row; until an administrator
// saves them, OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are the values in force), the
// sign-ins under way (one row per redirect to the provider, used once, gone after ten minutes), and
// how each console session signed in, so an SSO session re-authenticates at its provider.
import type { Kysely } from 'kysely'

export const oidc = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oidc_settings')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('issuer', 'text')
      .addColumn('client_id', 'text')
      // AES-256-GCM under a key derived from the server secret: it is sent to the provider, so it cannot
      // be hashed, and the database alone never reveals it.
      .addColumn('client_secret_enc', 'text')
      .addColumn('role_claim', 'text', (c) => c.notNull())
      .addColumn('role_map', 'text', (c) => c.notNull())
      .addColumn('jit', 'integer', (c) => c.notNull())
      .addColumn('default_role', 'text', (c) => c.notNull())
      .addColumn('passwords_for_non_admins', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .execute()
    await db.schema
      .createTable('oidc_logins')
      // SHA-256 of the random id in the browser's cookie: the database never holds the cookie itself.
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('code_verifier', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('return_to', 'text', (c) => c.notNull())
      // Re-authentication: the session it refreshes and its person, or null for a sign-in.
      .addColumn('session_hash', 'text')
      .addColumn('user_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('oidc_logins_expiry_idx').on('oidc_logins').column('expires_at').execute()
    // null: a password sign-in (every session before this migration); 'sso': through the provider.
    await db.schema.alterTable('sessions').addColumn('sign_in_method', 'text').execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').dropColumn('sign_in_method').execute()
    await db.schema.dropTable('oidc_logins').execute()
    await db.schema.dropTable('oidc_settings').execute()
  },
}
