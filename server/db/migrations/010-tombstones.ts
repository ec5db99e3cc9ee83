// What is left of a removed credential (unused for two years, or its owner
// deleted): who held it, what it could do and when, never its hash. The name is free again.
import { sql, type Kysely } from 'kysely'

export const tombstones = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('credential_tombstones')
      .addColumn('id', 'text', (c) => c.primaryKey()) // the removed credential's id
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.notNull()) // no foreign key: the owner may be gone too
      .addColumn('owner_email', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('removed_at', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .execute()
    await sql`CREATE INDEX credential_tombstones_removed ON credential_tombstones (removed_at, id)`.execute(db)
    await sql`CREATE INDEX credential_tombstones_name ON credential_tombstones (name)`.execute(db)
    // The removal job's range: credentials by when they were last used (or created, if never).
    await sql`CREATE INDEX IF NOT EXISTS credentials_unused_since ON credentials ((COALESCE(last_used_at, created_at)), id)`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP INDEX IF EXISTS credentials_unused_since`.execute(db)
    await db.schema.dropTable('credential_tombstones').execute()
  },
}
