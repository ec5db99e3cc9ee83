// A SCIM client sends a person's name in parts (name.givenName, name.familyName) besides the display
// name kept in users.name. The parts are kept as sent, beside the person and gone with them, so a
// provider reads back what it wrote and can filter on them (server/scim).
import { sql, type Kysely } from 'kysely'

export const scim = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('scim_names')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('given_name', 'text')
      .addColumn('family_name', 'text')
      .execute()
    await sql`CREATE INDEX scim_names_family ON scim_names (lower(family_name))`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('scim_names').execute()
  },
}
