// The F5 spec's remaining credential fields. A service credential's user groups
// (user_group_names, returned as given) and a kubeconfig's cluster, namespace and site, so get can
// answer them in gc_spec. Adding a column with a constant default rewrites no rows on either database.
import type { Kysely } from 'kysely'

export const specFields = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('credentials').addColumn('user_group_names', 'text', (c) => c.notNull().defaultTo('[]')).execute()
    await db.schema.alterTable('credentials').addColumn('k8s_name', 'text').execute()
    await db.schema.alterTable('credentials').addColumn('k8s_namespace', 'text').execute()
    await db.schema.alterTable('credentials').addColumn('site_name', 'text').execute()
  },
  async down(db: Kysely<unknown>) {
    for (const c of ['site_name', 'k8s_namespace', 'k8s_name', 'user_group_names']) {
      await db.schema.alterTable('credentials').dropColumn(c).execute()
    }
  },
}
