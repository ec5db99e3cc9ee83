// Certificates the tenant CA issued. Only what identifies them is stored (serial,
// fingerprint, subject, not-after); keys never are. Revocation is the credential's own revoked_at.
import type { Kysely } from 'kysely'

export const pki = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('certificates')
      .addColumn('serial', 'text', (c) => c.primaryKey())
      .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
      .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('not_after', 'bigint', (c) => c.notNull())
      .addColumn('issued_at', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('certificates_credential_idx').on('certificates').column('credential_id').execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('certificates').execute()
  },
}
