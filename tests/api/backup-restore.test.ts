// Online backup and tested restore, on the database this pass runs on: `npm run backup` (the real
// command, a child process) while the real server takes writes from eight clients; `npm run restore`
// into a new data directory (and a new PostgreSQL database); a second server on the restored data
// knows every write acknowledged before the backup began and none sent after it ended, and its audit
// chain verifies. Then the refusals: a changed byte, a non-empty target, a non-empty --out, a
// PostgreSQL target that has tables.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../support/net.js'

const root = path.resolve(import.meta.dirname, '../..')
const dialect = inject('testDb')
const ADMIN_EMAIL = 'admin@example.com'
const ADMIN_PASSWORD = 'backup-restore-admin-password'
const API = '/api/web/namespaces/system'
/** Load bounds: eight clients, at most this many writes, and never longer than this. */
const CLIENTS = 8
const MAX_WRITES = 3000
const MAX_LOAD_MS = 15_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let work: string
const children: ChildProcess[] = []
const databases: string[] = []

async function createDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl')
  const name = `bk_${crypto.randomBytes(5).toString('hex')}`
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    await c.query(`CREATE DATABASE ${name}`)
  } finally {
    await c.end()
  }
  databases.push(name)
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return u.toString()
}

/** The environment a server or script of this deployment runs with: the key comes from DATA_DIR. */
function deploymentEnv(dataDir: string, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir }
  for (const k of ['DATABASE_URL', 'TOKEN_HMAC_SECRET', 'CA_KEY_FILE', 'CA_CERT_FILE', 'CA_KEY_PEM', 'CA_CERT_PEM']) delete env[k]
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  return env
}

interface Server { base: string; child: ChildProcess; stop(): Promise<void> }

async function startServer(dataDir: string, databaseUrl: string | undefined): Promise<Server> {
  const port = await freePort()
  const log = fs.openSync(path.join(work, `server-${port}.log`), 'a')
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/main.ts')], {
    cwd: root,
    env: {
      ...deploymentEnv(dataDir, databaseUrl), HOST: '127.0.0.1', PORT: String(port), ADMIN_EMAIL, ADMIN_PASSWORD,
      LOG_LEVEL: 'warn', STATIC_DIR: path.join(work, 'no-console'), MAX_ACTIVE_TOKENS_PER_USER: '100000',
      // Revoked and unknown tokens are checked by the hundred below, all from one address.
      CHECK_FAILURE_LIMIT: '0', USAGE_FLUSH_MS: '500',
    },
    stdio: ['ignore', log, log],
  })
  fs.closeSync(log)
  children.push(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited at start: ${fs.readFileSync(path.join(work, `server-${port}.log`), 'utf8').slice(-2000)}`)
    try {
      if ((await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2000) })).ok) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('server did not answer /api/health within 60 s')
    }
    await sleep(100)
  }
  return {
    base, child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      child.kill('SIGTERM')
      await exited
      clearTimeout(timer)
    },
  }
}

/** `npm run <script> -- args`: the command the README gives, as a child process. */
function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const began = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8') })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - began }))
  })
}

interface Session { base: string; cookie: string; csrf: string }

async function login(base: string): Promise<Session> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }) })
  expect(res.status).toBe(200)
  return { base, cookie: res.headers.get('set-cookie')!.split(';')[0], csrf: ((await res.json()) as { csrf_token: string }).csrf_token }
}

function post(s: Session, url: string, body: unknown) {
  return fetch(`${s.base}${url}`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf, origin: s.base },
    body: JSON.stringify(body), signal: AbortSignal.timeout(30_000),
  })
}

const verify = async (base: string, token: string) =>
  (await fetch(`${base}/api/verify`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) })).status

/**
 * One write and when it was sent and acknowledged, on the wall clock the backup's manifest uses too
 * (same machine); ackAt stays null unless the answer was 200.
 */
interface Write { sentAt: number; ackAt: number | null; status: number }
interface Made { name: string; token: string | null; create: Write; revoke?: Write }

/** Runs `fn` over `items` with `n` at a time. */
async function eachLimited<T>(items: T[], n: number, fn: (item: T) => Promise<void>) {
  let next = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++])
  }))
}

function modeOf(p: string) {
  return fs.statSync(p).mode & 0o777
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-backup-'))
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  if (databases.length) {
    const c = new pg.Client({ connectionString: inject('pgAdminUrl') })
    await c.connect()
    try {
      for (const d of databases) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {})
    } finally {
      await c.end()
    }
  }
  fs.rmSync(work, { recursive: true, force: true })
})

describe(`backup and restore (${dialect})`, () => {
  let source: { dataDir: string; databaseUrl: string | undefined; server: Server } | undefined

  beforeAll(async () => {
    const dataDir = path.join(work, 'source-data')
    const databaseUrl = dialect === 'postgres' ? await createDatabase() : undefined
    source = { dataDir, databaseUrl, server: await startServer(dataDir, databaseUrl) }
  }, 120_000)

  it('a backup taken under write load restores every write acknowledged before its snapshot (so all before it began), none sent after it, with the audit chain intact', async () => {
    const { dataDir, databaseUrl, server } = source!
    const session = await login(server.base)
    // The CA is made on first use; asking for its certificate puts its key in DATA_DIR, so the backup must carry it.
    const caPem = await (await fetch(`${server.base}/api/pki/ca.pem`)).text()
    expect(caPem).toMatch(/BEGIN CERTIFICATE/)

    const made: Made[] = []
    let writes = 0
    let stop = false
    const loadStart = Date.now()
    const client = async (c: number) => {
      for (let i = 0; !stop && writes < MAX_WRITES && Date.now() - loadStart < MAX_LOAD_MS; i++) {
        const name = `load-${c}-${i}`
        const m: Made = { name, token: null, create: { sentAt: Date.now(), ackAt: null, status: 0 } }
        made.push(m)
        writes++
        const res = await post(session, `${API}/api_credentials`, { name, expiration_days: 30, spec: { type: 'API_TOKEN' } })
        m.create.status = res.status
        if (res.status === 200) {
          m.token = ((await res.json()) as { data: string }).data
          m.create.ackAt = Date.now()
        } else await res.body?.cancel()
        // Every third token is revoked at once: revocations are writes the backup must keep too.
        if (m.token && i % 3 === 0 && !stop) {
          m.revoke = { sentAt: Date.now(), ackAt: null, status: 0 }
          writes++
          const r = await post(session, `${API}/revoke/api_credentials`, { name })
          m.revoke.status = r.status
          await r.body?.cancel()
          if (r.status === 200) m.revoke.ackAt = Date.now()
        }
      }
    }
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)))
    // Some writes first, so the backup starts with the load in full flow.
    while (made.filter((m) => m.create.ackAt !== null).length < 40 && Date.now() - loadStart < 5000) await sleep(50)

    const backupDir = path.join(work, 'backup')
    const backupStart = Date.now()
    const backup = await npmRun('backup', ['--out', backupDir], deploymentEnv(dataDir, databaseUrl))
    const backupEnd = Date.now()
    await sleep(300)
    stop = true
    await load
    const loadMs = Date.now() - loadStart
    expect(backup.code, backup.stderr).toBe(0)

    // Tokens asked for after the backup ended: the restored data must not know them.
    const after: Made[] = []
    for (let i = 0; i < 5; i++) {
      const m: Made = { name: `after-${i}`, token: null, create: { sentAt: Date.now(), ackAt: null, status: 0 } }
      const res = await post(session, `${API}/api_credentials`, { name: m.name, expiration_days: 30, spec: { type: 'API_TOKEN' } })
      expect(res.status).toBe(200)
      m.token = ((await res.json()) as { data: string }).data
      after.push(m)
    }
    await server.stop()

    // The manifest says when the copy's snapshot began (after the command started: the script has to
    // load first). Every write acknowledged before that instant had committed before it, so it must be
    // in the backup: those acknowledged before the command started, and the ones that landed while it loaded.
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'))
    const snapshotAt = Date.parse(manifest.snapshot_at)
    expect(snapshotAt).toBeGreaterThanOrEqual(backupStart)
    expect(snapshotAt).toBeLessThanOrEqual(backupEnd)
    const ackedBefore = made.filter((m) => m.create.ackAt !== null && m.create.ackAt < snapshotAt)
    const ackedBeforeStart = ackedBefore.filter((m) => m.create.ackAt! < backupStart).length
    const sentAfter = [...after, ...made.filter((m) => m.token && m.create.sentAt > backupEnd)]
    const acked = (from: number, to: number) => made.filter((m) => m.create.ackAt !== null && m.create.ackAt >= from && m.create.ackAt <= to).length
    const duringCommand = acked(backupStart, backupEnd)
    const afterSnapshot = acked(snapshotAt, backupEnd)
    const failed = made.filter((m) => m.create.status !== 200 || (m.revoke && m.revoke.status !== 200))
    expect(failed.map((m) => `${m.name}: ${m.create.status}/${m.revoke?.status}`)).toEqual([])
    expect(ackedBeforeStart).toBeGreaterThanOrEqual(40)
    // The command ran while writes kept landing. (Whether the load, bounded at 15 s, still runs at
    // the snapshot itself depends on how long the script takes to load on a busy machine.)
    expect(duringCommand).toBeGreaterThan(0)

    // The backup folder: private, with the keys, a manifest and the secret notice; no key printed.
    expect(modeOf(backupDir)).toBe(0o700)
    const names = fs.readdirSync(backupDir).sort()
    const dbFile = dialect === 'postgres' ? 'token-console.pgdump' : 'token-console.sqlite'
    expect(names).toEqual(['README-SECRET.txt', 'ca-cert.pem', 'ca-key.pem', 'manifest.json', dbFile, 'token-secret.key'].sort())
    for (const n of names) expect(modeOf(path.join(backupDir, n)), n).toBe(0o600)
    expect(manifest.secret).toMatch(/store it like a password/)
    expect(fs.readFileSync(path.join(backupDir, 'README-SECRET.txt'), 'utf8')).toMatch(/store it like a password/)
    expect(manifest.dialect).toBe(dialect)
    expect(manifest.not_included).toEqual([])
    for (const f of manifest.files as { name: string; sha256: string }[]) {
      expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(backupDir, f.name))).digest('hex'), f.name).toBe(f.sha256)
    }
    expect(manifest.row_counts.credentials).toBeGreaterThanOrEqual(ackedBefore.length)
    const tokenKey = fs.readFileSync(path.join(dataDir, 'token-secret.key'), 'utf8').trim()
    const caKeyBody = fs.readFileSync(path.join(dataDir, 'ca-key.pem'), 'utf8').split('\n')[1]
    expect(fs.readFileSync(path.join(backupDir, 'token-secret.key'), 'utf8').trim()).toBe(tokenKey)
    for (const out of [backup.stdout, backup.stderr]) {
      expect(out.includes(tokenKey)).toBe(false)
      expect(out.includes(caKeyBody)).toBe(false)
    }

    // Restore into a new place, and start a second server on it.
    const restored = path.join(work, 'restored-data')
    const restoredUrl = dialect === 'postgres' ? await createDatabase() : undefined
    const restore = await npmRun('restore', ['--from', backupDir, '--data-dir', restored, ...(restoredUrl ? ['--database-url', restoredUrl] : [])], deploymentEnv(path.join(work, 'unused'), undefined))
    expect(restore.code, restore.stderr).toBe(0)
    expect(restore.stdout).toMatch(/Audit chain intact/)
    expect(modeOf(restored)).toBe(0o700)
    for (const n of fs.readdirSync(restored)) expect(modeOf(path.join(restored, n)), n).toBe(0o600)
    expect(fs.readdirSync(path.dirname(restored)).filter((n) => n.includes('restoring'))).toEqual([])

    const second = await startServer(restored, restoredUrl)
    try {
      // The same CA, not a new one made on an empty data directory.
      expect(await (await fetch(`${second.base}/api/pki/ca.pem`)).text()).toBe(caPem)
      const wrong: string[] = []
      let revokedChecked = 0
      await eachLimited(ackedBefore, 8, async (m) => {
        const status = await verify(second.base, m.token!)
        const r = m.revoke
        if (r && r.ackAt !== null && r.ackAt < snapshotAt) {
          revokedChecked++
          if (status !== 401) wrong.push(`${m.name} revoked before the backup: ${status}`)
        } else if (!r || r.sentAt > backupEnd) {
          if (status !== 204) wrong.push(`${m.name} created before the backup: ${status}`)
        }
        // A revoke sent before the command ended but not acknowledged before the snapshot may be in it or not.
      })
      await eachLimited(sentAfter, 8, async (m) => {
        const status = await verify(second.base, m.token!)
        if (status !== 401) wrong.push(`${m.name} created after the backup: ${status}`)
      })
      expect(wrong).toEqual([])
      expect(revokedChecked).toBeGreaterThan(0)

      const admin = await login(second.base)
      const res = await fetch(`${second.base}/api/audit/verify`, { headers: { cookie: admin.cookie } })
      expect(res.status).toBe(200)
      const chain = (await res.json()) as { intact: boolean; checked: number }
      expect(chain.intact).toBe(true)
      expect(chain.checked).toBeGreaterThanOrEqual(manifest.audit.last_id)
    } finally {
      await second.stop()
    }

    // Every acknowledged create and revoke left its audit row in the restored chain.
    const q = 'SELECT action, target_name FROM audit_events WHERE action IN (\'credential.create\', \'credential.revoke\')'
    let rows: { action: string; target_name: string }[]
    if (restoredUrl) {
      const c = new pg.Client({ connectionString: restoredUrl })
      await c.connect()
      rows = (await c.query(q)).rows
      await c.end()
    } else {
      const db = new SQLite(path.join(restored, 'token-console.sqlite'), { readonly: true })
      rows = db.prepare(q).all() as typeof rows
      db.close()
    }
    const audited = new Set(rows.map((r) => `${r.action} ${r.target_name}`))
    const missing = ackedBefore.flatMap((m) => [
      ...(audited.has(`credential.create ${m.name}`) ? [] : [`create ${m.name}`]),
      ...(m.revoke?.ackAt != null && m.revoke.ackAt < snapshotAt && !audited.has(`credential.revoke ${m.name}`) ? [`revoke ${m.name}`] : []),
    ])
    expect(missing).toEqual([])
    for (const m of after) expect(audited.has(`credential.create ${m.name}`)).toBe(false)

    const bytes = (manifest.files as { bytes: number }[]).reduce((s, f) => s + f.bytes, 0)
    console.log(`backup (${dialect}): ${backup.ms.toFixed(0)} ms for the command (${manifest.duration_ms} ms inside it), ${bytes} bytes; `
      + `${ackedBeforeStart} creates acknowledged before it began, ${ackedBefore.length} before its snapshot, ${duringCommand} while it ran (${afterSnapshot} after the snapshot), ${writes} writes in ${(loadMs / 1000).toFixed(1)} s; restore ${restore.ms.toFixed(0)} ms`)
  }, 240_000)

  it('refuses a changed byte, a non-empty target, a non-empty backup folder and (PostgreSQL) a target database with tables', async () => {
    // The source server has stopped: a backup needs only the data, not a running server.
    const { dataDir, databaseUrl } = source!
    const backupDir = path.join(work, 'backup-2')
    const made = await npmRun('backup', ['--out', backupDir], deploymentEnv(dataDir, databaseUrl))
    expect(made.code, made.stderr).toBe(0)

    const dbFile = dialect === 'postgres' ? 'token-console.pgdump' : 'token-console.sqlite'
    const tampered = path.join(work, 'tampered')
    fs.cpSync(backupDir, tampered, { recursive: true })
    const buf = fs.readFileSync(path.join(tampered, dbFile))
    buf[Math.floor(buf.length / 2)] ^= 0x01
    fs.writeFileSync(path.join(tampered, dbFile), buf)
    const keyTampered = path.join(work, 'key-tampered')
    fs.cpSync(backupDir, keyTampered, { recursive: true })
    const key = fs.readFileSync(path.join(keyTampered, 'token-secret.key'))
    key[0] ^= 0x01
    fs.writeFileSync(path.join(keyTampered, 'token-secret.key'), key)

    const nonEmpty = path.join(work, 'non-empty')
    fs.mkdirSync(nonEmpty)
    fs.writeFileSync(path.join(nonEmpty, 'keep.txt'), 'keep me')
    const target = (n: string) => path.join(work, n)
    const url = dialect === 'postgres' ? await createDatabase() : undefined
    const urlArgs = url ? ['--database-url', url] : []
    const env = deploymentEnv(path.join(work, 'unused'), undefined)

    const [dbChanged, keyChanged, notEmpty, outNotEmpty, withTables] = await Promise.all([
      npmRun('restore', ['--from', tampered, '--data-dir', target('t1'), ...urlArgs], env),
      npmRun('restore', ['--from', keyTampered, '--data-dir', target('t2'), ...urlArgs], env),
      npmRun('restore', ['--from', backupDir, '--data-dir', nonEmpty, ...urlArgs], env),
      npmRun('backup', ['--out', nonEmpty], deploymentEnv(dataDir, databaseUrl)),
      // The source database has every table: a restore must not mix into it.
      databaseUrl ? npmRun('restore', ['--from', backupDir, '--data-dir', target('t3'), '--database-url', databaseUrl], env) : undefined,
    ])
    expect(dbChanged.code).not.toBe(0)
    expect(dbChanged.stderr).toContain(`${dbFile} does not match its sha256`)
    expect(keyChanged.code).not.toBe(0)
    expect(keyChanged.stderr).toContain('token-secret.key does not match its sha256')
    expect(fs.existsSync(target('t1'))).toBe(false)
    expect(fs.existsSync(target('t2'))).toBe(false)
    expect(notEmpty.code).not.toBe(0)
    expect(notEmpty.stderr).toMatch(/is not empty/)
    expect(outNotEmpty.code).not.toBe(0)
    expect(outNotEmpty.stderr).toMatch(/backup folder .* is not empty/)
    expect(fs.readdirSync(nonEmpty)).toEqual(['keep.txt'])
    expect(fs.readFileSync(path.join(nonEmpty, 'keep.txt'), 'utf8')).toBe('keep me')
    if (withTables) {
      expect(withTables.code).not.toBe(0)
      expect(withTables.stderr).toMatch(/already has \d+ tables: restore only into an empty database/)
      expect(fs.existsSync(target('t3'))).toBe(false)
    }
    if (url) {
      // Nothing reached the empty database a refused restore named.
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      const n = (await c.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows[0].n
      await c.end()
      expect(n).toBe(0)
    }
    // A partial backup (the manifest never written) is no backup.
    fs.rmSync(path.join(tampered, 'manifest.json'))
    const partial = await npmRun('restore', ['--from', tampered, '--data-dir', target('t4'), ...urlArgs], env)
    expect(partial.code).not.toBe(0)
    expect(partial.stderr).toMatch(/manifest\.json is missing/)
  }, 240_000)
})
