// Audit retention: the oldest rows go to a verified, compressed archive; a checkpoint lets the live
// chain verify from there; archives verify offline and link to each other; nothing is pruned that is
// not in a verified archive, and the database refuses to delete a row no checkpoint covers.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { archiveAudit, ArchiveError, verifyArchiveDir } from '../../server/audit-retention/archive.js'
import type { AuditEvent } from '../../server/services/audit.js'
import { loadConfig } from '../../server/config.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, login, createUser } from '../support/factories.js'

const run = promisify(execFile)
const DAY = 86_400_000
const root = path.resolve(import.meta.dirname, '../..')

let t: TestApp
let dir: string

const event = (i: number): AuditEvent => ({
  action: 'credential.create', actor: { id: null, email: `old-${i}@example.com`, type: 'user' }, outcome: 'success', targetType: 'credential', targetName: `old-token-${i}`,
})

/** Appends `n` rows dated `at` (the audit log's own append, so each links to the one before). */
async function appendAt(n: number, at: number, from = 0) {
  await t.services.audit.transact((trx) => t.services.audit.appendMany(trx, { ip: '192.0.2.1', userAgent: 'test' }, Array.from({ length: n }, (_, i) => event(from + i)), at))
}

const liveIds = async () => (await t.services.db.db.selectFrom('audit_events').select('id').orderBy('id').execute()).map((r) => Number(r.id))

async function verifyLive() {
  const admin = await createUser(t, { role: 'admin' })
  const auth = await login(t.app, admin.email)
  const res = await call(t.app, auth, { method: 'GET', url: '/api/audit/verify' })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { intact: boolean; checked: number; first_broken_id: number | null; checkpoint: { last_id: number; last_hash: string } | null }
}

/** Turns the append-only triggers off for one statement, as someone with the database's keys could. */
async function tamper(statement: string) {
  const db = t.services.db.db
  if (t.dialect === 'postgres') {
    await sql.raw('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update').execute(db)
    await sql.raw(statement).execute(db)
    await sql.raw('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update').execute(db)
  } else {
    const trigger = (await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'audit_events_no_update'`.execute(db)).rows[0].sql
    await sql.raw('DROP TRIGGER audit_events_no_update').execute(db)
    await sql.raw(statement).execute(db)
    await sql.raw(trigger).execute(db)
  }
}

beforeAll(async () => {
  t = await buildTestApp()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-audit-archive-'))
})
afterAll(async () => {
  await t?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('audit archive', () => {
  const now = Date.now()
  const out = () => path.join(dir, 'archives')

  it('archives nothing when no row is old enough', async () => {
    const r = await archiveAudit(t.services.db.db, t.services.audit, { olderThanDays: 30, outDir: out(), now })
    expect(r).toMatchObject({ archived: 0, manifest: null })
    expect(fs.existsSync(out()) ? fs.readdirSync(out()) : []).toEqual([])
  })

  it('refuses a broken chain and prunes nothing', async () => {
    // These rows are the oldest, so they are what an archive would take.
    await appendAt(40, now - 90 * DAY)
    const before = await liveIds()
    const victim = before[5]
    await tamper(`UPDATE audit_events SET details = '{"tampered":true}' WHERE id = ${victim}`)
    await expect(archiveAudit(t.services.db.db, t.services.audit, { olderThanDays: 30, outDir: out(), now })).rejects.toThrow(new RegExp(`broken at row ${victim}`))
    expect(await liveIds()).toEqual(before)
    expect(fs.existsSync(out()) ? fs.readdirSync(out()) : []).toEqual([])
    // Put the row back as it was (its hash still names the original bytes).
    await tamper(`UPDATE audit_events SET details = '{}' WHERE id = ${victim}`)
    expect((await verifyLive()).intact).toBe(true)
  })

  it('writes a verified archive, records the checkpoint, prunes only the archived prefix, and the live log verifies from it', async () => {
    await appendAt(25, now - 60 * DAY, 100)
    // A recent row and then an old one: the archive is a prefix of rows all older than the cut-off.
    await appendAt(1, now - 1 * DAY, 200)
    await appendAt(3, now - 50 * DAY, 300)
    const before = await liveIds()
    // The first row at or after the cut-off (a sign-in above, or the recent row): the archive ends before it.
    const rows = await t.services.db.db.selectFrom('audit_events').select(['id', 'at']).orderBy('id').execute()
    const recent = Number(rows.find((r) => Number(r.at) >= now - 30 * DAY)!.id)
    expect(recent - before[0]).toBeGreaterThanOrEqual(40)
    const r = await archiveAudit(t.services.db.db, t.services.audit, { olderThanDays: 30, outDir: out(), now })
    expect(r.archived).toBe(recent - before[0])
    const m = r.manifest!
    expect(m).toMatchObject({ first_id: before[0], last_id: recent - 1, rows: r.archived, prev_hash: '0'.repeat(64) })
    const file = path.join(out(), m.file)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.join(out(), m.file.replace('.jsonl.gz', '.manifest.json'))).mode & 0o777).toBe(0o600)
    // The archive holds the rows as stored, gzip-compressed JSON lines.
    const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.id)).toEqual(before.filter((id) => id < recent))
    expect(lines.at(-1).hash).toBe(m.last_hash)
    // Pruned exactly the archived rows; the recent row, the rows after it and the archive's own row stay.
    const after = await liveIds()
    expect(after.slice(0, before.length - (recent - before[0]))).toEqual(before.filter((id) => id >= recent))
    const own = await t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'audit.archive').executeTakeFirstOrThrow()
    expect(JSON.parse(own.details)).toMatchObject({ first_id: m.first_id, last_id: m.last_id, rows: m.rows, sha256: m.sha256 })
    const v = await verifyLive()
    expect(v).toMatchObject({ intact: true, first_broken_id: null, checkpoint: { last_id: m.last_id, last_hash: m.last_hash } })
    expect(v.checked).toBeGreaterThan(4)
  })

  it('refuses to delete a live row that no checkpoint covers, and never changes a checkpoint', async () => {
    const live = await liveIds()
    await expect(t.services.db.db.deleteFrom('audit_events').where('id', '=', live[live.length - 1]).execute()).rejects.toThrow(/archive checkpoint/)
    await expect(t.services.db.db.deleteFrom('audit_checkpoints').execute()).rejects.toThrow(/append-only/)
    await expect(t.services.db.db.updateTable('audit_checkpoints').set({ last_hash: 'x' }).execute()).rejects.toThrow(/append-only/)
    expect(await liveIds()).toEqual(live)
  })

  it('chains a second archive to the first; both verify offline with npm run audit:verify', async () => {
    const r = await archiveAudit(t.services.db.db, t.services.audit, { olderThanDays: 1, outDir: out(), now: now + 3 * DAY })
    expect(r.archived).toBeGreaterThan(0)
    const all = await verifyArchiveDir(out())
    expect(all.archives).toHaveLength(2)
    expect(all.last_hash).toBe(r.manifest!.last_hash)
    expect((await verifyLive()).checkpoint?.last_hash).toBe(r.manifest!.last_hash)
    const ok = await run('npx', ['tsx', 'scripts/audit-verify.ts', out()], { cwd: root })
    expect(ok.stdout).toContain(`ending at row ${r.manifest!.last_id}, hash ${r.manifest!.last_hash}`)
  })

  it('finds a changed byte, a missing archive and an edited manifest offline', async () => {
    const copy = (name: string) => {
      const d = path.join(dir, name)
      fs.cpSync(out(), d, { recursive: true })
      return d
    }
    const files = fs.readdirSync(out()).filter((f) => f.endsWith('.jsonl.gz')).sort()
    // One line of the first archive changed, recompressed: the chain inside it breaks.
    const edited = copy('edited')
    const lines = zlib.gunzipSync(fs.readFileSync(path.join(edited, files[0]))).toString('utf8').split('\n')
    lines[2] = lines[2].replace('old-', 'new-')
    fs.writeFileSync(path.join(edited, files[0]), zlib.gzipSync(lines.join('\n')))
    await expect(verifyArchiveDir(edited)).rejects.toThrow(/chain is broken at row/)
    // A byte flipped in the compressed file.
    const flipped = copy('flipped')
    const buf = fs.readFileSync(path.join(flipped, files[1]))
    buf[buf.length - 5] ^= 0xff
    fs.writeFileSync(path.join(flipped, files[1]), buf)
    await expect(verifyArchiveDir(flipped)).rejects.toThrow(ArchiveError)
    // The first archive gone: the second no longer starts at the genesis hash, and says so.
    const missing = copy('missing')
    fs.rmSync(path.join(missing, files[0]))
    fs.rmSync(path.join(missing, files[0].replace('.jsonl.gz', '.manifest.json')))
    const partial = await verifyArchiveDir(missing)
    expect(partial.archives[0].file).toMatch(/are not in this folder/)
    // A manifest whose sha256 was edited.
    const manifestEdited = copy('manifest')
    const mf = path.join(manifestEdited, files[1].replace('.jsonl.gz', '.manifest.json'))
    fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').replace(/"sha256": "[0-9a-f]{4}/, '"sha256": "0000'))
    await expect(verifyArchiveDir(manifestEdited)).rejects.toThrow(/sha256/)
    const bad = await run('npx', ['tsx', 'scripts/audit-verify.ts', edited], { cwd: root }).then(() => 0, (e: { code: number; stderr: string }) => { expect(e.stderr).toMatch(/NOT intact/); return e.code })
    expect(bad).toBe(1)
  })

  it('npm run audit:archive archives from the command line while the server runs, and refuses bad arguments', async () => {
    const env = { ...process.env, DATA_DIR: t.dataDir, DATABASE_URL: t.services.config.databaseUrl ?? '' }
    if (!t.services.config.databaseUrl) delete (env as Record<string, string | undefined>).DATABASE_URL
    const usage = await run('npx', ['tsx', 'scripts/audit-archive.ts', '--older-than-days', '0', '--out', out()], { cwd: root, env }).then(() => 0, (e: { code: number; stderr: string }) => {
      expect(e.stderr).toMatch(/at least 1/)
      return e.code
    })
    expect(usage).toBe(2)
    // Every live row is recent: nothing is archived, and the command says why.
    const none = await run('npx', ['tsx', 'scripts/audit-archive.ts', '--older-than-days', '1', '--out', out()], { cwd: root, env })
    expect(none.stdout).toMatch(/Nothing archived: no audit row older than 1 days/)
    expect((await verifyLive()).intact).toBe(true)
  })
})

describe('AUDIT_RETENTION_DAYS', () => {
  it('is off unless set, and takes whole days from 1', () => {
    expect(loadConfig({}).auditRetentionDays).toBeUndefined()
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '400', DATA_DIR: '/srv/tc' })).toMatchObject({ auditRetentionDays: 400, auditArchiveDir: '/srv/tc/audit-archive' })
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30', AUDIT_ARCHIVE_DIR: '/archive' }).auditArchiveDir).toBe('/archive')
    for (const bad of ['0', '-3', '1.5', 'month']) expect(() => loadConfig({ AUDIT_RETENTION_DAYS: bad })).toThrow(/AUDIT_RETENTION_DAYS must be a whole number of days, at least 1/)
  })

  it('runs the archive as a job on one instance: old rows to the archive folder, the live log verified from the checkpoint', async () => {
    const archiveDir = path.join(dir, 'job-archives')
    const j = await buildTestApp({ auditRetentionDays: 30, auditArchiveDir: archiveDir })
    try {
      expect(t.services.auditRetention).toBeUndefined()
      const now = Date.now()
      await j.services.audit.transact((trx) => j.services.audit.appendMany(trx, { ip: null, userAgent: 'test' }, Array.from({ length: 12 }, (_, i) => event(i)), now - 45 * DAY))
      const [m] = await j.services.auditRetention!.run(now)
      expect(m).toMatchObject({ first_id: 1, rows: 12 })
      expect(fs.readdirSync(archiveDir).sort()).toEqual([m.file.replace('.jsonl.gz', '.manifest.json'), m.file].sort())
      // Nothing left that is old enough: the next pass archives nothing.
      expect(await j.services.auditRetention!.run(now)).toEqual([])
      expect((await verifyArchiveDir(archiveDir)).last_hash).toBe(m.last_hash)
    } finally {
      await j.close()
    }
  })
})
