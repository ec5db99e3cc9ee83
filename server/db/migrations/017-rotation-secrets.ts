// Rotation that keeps the credential: the same row gets a new secret and the one it replaces stays
// valid for the overlap. The previous secret's keyed hash sits beside the current one, each with a
// unique index, so the token check still finds either in one indexed query. usage_sources learns
// which secret each caller last used, so the rotation view and the usage-confirmed cut-over can
// tell a caller that has switched from one still on the previous secret.
import { sql, type Kysely } from 'kysely'

export const rotationSecrets = {
  async up(db: Kysely<unknown>) {
    const credentials = () => db.schema.alterTable('credentials')
    await credentials().addColumn('previous_token_hash', 'text').execute()
    await credentials().addColumn('previous_last4', 'text').execute()
    // When the previous secret stops being accepted (the overlap's end, or sooner when ended early).
    await credentials().addColumn('previous_valid_until', 'bigint').execute()
    // Set once the previous secret's end has been made final and audited (cut-over job, revoke).
    await credentials().addColumn('previous_retired_at', 'bigint').execute()
    // When the current secret was issued; null: with the credential (created_at).
    await credentials().addColumn('secret_created_at', 'bigint').execute()
    await sql`CREATE UNIQUE INDEX credentials_previous_token_hash ON credentials (previous_token_hash) WHERE previous_token_hash IS NOT NULL`.execute(db)
    // The cut-over job's worklist: overlaps not yet made final.
    await sql`CREATE INDEX credentials_previous_open ON credentials (previous_valid_until) WHERE previous_token_hash IS NOT NULL AND previous_retired_at IS NULL`.execute(db)
    await db.schema.alterTable('usage_sources').addColumn('current_last_seen', 'bigint').execute()
    await db.schema.alterTable('usage_sources').addColumn('previous_last_seen', 'bigint').execute()
    // Until now every credential had one secret: each recorded use was of the current one.
    await sql`UPDATE usage_sources SET current_last_seen = last_seen`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('usage_sources').dropColumn('previous_last_seen').execute()
    await db.schema.alterTable('usage_sources').dropColumn('current_last_seen').execute()
    await sql`DROP INDEX credentials_previous_open`.execute(db)
    await sql`DROP INDEX credentials_previous_token_hash`.execute(db)
    for (const c of ['secret_created_at', 'previous_retired_at', 'previous_valid_until', 'previous_last4', 'previous_token_hash']) {
      await db.schema.alterTable('credentials').dropColumn(c).execute()
    }
  },
}
