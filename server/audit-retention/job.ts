// AUDIT_RETENTION_DAYS: once a day, the audit rows older than that many days go to a verified archive
// in AUDIT_ARCHIVE_DIR and are pruned behind a checkpoint (archive.ts), on one instance at a time.
// After the first pass each one archives about a day of rows; the prune of a pass is one transaction.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Dialect } from '../db/connection.js'
import { LockedJob } from '../db/job-lock.js'
import type { AuditLog } from '../services/audit.js'
import { archiveAudit, type ArchiveManifest } from './archive.js'

const RETENTION_LOCK = 727281

export class AuditRetentionJob extends LockedJob<ArchiveManifest[]> {
  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    private readonly audit: AuditLog,
    private readonly settings: { olderThanDays: number; outDir: string },
    onError: (err: unknown) => void,
  ) {
    super(db, dialect, RETENTION_LOCK, onError)
  }

  protected async pass(now: number): Promise<ArchiveManifest[]> {
    const r = await archiveAudit(this.db, this.audit, { ...this.settings, now })
    return r.manifest ? [r.manifest] : []
  }
}
