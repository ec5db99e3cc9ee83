// Substring search over name, description and owner: SQLite FTS5 with the trigram tokenizer, or
// PostgreSQL pg_trgm GIN indexes behind ILIKE, through the same query layer. A rare term is looked up
// in the trigram index first and its (few) rows are sorted; a common one is filtered while walking
// the sort index, which finds a page of matches after a short scan precisely because it is common.
import { SqliteAdapter, sql, type Expression, type Kysely, type SqlBool } from 'kysely'
import type { Database } from './schema.js'

export interface SearchPlan {
  cond: Expression<SqlBool>
  /** The most rows the search can match, when known cheaply. */
  bound?: number
}

export function isSqlite(db: Kysely<Database>) {
  return db.getExecutor().adapter instanceof SqliteAdapter
}

const FTS_PROBE = 2000

/** A substring pattern for LIKE with backslash as its escape: the person's %, _ and backslashes stay literal. */
export function likePattern(q: string) {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`
}

/** People and service accounts whose email or name holds the pattern, ignoring case. */
export function userMatch(sqlite: boolean, pat: string) {
  return sqlite
    ? sql<SqlBool>`(lower(email) LIKE ${pat} ESCAPE '\\' OR lower(name) LIKE ${pat} ESCAPE '\\')`
    : sql<SqlBool>`(email ILIKE ${pat} OR name ILIKE ${pat})`
}

export async function searchPlan(db: Kysely<Database>, raw: string): Promise<SearchPlan> {
  const q = raw.toLowerCase()
  const pat = likePattern(q)
  const sqlite = isSqlite(db)
  // Owners are people and service accounts: a small table, searched directly.
  const owners = (await db.selectFrom('users').select('id')
    .where(userMatch(sqlite, pat))
    .limit(5000).execute()).map((r) => r.id)
  const ownerCond = owners.length ? sql<SqlBool>` OR c.owner_id IN (${sql.join(owners)})` : sql``
  let ownerRows = 0
  if (owners.length) {
    const r = await db.selectFrom('credential_counts').select((eb) => eb.fn.sum<number>('n').as('n'))
      .where('owner_id', 'in', owners).executeTakeFirst()
    ownerRows = Number(r?.n ?? 0)
  }
  if (!sqlite) {
    return { cond: sql<SqlBool>`(c.name ILIKE ${pat} OR c.description ILIKE ${pat}${ownerCond})` }
  }
  const likeCond = sql<SqlBool>`(c.name LIKE ${pat} ESCAPE '\\' OR c.description LIKE ${pat} ESCAPE '\\'${ownerCond})`
  // The trigram tokenizer needs at least three characters; shorter terms match so much that a scan wins.
  if ([...q].length < 3) return { cond: likeCond }
  // Owners alone already make the set large (an email domain, say): it is read in sort-index order
  // whatever the names hold, so the trigram probe would be wasted (5 ms at 1M for a common term).
  if (ownerRows > FTS_PROBE) return { cond: likeCond }
  const phrase = `"${q.replace(/"/g, '""')}"`
  const ids = (await sql<{ id: string }>`SELECT id FROM credentials_fts WHERE credentials_fts MATCH ${phrase} LIMIT ${FTS_PROBE + 1}`
    .execute(db)).rows.map((r) => r.id)
  if (ids.length > FTS_PROBE) return { cond: likeCond }
  return {
    cond: sql<SqlBool>`(c.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))${ownerCond})`,
    bound: ids.length + ownerRows,
  }
}
