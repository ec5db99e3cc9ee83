// Bulk revoke by expired_selector as a job whose progress is committed with each batch
// (server/bulk-revoke). Listed newest first per creator, or tenant-wide for administrators.
import { sql, type Kysely } from 'kysely'

export const bulkRevokes = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('bulk_revokes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('family', 'text', (c) => c.notNull()) // user | service
      .addColumn('credential_type', 'text') // null: every type of the family
      .addColumn('owner_id', 'text') // null: tenant-wide; else the creator's own credentials only
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('actor_email', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('cutoff', 'bigint', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('revoked', 'integer', (c) => c.notNull())
      .addColumn('batches', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute()
    await sql`CREATE INDEX bulk_revokes_created ON bulk_revokes (created_at, id)`.execute(db)
    await sql`CREATE INDEX bulk_revokes_actor ON bulk_revokes (actor_id, created_at, id)`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('bulk_revokes').execute()
  },
}
