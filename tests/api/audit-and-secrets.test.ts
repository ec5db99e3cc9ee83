// Every lifecycle change writes an audit row in its own transaction; no issued token is ever at rest
// in plaintext: not in the database files, not in the logs.
import fs from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, createUser, login, PASSWORD, signedIn, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let log = ''
const issued: string[] = []
beforeAll(async () => {
  const stream = new PassThrough()
  stream.on('data', (d) => { log += d.toString() })
  t = await buildTestApp({}, { logStream: stream })
  admin = (await signedIn(t, 'admin')).auth
})
afterAll(async () => { if (t) await t.close().catch(() => {}) })

const rows = () => t.services.db.db.selectFrom('audit_events').selectAll().orderBy('id').execute()

describe('audit security', () => {
  it('writes one row per lifecycle change with actor, action, target, outcome and source', async () => {
    const { user: dev } = await signedIn(t, 'developer')
    const made = await createToken(t.app, admin, { owner_id: dev.id })
    issued.push(made.token)
    await call(t.app, admin, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: made.name, expiration_days: 10 } })
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: made.name } })
    // Re-activating a revoked token needs the policy to allow it and a reason.
    await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: true }, apply: { mode: 'new_only' } } })
    await call(t.app, admin, { method: 'POST', url: `${API}/activate/api_credentials`, payload: { name: made.name, reason: 'test' } })
    await call(t.app, admin, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [made.name] } } })
    const svc = await createServiceToken(t.app, admin, 'ves-io-monitor')
    issued.push(svc.token)
    await call(t.app, admin, { method: 'PUT', url: `${API}/service_credentials/${svc.name}`, payload: { namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }] } })
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${dev.id}`, payload: { role: 'auditor' } })
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${dev.id}`, payload: { disabled: true } })
    await call(t.app, admin, { method: 'PATCH', url: `/api/users/${dev.id}`, payload: { disabled: false } })
    await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: dev.email, password: 'wrong-password-9' } })
    await call(t.app, { token: made.token }, { method: 'GET', url: WHOAMI })
    // Refused checks are written as aggregated rows per interval; write them now.
    await t.services.failedChecks.flush()

    const all = await rows()
    const actions = all.map((r) => r.action)
    for (const a of ['login', 'login_failed', 'credential.create', 'credential.renew', 'credential.revoke', 'credential.activate',
      'credential.bulk_revoke', 'credential.roles_change', 'user.role_change', 'user.disable', 'user.enable', 'service_account.create', 'credential.use_denied']) {
      expect(actions, a).toContain(a)
    }
    const create = all.find((r) => r.action === 'credential.create' && r.target_name === made.name)!
    expect(create).toMatchObject({ actor_type: 'user', target_type: 'credential', target_owner_id: dev.id, outcome: 'success' })
    expect(create.actor_email).toBeTruthy()
    expect(create.source_ip).toBe('127.0.0.1')
    expect(all.find((r) => r.action === 'login_failed')).toMatchObject({ outcome: 'failure', actor_email: dev.email })
    expect(all.find((r) => r.action === 'credential.use_denied')).toMatchObject({ outcome: 'denied', target_name: made.name })
  })

  it('writes nothing for a change that fails: a 409 leaves no success row and no credential', async () => {
    const { name } = await createToken(t.app, admin)
    const before = (await rows()).length
    const res = await call(t.app, admin, { method: 'POST', url: `${API}/api_credentials`, payload: { name } })
    expect(res.statusCode).toBe(409)
    expect((await rows()).length).toBe(before)
  })

  it('chains each row to the one before it', async () => {
    const all = await rows()
    for (let i = 1; i < all.length; i++) expect(all[i].prev_hash).toBe(all[i - 1].hash)
  })

  it('refuses UPDATE and DELETE of audit rows in the database itself', async () => {
    await expect(t.services.db.db.updateTable('audit_events').set({ outcome: 'success' }).execute()).rejects.toThrow(/append-only/)
    await expect(t.services.db.db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/)
  })
})

describe('secrets at rest security', () => {
  it('keeps the HMAC key in a 0600 file, never in the database', async () => {
    const file = path.join(t.dataDir, 'token-secret.key')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  })

  it('never logs a token, even one put in the URL', async () => {
    const u = await createUser(t, { role: 'developer' })
    const a = await login(t.app, u.email, PASSWORD)
    const made = await createToken(t.app, a)
    issued.push(made.token)
    await t.app.inject({ url: `${WHOAMI}?token=${made.token}` })
    await t.app.inject({ url: `${WHOAMI}?api_token=${made.token}`, headers: { authorization: `APIToken ${made.token}` } })
    await call(t.app, { token: made.token }, { method: 'GET', url: WHOAMI })
    expect(log.length).toBeGreaterThan(0)
    for (const tok of issued) expect(log.split('\n').filter((l) => l.includes(tok))).toEqual([])
  })

  it('leaves no issued token in plaintext anywhere in the database', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(3)
    await t.services.usage.flush()
    if (t.dialect === 'postgres') {
      const { rows: tables } = await t.services.db.db.executeQuery<{ table_name: string }>({
        sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", parameters: [], query: undefined as never, queryId: undefined as never,
      } as never)
      let dump = ''
      const url = (t.services.config.databaseUrl)!
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      for (const { table_name } of tables) {
        const r = await client.query(`SELECT * FROM "${table_name}"`)
        dump += JSON.stringify(r.rows)
      }
      await client.end()
      expect(dump.length).toBeGreaterThan(1000)
      for (const tok of issued) expect(dump).not.toContain(tok)
    } else {
      await t.app.close()
      const files = fs.readdirSync(t.dataDir).filter((f) => f.startsWith('token-console.sqlite'))
      expect(files).toContain('token-console.sqlite')
      const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(t.dataDir, f))))
      expect(bytes.length).toBeGreaterThan(10_000)
      for (const tok of issued) {
        expect(bytes.includes(Buffer.from(tok))).toBe(false)
        expect(bytes.includes(Buffer.from(tok.slice(4)))).toBe(false)
      }
      // the table really holds them, hashed: the same scan finds a credential name
      expect(bytes.includes(Buffer.from('token-'))).toBe(true)
    }
  })
})
