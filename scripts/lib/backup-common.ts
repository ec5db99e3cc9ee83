// What `npm run backup` writes and `npm run restore` reads: the manifest's shape, the file names, the
// tables counted on both sides, and the PostgreSQL client tools (found like the test cluster finds them).
import crypto from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const BACKUP_FORMAT = 1
export const MANIFEST = 'manifest.json'
export const README_SECRET = 'README-SECRET.txt'
export const SQLITE_FILE = 'token-console.sqlite'
export const PG_DUMP_FILE = 'token-console.pgdump'
/** Names as the server looks for them in DATA_DIR (server/lib/secret.ts, server/pki/ca.ts). */
export const TOKEN_KEY_FILE = 'token-secret.key'
export const CA_KEY_FILE = 'ca-key.pem'
export const CA_CERT_FILE = 'ca-cert.pem'

export const SECRET_NOTICE = 'secret: this folder holds the keys that token hashes and certificates depend on; store it like a password'

/**
 * The tables whose row counts the manifest records and a restore compares: the data a restore must
 * bring back whole. Tables a deployment does not have yet (an older schema) are left out.
 */
export const COUNTED_TABLES = [
  'users', 'credentials', 'audit_events', 'audit_checkpoints', 'credential_tombstones', 'sessions',
  'policy', 'webhooks', 'webhook_deliveries', 'notifications', 'bulk_revokes', 'usage_daily',
] as const

export type FileRole = 'database' | 'token-hmac-key' | 'ca-key' | 'ca-cert' | 'readme'

export interface ManifestFile {
  name: string
  role: FileRole
  bytes: number
  sha256: string
  /** Whoever holds this file can forge or read what the data protects. */
  secret: boolean
}

export interface Manifest {
  format: number
  kind: 'token-console-backup'
  secret: string
  created_at: string
  finished_at: string
  /** Taken just before the copy's snapshot began: every write committed before this instant is in the backup. */
  snapshot_at: string
  duration_ms: number
  dialect: 'sqlite' | 'postgres'
  /** Where the data came from: the DATA_DIR, and the database file or PostgreSQL host/database (never a password). */
  source: { data_dir: string; database: string }
  files: ManifestFile[]
  /** Keys the data needs that this backup does not hold, and where they must come from instead. */
  not_included: { what: string; why: string }[]
  row_counts: Record<string, number>
  audit: { last_id: number | null; last_hash: string | null; checkpoint: { last_id: number; last_hash: string } | null }
}

export class BackupError extends Error {}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256')
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A directory that does not exist or is empty, or a clear refusal naming why not. */
export function requireEmptyDir(dir: string, what: string): void {
  let st: fs.Stats
  try {
    st = fs.statSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!st.isDirectory()) throw new BackupError(`${what} ${dir} exists and is not a directory; name a new or empty directory`)
  const entries = fs.readdirSync(dir)
  if (entries.length) throw new BackupError(`${what} ${dir} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); name a new or empty directory so nothing is overwritten`)
}

/** Writes a file with mode 0600 and forces it to disk. */
export function writePrivate(file: string, data: string): void {
  const fd = fs.openSync(file, 'wx', 0o600)
  try {
    fs.writeSync(fd, data)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.chmodSync(file, 0o600)
}

/** Copies a file to a new 0600 file and forces it to disk. */
export function copyPrivate(from: string, to: string): void {
  fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL)
  fs.chmodSync(to, 0o600)
  const fd = fs.openSync(to, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Makes a directory entry (a rename, a new file) durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** A PostgreSQL client tool: on PATH, or in the newest /usr/lib/postgresql/<version>/bin (Debian). */
export function pgBin(name: string): string {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim()
  if (onPath) return onPath
  const base = '/usr/lib/postgresql'
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) {
    const p = path.join(base, v, 'bin', name)
    if (fs.existsSync(p)) return p
  }
  throw new BackupError(`${name} not found on PATH or in /usr/lib/postgresql/*/bin: install PostgreSQL's client tools (Debian: apt-get install postgresql-client)`)
}

/**
 * The connection URL without its password, and the password for PGPASSWORD: a password in a command's
 * arguments is visible to every user of the machine (ps).
 */
export function pgConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv; display: string } {
  const u = new URL(url)
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password)
  u.password = ''
  return { dbname: u.toString(), env, display: `postgres://${u.host}${u.pathname}` }
}

/** Runs a PostgreSQL tool to the end; its stderr comes back in the error when it fails. */
export function runTool(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 20_000) stderr += d.toString('utf8') })
    child.on('error', (err) => reject(new BackupError(`${path.basename(cmd)} did not start: ${err.message}`)))
    child.on('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new BackupError(`${path.basename(cmd)} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`))
    })
  })
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
