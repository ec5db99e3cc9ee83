// Least-privilege limits on a credential: the addresses it may be used from, a start time, and a
// request quota. The quota's counter lives in a table of its own (one row per limited credential,
// the current fixed window) so instances sharing PostgreSQL count together with one atomic upsert.
import { sql, type Kysely } from 'kysely'

export const tokenLimits = {
  async up(db: Kysely<unknown>) {
    const credentials = () => db.schema.alterTable('credentials')
    // JSON array of CIDRs (addresses normalised to /32 or /128); null: any address.
    await credentials().addColumn('allowed_cidrs', 'text').execute()
    // Requests per window; both null: no quota.
    await credentials().addColumn('rate_limit', 'integer').execute()
    await credentials().addColumn('rate_window_seconds', 'integer').execute()
    // Checks before this instant are refused (a token created to start later); null: from creation.
    await credentials().addColumn('not_before', 'bigint').execute()
    // The "scheduled" status filter and its count read only the few tokens that start later.
    await sql`CREATE INDEX credentials_not_before ON credentials (not_before, owner_id, type) WHERE not_before IS NOT NULL`.execute(db)
    await db.schema.createTable('rate_limit_windows')
      .addColumn('credential_id', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('rate_limit_windows').execute()
    await sql`DROP INDEX credentials_not_before`.execute(db)
    for (const c of ['not_before', 'rate_window_seconds', 'rate_limit', 'allowed_cidrs']) {
      await db.schema.alterTable('credentials').dropColumn(c).execute()
    }
  },
}
