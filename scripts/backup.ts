// npm run backup -- --out DIR [--data-dir D]
// A consistent copy of the data while the server runs and takes writes, with the keys the data needs.
// Reads the server's settings (DATA_DIR, DATABASE_URL, TOKEN_HMAC_SECRET, CA_*) from the environment.
//   SQLite: the online backup API into DIR/token-console.sqlite (one read transaction: a snapshot of
//     every commit made before it began, writers never blocked in WAL mode), then an integrity check.
//   PostgreSQL: pg_dump --format=custom into DIR/token-console.pgdump, inside a snapshot exported from
//     the transaction that counts the rows, so the manifest describes exactly what the dump holds.
// The token HMAC key and the tenant CA's key and certificate go beside it. DIR and everything in it
// are private to the owner (0700/0600): whoever holds DIR can mint valid token hashes and certificates.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import { loadConfig } from '../server/config.js'
import { loadPg } from '../server/db/connection.js'
import { caSettings } from '../server/pki/ca.js'
import {
  BACKUP_FORMAT, BackupError, CA_CERT_FILE, CA_KEY_FILE, COUNTED_TABLES, copyPrivate, formatBytes, fsyncDir, MANIFEST,
  pgBin, pgConnection, PG_DUMP_FILE, README_SECRET, requireEmptyDir, runTool, SECRET_NOTICE, sha256File, SQLITE_FILE,
  TOKEN_KEY_FILE, writePrivate, type FileRole, type Manifest, type ManifestFile,
} from './lib/backup-common.js'

const usage = 'usage: npm run backup -- --out DIR [--data-dir DATA_DIR]'

type Counts = Pick<Manifest, 'row_counts' | 'audit' | 'snapshot_at'>

interface KeyCopy { from: string; name: string; role: FileRole }

/** Row counts and the audit chain's end, through whichever query function the dialect offers. */
async function describe(tables: string[], one: (q: string) => Promise<Record<string, unknown> | undefined>): Promise<Omit<Counts, 'snapshot_at'>> {
  const row_counts: Record<string, number> = {}
  for (const t of COUNTED_TABLES) {
    if (tables.includes(t)) row_counts[t] = Number((await one(`SELECT count(*) AS n FROM ${t}`))!.n)
  }
  const last = await one('SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1')
  const cp = tables.includes('audit_checkpoints') ? await one('SELECT last_id, last_hash FROM audit_checkpoints ORDER BY last_id DESC LIMIT 1') : undefined
  return {
    row_counts,
    audit: {
      last_id: last ? Number(last.id) : null,
      last_hash: last ? String(last.hash) : null,
      checkpoint: cp ? { last_id: Number(cp.last_id), last_hash: String(cp.last_hash) } : null,
    },
  }
}

async function backupSqlite(dataDir: string, out: string): Promise<Counts> {
  const source = path.join(dataDir, SQLITE_FILE)
  if (!fs.existsSync(source)) throw new BackupError(`no database at ${source}: set DATA_DIR (or --data-dir) to the server's data directory`)
  const dest = path.join(out, SQLITE_FILE)
  const src = new SQLite(source, { fileMustExist: true })
  let snapshotAt = ''
  try {
    src.pragma('busy_timeout = 5000')
    // The first step only opens the backup; every later one copies all remaining pages at once. A step
    // is one read transaction: the copy is the database as of that instant, whatever the server
    // commits meanwhile (in WAL mode the server's writers are not held up). Small steps would restart
    // from the first page after every write the server makes, and never finish under a steady load.
    snapshotAt = new Date().toISOString()
    await src.backup(dest, { progress: () => 0x7fffffff })
  } finally {
    src.close()
  }
  fs.chmodSync(dest, 0o600)
  const copy = new SQLite(dest, { fileMustExist: true })
  try {
    // A self-contained file: no -wal or -shm beside it. The server turns WAL back on when it opens it.
    copy.pragma('journal_mode = DELETE')
    const check = copy.pragma('integrity_check') as { integrity_check: string }[]
    if (check.length !== 1 || check[0].integrity_check !== 'ok') {
      throw new BackupError(`the copy failed SQLite's integrity check: ${check.slice(0, 5).map((r) => r.integrity_check).join('; ')}`)
    }
    const tables = (copy.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name)
    return { snapshot_at: snapshotAt, ...await describe(tables, async (q) => copy.prepare(q).get() as Record<string, unknown> | undefined) }
  } finally {
    copy.close()
  }
}

async function backupPostgres(databaseUrl: string, out: string): Promise<Counts> {
  const dest = path.join(out, PG_DUMP_FILE)
  const conn = pgConnection(databaseUrl)
  const pgDump = pgBin('pg_dump')
  const pg = loadPg()
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    // pg_dump takes its own snapshot; giving it this transaction's instead makes the counts and the
    // audit chain's end in the manifest describe exactly the rows in the dump.
    const snapshotAt = new Date().toISOString()
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s
    const tables = (await client.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()')).rows.map((r) => r.t)
    if (!tables.includes('audit_events')) throw new BackupError(`${conn.display} holds no Token Console tables: check DATABASE_URL`)
    const counts = await describe(tables, async (q) => (await client.query(q)).rows[0] as Record<string, unknown> | undefined)
    await runTool(pgDump, ['--format=custom', `--snapshot=${snapshot}`, `--file=${dest}`, `--dbname=${conn.dbname}`], conn.env)
    await client.query('COMMIT')
    fs.chmodSync(dest, 0o600)
    // Reading the archive's table of contents back is the dump's integrity check.
    await runTool(pgBin('pg_restore'), ['--list', dest], conn.env)
    return { snapshot_at: snapshotAt, ...counts }
  } finally {
    await client.end()
  }
}

async function main(): Promise<number> {
  let values: { out?: string; 'data-dir'?: string; help?: boolean }
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean' } } }))
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    return 2
  }
  if (values.help) { console.log(usage); return 0 }
  if (!values.out) {
    console.error(`--out is required\n${usage}`)
    return 2
  }
  // Everything this process creates is the owner's alone, even between a create and its chmod.
  process.umask(0o077)
  const env = { ...process.env, ...(values['data-dir'] ? { DATA_DIR: values['data-dir'] } : {}) }
  const config = loadConfig(env)
  const out = path.resolve(values.out)
  const started = Date.now()
  const written: string[] = []
  let madeDir = false
  try {
    requireEmptyDir(out, 'the backup folder')
    if (!fs.existsSync(out)) {
      fs.mkdirSync(out, { recursive: true, mode: 0o700 })
      madeDir = true
    }
    fs.chmodSync(out, 0o700)

    // The keys are looked for before the database is copied: a backup that could not restore working
    // tokens is refused before it takes any time.
    const keys: KeyCopy[] = []
    const notIncluded: Manifest['not_included'] = []
    if (config.tokenSecret) {
      notIncluded.push({ what: 'token HMAC key', why: 'it comes from TOKEN_HMAC_SECRET in the environment, not a file: keep that value separately; without it no restored token verifies and no webhook secret decrypts' })
    } else {
      const file = path.join(config.dataDir, TOKEN_KEY_FILE)
      if (!fs.existsSync(file)) {
        throw new BackupError(`no token HMAC key at ${file}: run the backup with the server's DATA_DIR (--data-dir) or the TOKEN_HMAC_SECRET it runs with; without the key no backed-up token could ever verify`)
      }
      keys.push({ from: file, name: TOKEN_KEY_FILE, role: 'token-hmac-key' })
    }
    const ca = caSettings(config)
    if (ca.keyPem || ca.certPem) {
      notIncluded.push({ what: 'tenant CA key and certificate', why: 'they come from CA_KEY_PEM/CA_CERT_PEM in the environment: keep those values separately; without them no new certificate chains to the ones already issued' })
    } else if (ca.keyFile || ca.certFile) {
      if (!ca.keyFile || !ca.certFile) throw new BackupError('CA_KEY_FILE and CA_CERT_FILE must be set together, as the server requires')
      keys.push({ from: ca.keyFile, name: CA_KEY_FILE, role: 'ca-key' }, { from: ca.certFile, name: CA_CERT_FILE, role: 'ca-cert' })
    } else if (fs.existsSync(path.join(config.dataDir, CA_KEY_FILE))) {
      keys.push({ from: path.join(config.dataDir, CA_KEY_FILE), name: CA_KEY_FILE, role: 'ca-key' }, { from: path.join(config.dataDir, CA_CERT_FILE), name: CA_CERT_FILE, role: 'ca-cert' })
    } else {
      notIncluded.push({ what: 'tenant CA key and certificate', why: `none exists yet in ${config.dataDir}: the server creates the CA when the first certificate is issued, so no data depends on one` })
    }
    for (const k of keys) if (!fs.existsSync(k.from)) throw new BackupError(`${k.from} (${k.role}) is missing`)

    const dialect = config.databaseUrl ? 'postgres' : 'sqlite'
    const dbFile = dialect === 'postgres' ? PG_DUMP_FILE : SQLITE_FILE
    written.push(path.join(out, dbFile))
    const counts = dialect === 'postgres' ? await backupPostgres(config.databaseUrl!, out) : await backupSqlite(config.dataDir, out)

    for (const k of keys) {
      written.push(path.join(out, k.name))
      copyPrivate(k.from, path.join(out, k.name))
    }
    const readme = [
      'Token Console backup',
      '',
      `${SECRET_NOTICE}.`,
      '',
      'Whoever holds the token HMAC key (token-secret.key) can check guessed tokens offline and decrypt the',
      'webhook signing secrets in the database; whoever holds the CA key (ca-key.pem) can issue certificates',
      'the server accepts. Keep this folder encrypted at rest, readable only by the operator, and destroy',
      'old copies as you would old passwords.',
      ...(notIncluded.length ? ['', 'Not in this backup (keep these separately):', ...notIncluded.map((n) => `- ${n.what}: ${n.why}`)] : []),
      '',
      'Restore with: npm run restore -- --from <this folder> --data-dir <new, empty folder>' + (dialect === 'postgres' ? ' --database-url <empty database>' : ''),
      '',
    ].join('\n')
    written.push(path.join(out, README_SECRET))
    writePrivate(path.join(out, README_SECRET), readme)

    const files: ManifestFile[] = []
    const roles: [string, FileRole][] = [[dbFile, 'database'], ...keys.map((k) => [k.name, k.role] as [string, FileRole]), [README_SECRET, 'readme']]
    for (const [name, role] of roles) {
      const file = path.join(out, name)
      files.push({ name, role, bytes: fs.statSync(file).size, sha256: await sha256File(file), secret: role === 'token-hmac-key' || role === 'ca-key' || role === 'database' })
    }
    const finished = Date.now()
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      kind: 'token-console-backup',
      secret: SECRET_NOTICE,
      created_at: new Date(started).toISOString(),
      finished_at: new Date(finished).toISOString(),
      duration_ms: finished - started,
      dialect,
      source: { data_dir: config.dataDir, database: dialect === 'postgres' ? pgConnection(config.databaseUrl!).display : path.join(config.dataDir, SQLITE_FILE) },
      files,
      not_included: notIncluded,
      ...counts,
    }
    // The manifest comes last and appears whole (a rename): a folder without one is an unfinished
    // backup, and restore refuses it.
    const tmp = path.join(out, `.${MANIFEST}.tmp`)
    written.push(tmp)
    writePrivate(tmp, `${JSON.stringify(manifest, null, 2)}\n`)
    fs.renameSync(tmp, path.join(out, MANIFEST))
    written.push(path.join(out, MANIFEST))
    fsyncDir(out)

    const total = files.reduce((s, f) => s + f.bytes, 0)
    console.log(`Backup of ${manifest.source.database} (${dialect}) written to ${out} in ${(manifest.duration_ms / 1000).toFixed(1)} s, ${formatBytes(total)}:`)
    for (const f of files) console.log(`  ${f.name.padEnd(22)} ${formatBytes(f.bytes).padStart(10)}  sha256 ${f.sha256.slice(0, 16)}…${f.secret ? '  SECRET' : ''}`)
    console.log(`  rows: ${Object.entries(counts.row_counts).map(([t, n]) => `${t} ${n}`).join(', ')}`)
    console.log(`  snapshot taken just after ${counts.snapshot_at}; audit chain ends at row ${counts.audit.last_id ?? '(none)'}`)
    for (const n of notIncluded) console.log(`  NOT included: ${n.what} (${n.why})`)
    console.log(`The folder is ${SECRET_NOTICE}.`)
    return 0
  } catch (err) {
    for (const f of written) fs.rmSync(f, { force: true })
    if (madeDir) fs.rmSync(out, { recursive: true, force: true })
    console.error(err instanceof BackupError ? `Backup refused: ${err.message}` : `Backup failed: ${(err as Error).stack ?? err}`)
    return 1
  }
}

process.exitCode = await main()
