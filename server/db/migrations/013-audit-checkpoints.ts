// Audit retention: rows older than a cut-off are written to a verified archive, and a checkpoint (the
// last archived row's id and hash) lets the live chain be verified from there on. The append-only
// rule becomes: no row is ever updated, and a row may be deleted only once a checkpoint covers it,
// so the database itself refuses to prune anything no archive holds. Checkpoints are append-only too.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../connection.js'

export function auditCheckpoints(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('first_id', 'bigint', (c) => c.notNull())
        .addColumn('last_id', 'bigint', (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .addColumn('rows', 'bigint', (c) => c.notNull())
        .addColumn('archive_file', 'text', (c) => c.notNull())
        .addColumn('archive_sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await sql`CREATE UNIQUE INDEX audit_checkpoints_last ON audit_checkpoints (last_id)`.execute(db)
      if (dialect === 'postgres') {
        await sql`DROP TRIGGER audit_events_no_change ON audit_events`.execute(db)
        await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
          FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`.execute(db)
        await sql`CREATE FUNCTION audit_events_prune_archived() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF OLD.id > (SELECT coalesce(max(last_id), 0) FROM audit_checkpoints) THEN
              RAISE EXCEPTION 'audit_events is append-only: rows are deleted only behind an archive checkpoint';
            END IF;
            RETURN OLD;
          END $$`.execute(db)
        await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
          FOR EACH ROW EXECUTE FUNCTION audit_events_prune_archived()`.execute(db)
        await sql`CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'audit_checkpoints is append-only'; END $$`.execute(db)
        await sql`CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
          FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()`.execute(db)
      } else {
        await sql`DROP TRIGGER audit_events_no_delete`.execute(db)
        await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
          WHEN OLD.id > (SELECT coalesce(max(last_id), 0) FROM audit_checkpoints)
          BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: rows are deleted only behind an archive checkpoint'); END`.execute(db)
        await sql`CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
          BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`.execute(db)
        await sql`CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
          BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`.execute(db)
      }
    },
    async down() {
      throw new Error('The audit checkpoint migration cannot be reverted: pruned rows live only in their archives')
    },
  }
}
