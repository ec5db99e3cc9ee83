// What a million credentials need. A stored `state` (live/disabled/revoked; "expired" is a
// live row whose expires_at is past, so it stays an index range), the owner's email beside each row
// for the owner sort, one (key, id) index per console sort, counters kept by triggers in the same
// transaction as every change, trigram search (FTS5 / pg_trgm), and hourly/daily roll-ups the
// dashboard reads instead of the raw log.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../connection.js'

/** A far-future stand-in for "never expires", so the expiry sort key is never NULL. */
export const NEVER = 9_000_000_000_000_000
export const HOUR_MS = 3_600_000

/** Indexes the console's sorts and filters read. The seed drops and rebuilds them around a bulk load. */
export const credentialIndexes: Array<[string, string]> = [
  ['credentials_created_id', '(created_at, id)'],
  ['credentials_name_id', '(name, id)'],
  ['credentials_type_id', '(type, id)'],
  ['credentials_scope_id', '(scope, id)'],
  ['credentials_owner_email_id', '(owner_email, id)'],
  ['credentials_last_used_id', '((COALESCE(last_used_at, 0)), id)'],
  ['credentials_expires_id', `((COALESCE(expires_at, ${NEVER})), id)`],
  ['credentials_state_id', '(state, id)'],
  ['credentials_state_expires', '(state, expires_at, id)'],
  ['credentials_owner_created', '(owner_id, created_at, id)'],
  ['credentials_owner_state_expires', '(owner_id, state, expires_at)'],
  ['credentials_replaced_by', '(replaced_by)'],
  ['credentials_created_by', '(created_by, created_at, id)'],
]

export const auditIndexes: Array<[string, string]> = [
  ['audit_actor_email_id', '((lower(actor_email)), id)'],
  ['audit_action_id', '(action, id)'],
  ['audit_outcome_id', '(outcome, id)'],
  ['audit_target_name_id', '(target_name, id)'],
  ['audit_credential_name_id', '(credential_name, id)'],
  ['audit_target_owner_id', '(target_owner_id, id)'],
  ['audit_actor_id', '(actor_id, id)'],
]

/** Triggers that keep state, owner_email, counters, search and roll-ups in step (SQLite). */
export const sqliteTriggers: string[] = [
  `CREATE TRIGGER credentials_fill AFTER INSERT ON credentials WHEN NEW.owner_email = '' BEGIN
     UPDATE credentials SET owner_email = (SELECT email FROM users WHERE id = NEW.owner_id),
       state = CASE WHEN NEW.revoked_at IS NOT NULL THEN 'revoked'
         WHEN (SELECT disabled FROM users WHERE id = NEW.owner_id) = 1 THEN 'disabled' ELSE 'live' END
     WHERE id = NEW.id;
   END`,
  `CREATE TRIGGER credentials_revoked_state AFTER UPDATE OF revoked_at ON credentials BEGIN
     UPDATE credentials SET state = CASE WHEN NEW.revoked_at IS NOT NULL THEN 'revoked'
       WHEN (SELECT disabled FROM users WHERE id = NEW.owner_id) = 1 THEN 'disabled' ELSE 'live' END
     WHERE id = NEW.id;
   END`,
  `CREATE TRIGGER users_disabled_state AFTER UPDATE OF disabled ON users WHEN OLD.disabled IS NOT NEW.disabled BEGIN
     UPDATE credentials SET state = CASE WHEN NEW.disabled = 1 THEN 'disabled' ELSE 'live' END
     WHERE owner_id = NEW.id AND state <> 'revoked';
   END`,
  `CREATE TRIGGER credentials_count_ins AFTER INSERT ON credentials BEGIN
     INSERT INTO credential_counts (owner_id, type, state, n) VALUES (NEW.owner_id, NEW.type, NEW.state, 1), ('', NEW.type, NEW.state, 1)
       ON CONFLICT (owner_id, type, state) DO UPDATE SET n = n + 1;
     INSERT INTO credential_expiry_counts (type, day, n) SELECT NEW.type, NEW.expires_at / 86400000, 1
       WHERE NEW.state = 'live' AND NEW.expires_at IS NOT NULL ON CONFLICT (type, day) DO UPDATE SET n = n + 1;
     INSERT INTO credentials_fts (id, name, description) VALUES (NEW.id, NEW.name, NEW.description);
   END`,
  `CREATE TRIGGER credentials_count_upd AFTER UPDATE OF state, expires_at, type, owner_id ON credentials
   WHEN OLD.state IS NOT NEW.state OR OLD.expires_at IS NOT NEW.expires_at OR OLD.type IS NOT NEW.type OR OLD.owner_id IS NOT NEW.owner_id BEGIN
     INSERT INTO credential_counts (owner_id, type, state, n) VALUES (OLD.owner_id, OLD.type, OLD.state, -1), ('', OLD.type, OLD.state, -1)
       ON CONFLICT (owner_id, type, state) DO UPDATE SET n = n - 1;
     INSERT INTO credential_counts (owner_id, type, state, n) VALUES (NEW.owner_id, NEW.type, NEW.state, 1), ('', NEW.type, NEW.state, 1)
       ON CONFLICT (owner_id, type, state) DO UPDATE SET n = n + 1;
     INSERT INTO credential_expiry_counts (type, day, n) SELECT OLD.type, OLD.expires_at / 86400000, -1
       WHERE OLD.state = 'live' AND OLD.expires_at IS NOT NULL ON CONFLICT (type, day) DO UPDATE SET n = n - 1;
     INSERT INTO credential_expiry_counts (type, day, n) SELECT NEW.type, NEW.expires_at / 86400000, 1
       WHERE NEW.state = 'live' AND NEW.expires_at IS NOT NULL ON CONFLICT (type, day) DO UPDATE SET n = n + 1;
   END`,
  `CREATE TRIGGER credentials_count_del AFTER DELETE ON credentials BEGIN
     INSERT INTO credential_counts (owner_id, type, state, n) VALUES (OLD.owner_id, OLD.type, OLD.state, -1), ('', OLD.type, OLD.state, -1)
       ON CONFLICT (owner_id, type, state) DO UPDATE SET n = n - 1;
     INSERT INTO credential_expiry_counts (type, day, n) SELECT OLD.type, OLD.expires_at / 86400000, -1
       WHERE OLD.state = 'live' AND OLD.expires_at IS NOT NULL ON CONFLICT (type, day) DO UPDATE SET n = n - 1;
     DELETE FROM credentials_fts WHERE id = OLD.id;
   END`,
  `CREATE TRIGGER credentials_fts_upd AFTER UPDATE OF name, description ON credentials BEGIN
     DELETE FROM credentials_fts WHERE id = OLD.id;
     INSERT INTO credentials_fts (id, name, description) VALUES (NEW.id, NEW.name, NEW.description);
   END`,
  `CREATE TRIGGER audit_hourly_ins AFTER INSERT ON audit_events BEGIN
     INSERT INTO audit_hourly (hour, action, n) VALUES (NEW.at / ${HOUR_MS}, NEW.action, 1)
       ON CONFLICT (hour, action) DO UPDATE SET n = n + 1;
   END`,
  `CREATE TRIGGER usage_day_ins AFTER INSERT ON usage_daily BEGIN
     INSERT INTO usage_day_totals (day, n) VALUES (NEW.day, NEW.count) ON CONFLICT (day) DO UPDATE SET n = n + excluded.n;
   END`,
  `CREATE TRIGGER usage_day_upd AFTER UPDATE OF count ON usage_daily BEGIN
     INSERT INTO usage_day_totals (day, n) VALUES (NEW.day, NEW.count - OLD.count) ON CONFLICT (day) DO UPDATE SET n = n + excluded.n;
   END`,
]
export const sqliteTriggerNames = sqliteTriggers.map((t) => /CREATE TRIGGER (\w+)/.exec(t)![1])

const pgFunctions = `
CREATE FUNCTION credentials_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.owner_email = '' THEN NEW.owner_email := (SELECT email FROM users WHERE id = NEW.owner_id); END IF;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
    NEW.state := CASE WHEN NEW.revoked_at IS NOT NULL THEN 'revoked'
      WHEN (SELECT disabled FROM users WHERE id = NEW.owner_id) = 1 THEN 'disabled' ELSE 'live' END;
  END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION credential_count_add(o text, t text, s text, e bigint, d int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO credential_counts (owner_id, type, state, n) VALUES (o, t, s, d), ('', t, s, d)
    ON CONFLICT (owner_id, type, state) DO UPDATE SET n = credential_counts.n + excluded.n;
  INSERT INTO credential_expiry_counts (type, day, n) SELECT t, e / 86400000, d WHERE s = 'live' AND e IS NOT NULL
    ON CONFLICT (type, day) DO UPDATE SET n = credential_expiry_counts.n + excluded.n;
$$;
CREATE FUNCTION credentials_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF TG_OP = 'DELETE' OR OLD.state IS DISTINCT FROM NEW.state OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
       OR OLD.type IS DISTINCT FROM NEW.type OR OLD.owner_id IS DISTINCT FROM NEW.owner_id THEN
      PERFORM credential_count_add(OLD.owner_id, OLD.type, OLD.state, OLD.expires_at, -1);
      IF TG_OP = 'UPDATE' THEN PERFORM credential_count_add(NEW.owner_id, NEW.type, NEW.state, NEW.expires_at, 1); END IF;
    END IF;
    RETURN NULL;
  END IF;
  PERFORM credential_count_add(NEW.owner_id, NEW.type, NEW.state, NEW.expires_at, 1);
  RETURN NULL;
END $$;
CREATE FUNCTION users_disabled_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.disabled IS DISTINCT FROM NEW.disabled THEN
    UPDATE credentials SET state = CASE WHEN NEW.disabled = 1 THEN 'disabled' ELSE 'live' END
    WHERE owner_id = NEW.id AND state <> 'revoked';
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION audit_hourly_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_hourly (hour, action, n) VALUES (NEW.at / ${HOUR_MS}, NEW.action, 1)
    ON CONFLICT (hour, action) DO UPDATE SET n = audit_hourly.n + 1;
  RETURN NULL;
END $$;
CREATE FUNCTION usage_day_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO usage_day_totals (day, n) VALUES (NEW.day, NEW.count - CASE WHEN TG_OP = 'UPDATE' THEN OLD.count ELSE 0 END)
    ON CONFLICT (day) DO UPDATE SET n = usage_day_totals.n + excluded.n;
  RETURN NULL;
END $$;`

export const pgTriggers: string[] = [
  'CREATE TRIGGER credentials_before BEFORE INSERT OR UPDATE ON credentials FOR EACH ROW EXECUTE FUNCTION credentials_before()',
  'CREATE TRIGGER credentials_after AFTER INSERT OR UPDATE OR DELETE ON credentials FOR EACH ROW EXECUTE FUNCTION credentials_after()',
  'CREATE TRIGGER users_disabled_state AFTER UPDATE OF disabled ON users FOR EACH ROW EXECUTE FUNCTION users_disabled_state()',
  'CREATE TRIGGER audit_hourly_ins AFTER INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_hourly_ins()',
  'CREATE TRIGGER usage_day_totals_add AFTER INSERT OR UPDATE OF count ON usage_daily FOR EACH ROW EXECUTE FUNCTION usage_day_totals_add()',
]
export const pgTriggerTables: Record<string, string> = {
  credentials_before: 'credentials', credentials_after: 'credentials', users_disabled_state: 'users',
  audit_hourly_ins: 'audit_events', usage_day_totals_add: 'usage_daily',
}

/**
 * Recomputes every derived value from the rows themselves: used once by this migration and by the
 * seed after a bulk load (with the triggers off). Whole-table work, never on a request path.
 */
export async function rebuildDerived(db: Kysely<unknown>, dialect: Dialect) {
  await sql`UPDATE credentials SET owner_email = (SELECT email FROM users u WHERE u.id = credentials.owner_id),
    state = CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
      WHEN (SELECT disabled FROM users u WHERE u.id = credentials.owner_id) = 1 THEN 'disabled' ELSE 'live' END
    WHERE owner_email = '' OR state IS NULL`.execute(db)
  await sql`DELETE FROM credential_counts`.execute(db)
  await sql`INSERT INTO credential_counts (owner_id, type, state, n)
    SELECT owner_id, type, state, COUNT(*) FROM credentials GROUP BY owner_id, type, state`.execute(db)
  await sql`INSERT INTO credential_counts (owner_id, type, state, n)
    SELECT '', type, state, COUNT(*) FROM credentials GROUP BY type, state`.execute(db)
  await sql`DELETE FROM credential_expiry_counts`.execute(db)
  await sql`INSERT INTO credential_expiry_counts (type, day, n)
    SELECT type, expires_at / 86400000, COUNT(*) FROM credentials WHERE state = 'live' AND expires_at IS NOT NULL
    GROUP BY type, expires_at / 86400000`.execute(db)
  await sql`DELETE FROM audit_hourly`.execute(db)
  await sql`INSERT INTO audit_hourly (hour, action, n) SELECT at / ${sql.lit(HOUR_MS)}, action, COUNT(*) FROM audit_events
    GROUP BY at / ${sql.lit(HOUR_MS)}, action`.execute(db)
  await sql`DELETE FROM usage_day_totals`.execute(db)
  await sql`INSERT INTO usage_day_totals (day, n) SELECT day, SUM(count) FROM usage_daily GROUP BY day`.execute(db)
  if (dialect === 'sqlite') {
    await sql`DELETE FROM credentials_fts`.execute(db)
    await sql`INSERT INTO credentials_fts (id, name, description) SELECT id, name, description FROM credentials`.execute(db)
  }
}

export async function createIndexes(db: Kysely<unknown>, list: Array<[string, string]>, table: string) {
  for (const [name, cols] of list) await sql.raw(`CREATE INDEX IF NOT EXISTS ${name} ON ${table} ${cols}`).execute(db)
}

export function scale(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('credentials').addColumn('state', 'text', (c) => c.notNull().defaultTo('live')).execute()
      await db.schema.alterTable('credentials').addColumn('owner_email', 'text', (c) => c.notNull().defaultTo('')).execute()
      for (const old of ['credentials_owner_idx', 'credentials_expires_idx', 'credentials_created_idx']) {
        await db.schema.dropIndex(old).ifExists().execute()
      }
      await createIndexes(db, credentialIndexes, 'credentials')
      await createIndexes(db, auditIndexes, 'audit_events')

      await db.schema.createTable('credential_counts')
        .addColumn('owner_id', 'text', (c) => c.notNull()) // '' is the whole tenant
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('credential_counts_pk', ['owner_id', 'type', 'state'])
        .execute()
      await db.schema.createTable('credential_expiry_counts') // live credentials by UTC day of expiry, tenant-wide
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('day', 'bigint', (c) => c.notNull())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('credential_expiry_counts_pk', ['type', 'day'])
        .execute()
      await db.schema.createTable('audit_hourly')
        .addColumn('hour', 'bigint', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_hourly_pk', ['hour', 'action'])
        .execute()
      await db.schema.createTable('usage_day_totals')
        .addColumn('day', 'text', (c) => c.primaryKey())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .execute()

      if (dialect === 'sqlite') {
        await sql`CREATE VIRTUAL TABLE credentials_fts USING fts5(id UNINDEXED, name, description, tokenize = 'trigram')`.execute(db)
        await rebuildDerived(db, dialect)
        for (const t of sqliteTriggers) await sql.raw(t).execute(db)
      } else {
        await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db)
        await sql`CREATE INDEX credentials_name_trgm ON credentials USING gin (name gin_trgm_ops)`.execute(db)
        await sql`CREATE INDEX credentials_description_trgm ON credentials USING gin (description gin_trgm_ops)`.execute(db)
        await rebuildDerived(db, dialect)
        await sql.raw(pgFunctions).execute(db)
        for (const t of pgTriggers) await sql.raw(t).execute(db)
      }
    },
    async down() {
      throw new Error('003-scale cannot be reverted')
    },
  }
}
