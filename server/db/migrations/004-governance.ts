// The stored tenant policy (one row, a JSON document) and the columns rotation and leak
// response need on credentials. Env values seed the policy on first start (PolicyService).
import type { Kysely } from 'kysely'

export const governance = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('policy')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .execute()
    await db.schema.alterTable('credentials').addColumn('leaked_at', 'bigint').execute()
    await db.schema.alterTable('credentials').addColumn('overlap_ends_at', 'bigint').execute()
    await db.schema.alterTable('credentials').addColumn('cutover_on_switch', 'integer', (c) => c.notNull().defaultTo(0)).execute()
    // The cut-over job reads only rows in an overlap: a small partial set.
    await db.schema.createIndex('credentials_overlap_idx').on('credentials').column('overlap_ends_at')
      .where('overlap_ends_at', 'is not', null).execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('credentials_overlap_idx').execute()
    await db.schema.alterTable('credentials').dropColumn('cutover_on_switch').execute()
    await db.schema.alterTable('credentials').dropColumn('overlap_ends_at').execute()
    await db.schema.alterTable('credentials').dropColumn('leaked_at').execute()
    await db.schema.dropTable('policy').execute()
  },
}
