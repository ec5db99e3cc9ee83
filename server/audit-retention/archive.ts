// Audit retention. The oldest rows are written to a compressed archive (JSON lines, gzip) beside a
// manifest naming the chain's ends; the archive is read back from disk and verified; only then, in
// one transaction, the archive is recorded as a checkpoint (the last archived row's id and hash) and
// the rows it holds are deleted. The live log then verifies from the checkpoint, and the archives
// verify offline, each linking to the one before. The database refuses to delete a row no
// checkpoint covers (migration 013), so nothing can be pruned that is not in an archive.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'
import type { Kysely, Selectable } from 'kysely'
import type { AuditEventsTable, Database } from '../db/schema.js'
import { GENESIS_HASH, rowHash, type AuditLog } from '../services/audit.js'
import { latestCheckpoint } from '../services/audit-query.js'

type Row = Selectable<AuditEventsTable>

export const ARCHIVE_FORMAT = 1
const DAY_MS = 86_400_000
const PAGE = 5000

export interface ArchiveManifest {
  format: number
  first_id: number
  last_id: number
  rows: number
  /** The hash the first archived row links to: the previous archive's last_hash, or the genesis hash. */
  prev_hash: string
  last_hash: string
  file: string
  sha256: string
  bytes: number
  cutoff: string
  created_at: string
}

export interface ArchiveResult {
  archived: number
  manifest: ArchiveManifest | null
  /** Why nothing was archived, when nothing was. */
  reason?: string
}

export class ArchiveError extends Error {}

/** Checks one row against the hash it must link to; returns the row's own hash. */
function link(r: Row, prev: string): string {
  const id = Number(r.id)
  if (r.prev_hash !== prev || rowHash({ ...r, id, at: Number(r.at) }, prev) !== r.hash) {
    throw new ArchiveError(`the audit chain is broken at row ${id}; nothing was archived or pruned (see GET /api/audit/verify)`)
  }
  return r.hash
}

const pad = (n: number) => String(n).padStart(12, '0')

/**
 * Archives every row older than `olderThanDays` (by `at`, from the oldest live row up to the newest
 * row before the cut-off) into `outDir`, verifies the file it wrote, then records the checkpoint and
 * prunes those rows. Returns what it archived; archives nothing when no row is old enough.
 */
export async function archiveAudit(
  db: Kysely<Database>, audit: AuditLog,
  opts: { olderThanDays: number; outDir: string; now?: number },
): Promise<ArchiveResult> {
  if (!Number.isInteger(opts.olderThanDays) || opts.olderThanDays < 1) throw new ArchiveError('--older-than-days must be a whole number of days, at least 1')
  const now = opts.now ?? Date.now()
  const cutoff = now - opts.olderThanDays * DAY_MS
  const cp = await latestCheckpoint(db)
  const after = cp ? Number(cp.last_id) : 0
  const prevHash = cp?.last_hash ?? GENESIS_HASH
  // The archive is a prefix of the live log whose rows are all older than the cut-off: it ends before
  // the first row at or after it (clocks of several instances need not agree to the millisecond).
  const first = await db.selectFrom('audit_events').select(['id', 'at']).where('id', '>', after).orderBy('id').limit(1).executeTakeFirst()
  const none = { archived: 0, manifest: null, reason: `no audit row older than ${opts.olderThanDays} days` }
  if (!first || Number(first.at) >= cutoff) return none
  const firstId = Number(first.id)
  const newer = await db.selectFrom('audit_events').select((eb) => eb.fn.min('id').as('id')).where('at', '>=', cutoff).executeTakeFirst()
  const end = newer?.id == null
    ? await db.selectFrom('audit_events').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    : { id: Number(newer.id) - 1 }
  const last = await db.selectFrom('audit_events').select(['id', 'hash']).where('id', '=', Number(end.id)).executeTakeFirst()
  if (!last || Number(last.id) < firstId) return none
  const lastId = Number(last.id)

  fs.mkdirSync(opts.outDir, { recursive: true, mode: 0o700 })
  const base = `audit-${pad(firstId)}-${pad(lastId)}`
  const file = path.join(opts.outDir, `${base}.jsonl.gz`)
  const manifestFile = path.join(opts.outDir, `${base}.manifest.json`)
  if (fs.existsSync(file) || fs.existsSync(manifestFile)) throw new ArchiveError(`${file} already exists; archives are never overwritten`)
  const tmp = `${file}.partial-${process.pid}`

  // Written while the chain is checked row by row: a break stops the archive before anything is kept.
  let hash = prevHash
  let rows = 0
  async function* lines() {
    let cursor = after
    for (;;) {
      const page = (await db.selectFrom('audit_events').selectAll().where('id', '>', cursor).where('id', '<=', lastId)
        .orderBy('id').limit(PAGE).execute()) as Row[]
      for (const r of page) {
        hash = link(r, hash)
        rows++
        yield JSON.stringify({ ...r, id: Number(r.id), at: Number(r.at) }) + '\n'
      }
      if (page.length < PAGE) return
      cursor = Number(page[page.length - 1].id)
    }
  }
  try {
    await pipeline(Readable.from(lines()), zlib.createGzip({ level: 9 }), fs.createWriteStream(tmp, { mode: 0o600, flags: 'wx' }))
    if (hash !== last.hash || rows !== lastId - firstId + 1) {
      throw new ArchiveError(`the rows read (${rows}) do not end at row ${lastId}'s hash; nothing was archived or pruned`)
    }
    const fd = fs.openSync(tmp, 'r')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    // Nothing is pruned on the strength of what was meant to be written: the file is read back.
    const check = await verifyArchiveFile(tmp, { prev_hash: prevHash, first_id: firstId, last_id: lastId, last_hash: hash, rows })
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT, first_id: firstId, last_id: lastId, rows, prev_hash: prevHash, last_hash: hash,
      file: path.basename(file), sha256: check.sha256, bytes: check.bytes, cutoff: new Date(cutoff).toISOString(), created_at: new Date(now).toISOString(),
    }
    fs.renameSync(tmp, file)
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    fsyncDir(opts.outDir)

    await audit.transact(async (trx) => {
      const current = await latestCheckpoint(trx)
      if (Number(current?.last_id ?? 0) !== after) throw new ArchiveError('another archive ran meanwhile; nothing was pruned (run again)')
      const still = await trx.selectFrom('audit_events').select('hash').where('id', '=', lastId).executeTakeFirst()
      if (still?.hash !== hash) throw new ArchiveError(`row ${lastId} changed while it was archived; nothing was pruned`)
      // The archive's own row comes first, so the live log never runs empty and keeps its chain.
      await audit.append(trx, { ip: null, userAgent: 'audit-retention' }, {
        action: 'audit.archive', actor: { id: null, email: null, type: 'system' }, outcome: 'success',
        details: { first_id: firstId, last_id: lastId, rows, last_hash: hash, archive: manifest.file, sha256: manifest.sha256, older_than_days: opts.olderThanDays },
      }, now)
      await trx.insertInto('audit_checkpoints').values({
        first_id: firstId, last_id: lastId, last_hash: hash, rows, archive_file: manifest.file, archive_sha256: manifest.sha256, created_at: now,
      }).execute()
      await trx.deleteFrom('audit_events').where('id', '<=', lastId).execute()
    })
    return { archived: rows, manifest }
  } catch (err) {
    fs.rmSync(tmp, { force: true })
    throw err
  }
}

function fsyncDir(dir: string) {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Reads an archive file back: its sha256 and size, and every row's link from `prev_hash` to `last_hash`. */
export async function verifyArchiveFile(file: string, expect: Pick<ArchiveManifest, 'prev_hash' | 'first_id' | 'last_id' | 'last_hash' | 'rows'>) {
  const name = path.basename(file)
  const sha = crypto.createHash('sha256')
  let bytes = 0
  const raw = fs.createReadStream(file)
  raw.on('data', (b) => { sha.update(b as Buffer); bytes += (b as Buffer).length })
  const input = readline.createInterface({ input: raw.pipe(zlib.createGunzip()), crlfDelay: Infinity })
  let hash = expect.prev_hash
  let rows = 0
  let next = expect.first_id
  try {
    for await (const line of input) {
      if (!line) continue
      let r: Row
      try {
        r = JSON.parse(line) as Row
      } catch {
        throw new ArchiveError(`${name}: line ${rows + 1} is not JSON`)
      }
      if (Number(r.id) !== next) throw new ArchiveError(`${name}: expected row ${next}, found ${r.id}`)
      try {
        hash = link(r, hash)
      } catch {
        throw new ArchiveError(`${name}: the chain is broken at row ${r.id}`)
      }
      rows++
      next++
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err
    // A damaged file fails in gunzip (a bad CRC, a truncated stream) before any row says so.
    throw new ArchiveError(`${name}: not a readable archive (${(err as { code?: string }).code ?? (err as Error).message})`)
  }
  if (rows !== expect.rows || next - 1 !== expect.last_id || hash !== expect.last_hash) {
    throw new ArchiveError(`${name}: holds ${rows} rows ending in ${hash.slice(0, 12)}…, not the ${expect.rows} rows to ${expect.last_id} its manifest names`)
  }
  return { sha256: sha.digest('hex'), bytes, rows, last_hash: hash }
}

/**
 * Verifies every archive in a folder offline: each file against its manifest (sha256, rows, the chain
 * inside it), and the archives against each other (each begins where the one before ended, the first
 * at the genesis hash unless `from` says otherwise). Returns the chain's end, which the live log's
 * checkpoint must name.
 */
export async function verifyArchiveDir(dir: string) {
  if (!fs.existsSync(dir)) throw new ArchiveError(`${dir} does not exist`)
  const manifests = fs.readdirSync(dir).filter((f) => f.endsWith('.manifest.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as ArchiveManifest)
  if (!manifests.length) throw new ArchiveError(`${dir} holds no audit archive (*.manifest.json)`)
  manifests.sort((a, b) => a.first_id - b.first_id)
  const checked: Array<{ file: string; rows: number; first_id: number; last_id: number }> = []
  let prev: ArchiveManifest | undefined
  for (const m of manifests) {
    if (m.format !== ARCHIVE_FORMAT) throw new ArchiveError(`${m.file}: archive format ${m.format} is not ${ARCHIVE_FORMAT}`)
    if (prev && (m.first_id !== prev.last_id + 1 || m.prev_hash !== prev.last_hash)) {
      throw new ArchiveError(`${m.file} does not continue ${prev.file} (rows ${prev.last_id + 1}… are missing or the chain does not link)`)
    }
    if (!prev && m.prev_hash !== GENESIS_HASH) {
      // An archive folder may begin later than the log did (older archives kept elsewhere): say so.
      checked.push({ file: `(archives before row ${m.first_id} are not in this folder)`, rows: 0, first_id: 0, last_id: m.first_id - 1 })
    }
    const file = path.join(dir, m.file)
    if (!fs.existsSync(file)) throw new ArchiveError(`${m.file} is missing`)
    const r = await verifyArchiveFile(file, m)
    if (r.sha256 !== m.sha256) throw new ArchiveError(`${m.file}: sha256 ${r.sha256} is not the manifest's ${m.sha256}`)
    checked.push({ file: m.file, rows: r.rows, first_id: m.first_id, last_id: m.last_id })
    prev = m
  }
  return { archives: checked, rows: checked.reduce((n, c) => n + c.rows, 0), last_id: prev!.last_id, last_hash: prev!.last_hash }
}
