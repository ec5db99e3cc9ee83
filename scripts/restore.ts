// npm run restore -- --from DIR --data-dir NEW [--database-url URL]
// Restores a backup written by `npm run backup` into an empty place, and proves it before saying so:
// every file is checked against the manifest's sha256 first (a changed byte or a missing file is
// refused, naming the file); NEW must not exist or be empty, and a PostgreSQL target must hold no
// tables. SQLite: the database and keys are written into a temporary sibling of NEW, checked there
// (the audit chain recomputed, the row counts and the chain's last row compared with the manifest),
// and only then renamed to NEW, so a restore that stops half way never looks like a data directory.
// PostgreSQL: pg_restore in one transaction into the empty database, the same checks, keys into NEW.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { loadPg, openDb, type Db } from '../server/db/connection.js'
import { CheckPressure } from '../server/lib/check-pressure.js'
import { verifyChain } from '../server/services/audit-query.js'
import {
  BACKUP_FORMAT, BackupError, COUNTED_TABLES, copyPrivate, fsyncDir, MANIFEST, pgBin, pgConnection, PG_DUMP_FILE,
  requireEmptyDir, runTool, sha256File, SQLITE_FILE, type Manifest,
} from './lib/backup-common.js'

const usage = 'usage: npm run restore -- --from BACKUP_DIR --data-dir NEW_DATA_DIR [--database-url postgres://…/empty_database]'

/** The manifest, and every file it names checked for size and sha256; nothing is written before this passes. */
async function checkBackup(from: string): Promise<Manifest> {
  const file = path.join(from, MANIFEST)
  if (!fs.existsSync(from)) throw new BackupError(`${from} does not exist`)
  if (!fs.existsSync(file)) throw new BackupError(`${file} is missing: ${from} is not a backup, or one that did not finish`)
  let m: Manifest
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest
  } catch (err) {
    throw new BackupError(`${file} is not valid JSON (${(err as Error).message}): the backup is damaged`)
  }
  if (m.kind !== 'token-console-backup' || !Array.isArray(m.files)) throw new BackupError(`${file} is not a Token Console backup manifest`)
  if (m.format !== BACKUP_FORMAT) throw new BackupError(`${file} has format ${m.format}; this version restores format ${BACKUP_FORMAT}`)
  if (m.dialect !== 'sqlite' && m.dialect !== 'postgres') throw new BackupError(`${file} names an unknown database kind "${m.dialect}"`)
  const dbName = m.dialect === 'postgres' ? PG_DUMP_FILE : SQLITE_FILE
  if (!m.files.some((f) => f.name === dbName && f.role === 'database')) throw new BackupError(`${file} lists no ${dbName}`)
  for (const f of m.files) {
    // Names come from the manifest: only plain names inside the backup folder.
    if (typeof f.name !== 'string' || f.name !== path.basename(f.name) || f.name.startsWith('.')) throw new BackupError(`${file} names a file outside the backup: ${JSON.stringify(f.name)}`)
    const p = path.join(from, f.name)
    if (!fs.existsSync(p)) throw new BackupError(`${f.name} is missing from the backup (the manifest lists it): the backup is incomplete`)
    const size = fs.statSync(p).size
    if (size !== f.bytes) throw new BackupError(`${f.name} has ${size} bytes, the manifest says ${f.bytes}: the file was changed or cut short`)
    if ((await sha256File(p)) !== f.sha256) throw new BackupError(`${f.name} does not match its sha256 in the manifest: the file was changed since the backup`)
  }
  return m
}

async function countRows(conn: Db): Promise<Record<string, number>> {
  const tables = conn.dialect === 'postgres'
    ? (await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()`.execute(conn.db)).rows.map((r) => r.t)
    : (await sql<{ t: string }>`SELECT name AS t FROM sqlite_master WHERE type = 'table'`.execute(conn.db)).rows.map((r) => r.t)
  const counts: Record<string, number> = {}
  for (const t of COUNTED_TABLES) {
    if (tables.includes(t)) counts[t] = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(t)}`.execute(conn.db)).rows[0].n)
  }
  return counts
}

/** The restored data, opened as the server would open it: the chain recomputed, the counts compared. */
async function verifyRestored(conn: Db, m: Manifest) {
  const chain = await verifyChain(conn.db, new CheckPressure({ share: 1 }))
  if (!chain.intact) throw new BackupError(`the restored audit chain is broken at row ${chain.first_broken_id} (${chain.checked} rows verified before it)`)
  const counts = await countRows(conn)
  for (const [t, n] of Object.entries(m.row_counts)) {
    if (counts[t] !== n) throw new BackupError(`the restored ${t} table has ${counts[t] ?? 'no'} rows, the manifest says ${n}`)
  }
  const last = await conn.db.selectFrom('audit_events').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst()
  if ((last ? Number(last.id) : null) !== m.audit.last_id || (last?.hash ?? null) !== m.audit.last_hash) {
    throw new BackupError(`the restored audit chain ends at row ${last ? Number(last.id) : 'none'}, the manifest says ${m.audit.last_id ?? 'none'}`)
  }
  return chain
}

async function targetHasTables(databaseUrl: string): Promise<number> {
  const client = new (loadPg().Client)({ connectionString: databaseUrl })
  await client.connect()
  try {
    const r = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
    return r.rows[0].n
  } finally {
    await client.end()
  }
}

async function main(): Promise<number> {
  let values: { from?: string; 'data-dir'?: string; 'database-url'?: string; help?: boolean }
  try {
    ({ values } = parseArgs({ options: { from: { type: 'string' }, 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, help: { type: 'boolean' } } }))
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    return 2
  }
  if (values.help) { console.log(usage); return 0 }
  if (!values.from || !values['data-dir']) {
    console.error(`--from and --data-dir are required\n${usage}`)
    return 2
  }
  process.umask(0o077)
  const from = path.resolve(values.from)
  const target = path.resolve(values['data-dir'])
  const databaseUrl = values['database-url']
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.restoring-${process.pid}`)
  let restoredInto: string | undefined
  try {
    const m = await checkBackup(from)
    console.log(`Backup ${from}: ${m.dialect}, taken ${m.created_at}, ${m.files.length} files match the manifest's sha256.`)
    if (m.dialect === 'postgres' && !databaseUrl) throw new BackupError('this is a PostgreSQL backup: give --database-url, an empty database to restore into')
    if (m.dialect === 'sqlite' && databaseUrl) throw new BackupError('this is a SQLite backup: it restores into --data-dir alone, not into PostgreSQL (--database-url)')
    requireEmptyDir(target, 'the new data directory')
    if (databaseUrl) {
      const n = await targetHasTables(databaseUrl)
      if (n) throw new BackupError(`${pgConnection(databaseUrl).display} already has ${n} table${n === 1 ? '' : 's'}: restore only into an empty database`)
    }

    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.mkdirSync(tmp, { mode: 0o700 })
    fs.chmodSync(tmp, 0o700)
    for (const f of m.files) {
      if (f.role === 'readme' || (f.role === 'database' && m.dialect === 'postgres')) continue
      const to = path.join(tmp, f.name)
      copyPrivate(path.join(from, f.name), to)
      if ((await sha256File(to)) !== f.sha256) throw new BackupError(`${f.name} changed while it was copied`)
    }

    let conn: Db
    if (databaseUrl) {
      const c = pgConnection(databaseUrl)
      // One transaction: a restore that fails leaves the database as empty as it was.
      await runTool(pgBin('pg_restore'), ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${c.dbname}`, path.join(from, PG_DUMP_FILE)], c.env)
      restoredInto = c.display
      conn = openDb({ dataDir: tmp, databaseUrl })
    } else {
      conn = openDb({ dataDir: tmp })
    }
    let chain
    try {
      chain = await verifyRestored(conn, m)
    } finally {
      await conn.close()
    }
    // Only a verified restore takes NEW's name (an empty NEW is replaced whole by the rename).
    fs.renameSync(tmp, target)
    fsyncDir(path.dirname(target))
    console.log(`Restored into ${target}${restoredInto ? ` and ${restoredInto}` : ''}.`)
    console.log(`Audit chain intact: ${chain.checked} rows verified${m.audit.checkpoint ? ` from the archive checkpoint at row ${m.audit.checkpoint.last_id}` : ''}, ending at row ${m.audit.last_id ?? '(none)'}; row counts match the manifest (${Object.entries(m.row_counts).map(([t, n]) => `${t} ${n}`).join(', ')}).`)
    for (const n of m.not_included ?? []) console.log(`NOT in the backup: ${n.what}: ${n.why}`)
    console.log(`Start the server with DATA_DIR=${target}${databaseUrl ? ' and DATABASE_URL set to the restored database' : ''}. ${target} holds secret keys (0600).`)
    return 0
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true })
    console.error(err instanceof BackupError ? `Restore refused: ${err.message}` : `Restore failed: ${(err as Error).stack ?? err}`)
    if (restoredInto) console.error(`${restoredInto} holds the restored rows that failed the check: drop it before trying again.`)
    return 1
  }
}

process.exitCode = await main()
