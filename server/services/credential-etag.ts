// The version of a service credential's namespace roles as an entity tag: GET and PUT of
// …/service_credentials/{name} send it as ETag, and PUT with If-Match changes the roles only while
// they are still the ones the caller read (lib/etag.ts).
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { strongETag } from '../lib/etag.js'

/** Over what a replace can change (the roles and user groups), for that one credential. */
export const rolesETag = (row: { id: string; namespace_roles: string; user_group_names: string }) =>
  strongETag('service_credential', row.id, row.namespace_roles, row.user_group_names)

/** The tag of the stored row; by id inside a write transaction, or by name before a read. */
export async function storedRolesETag(db: Kysely<Database>, by: { id: string } | { name: string }): Promise<string | undefined> {
  const q = db.selectFrom('credentials').select(['id', 'namespace_roles', 'user_group_names'])
  const row = await ('id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name)).executeTakeFirst()
  return row && rolesETag(row)
}
