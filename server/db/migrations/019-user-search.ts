// People search (the Users page and the owner pickers): a substring of a name or an email, ignoring
// case. On PostgreSQL pg_trgm GIN indexes answer ILIKE '%term%' without reading the table; on SQLite
// the page walks the unique email index and stops after a page of matches (people are a small table
// beside the credentials, which have their own FTS5 search).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../connection.js'

export function userSearch(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return
      await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db)
      await sql`CREATE INDEX IF NOT EXISTS users_email_trgm ON users USING gin (email gin_trgm_ops)`.execute(db)
      await sql`CREATE INDEX IF NOT EXISTS users_name_trgm ON users USING gin (name gin_trgm_ops)`.execute(db)
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP INDEX IF EXISTS users_email_trgm`.execute(db)
      await sql`DROP INDEX IF EXISTS users_name_trgm`.execute(db)
    },
  }
}
