// The permission catalog for upstream services (server/permissions): names an administrator adds,
// marks sensitive or retires, and which credentials hold which of them. The credential row keeps its
// permissions as JSON for the token check; the link rows let the catalog count a permission's
// holders through an index instead of reading every credential.
import type { Kysely } from 'kysely'

export const permissionCatalog = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('permission_catalog')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('sensitive', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('retired_at', 'bigint')
      .addColumn('retired_by', 'text')
      .execute()
    await db.schema.createTable('credential_catalog_permissions')
      .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
      .addColumn('permission', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('credential_catalog_permissions_pk', ['credential_id', 'permission'])
      .execute()
    await db.schema.createIndex('credential_catalog_permissions_by_name').on('credential_catalog_permissions').columns(['permission', 'credential_id']).execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('credential_catalog_permissions').execute()
    await db.schema.dropTable('permission_catalog').execute()
  },
}
