// Part 7: administrative changes against the real server. With a re-authentication window set and
// a console session whose sign-in is older than it (moved back in the server's database), every
// administrative change (the policy, switching the window off included; people, their roles and
// passwords; service credential roles; webhooks; the SCIM token) answers 401
// reauthentication_required and changes nothing; after the password is confirmed each goes
// through; an admin API token is never asked. The last enabled administrator cannot be disabled or
// demoted, also when two demotions race.
import crypto from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, Session, request, type Res } from './support/http.js'
import { BodyLog, dialect, figure } from './support/run.js'
import { ADMIN_EMAIL, ADMIN_PASSWORD, ChildServer } from './support/server.js'

// Webhooks go to a local address: the suite reaches no public names.
const server = new ChildServer('admin-changes', { WEBHOOK_ALLOW_PRIVATE_TARGETS: '1' })
const bodies = new BodyLog('admin-changes')
const figures: string[] = []
const started = Date.now()
const WINDOW = 5
let admin: Session
let adminToken: string

const unique = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`
const withToken = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
  request(server.origin, method, p, { body, headers: { authorization: `APIToken ${adminToken}`, ...headers } })
const keep = (r: Res) => { bodies.add(r.status, r.text); return r }

/** Moves the session's sign-in back `minutes`, as if that long had passed without a password. */
async function signedInAgo(s: Session, minutes: number) {
  const idHash = crypto.createHash('sha256').update(s.cookie.replace(/^tc_session=/, '')).digest('hex')
  const at = Date.now() - minutes * 60_000
  if (dialect() === 'sqlite') {
    const db = new Database(path.join(server.dataDir, 'token-console.sqlite'))
    try {
      db.pragma('busy_timeout = 5000')
      expect(db.prepare('UPDATE sessions SET created_at = ?, authenticated_at = NULL WHERE id_hash = ?').run(at, idHash).changes).toBe(1)
    } finally {
      db.close()
    }
  } else {
    const c = new pg.Client({ connectionString: server.databaseUrl })
    await c.connect()
    try {
      expect((await c.query('UPDATE sessions SET created_at = $1, authenticated_at = NULL WHERE id_hash = $2', [at, idHash])).rowCount).toBe(1)
    } finally {
      await c.end()
    }
  }
}

async function json<T>(r: Promise<Res>): Promise<T> {
  const res = keep(await r)
  expect(res.status, res.text).toBe(200)
  return res.json<T>()
}
const policy = () => json<{ settings: Record<string, unknown> }>(withToken('GET', '/api/policy'))
async function setPolicy(s: Session | null, patch: Record<string, unknown>) {
  const { settings } = await policy()
  const body = { settings: { ...settings, ...patch }, apply: { mode: 'new_only' } }
  return keep(s ? await s.call('PUT', '/api/policy', body) : await withToken('PUT', '/api/policy', body))
}
const users = () => json<{ items: Array<{ id: string; email: string; role: string; disabled: boolean }> }>(withToken('GET', '/api/users'))
const webhooks = () => json<{ items: unknown[] }>(withToken('GET', '/api/webhooks'))
const newestAudit = async () => (await json<{ items: Array<{ id: number }> }>(withToken('GET', '/api/audit?limit=1'))).items[0]?.id

/** Everything an administrative change could touch, read with the admin token. */
async function snapshot(serviceName: string) {
  const scim = keep(await withToken('GET', `${API}/scim_token`))
  const svc = await json<{ spec: unknown }>(withToken('GET', `${API}/service_credentials/${serviceName}`))
  return { policy: await policy(), users: await users(), webhooks: await webhooks(), service: svc, scim: [scim.status, scim.text], audit: await newestAudit() }
}

beforeAll(async () => {
  await server.start()
  admin = await Session.login(server.origin)
  const created = keep(await admin.call('POST', `${API}/service_credentials`, { name: unique('admin-svc'), expiration_days: 30, namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }] }))
  expect(created.status, created.text).toBe(200)
  adminToken = created.json<{ data: string }>().data
})
afterAll(async () => {
  await server.stop()
  bodies.close()
  figure(`admin-changes[${dialect()}]: ${figures.join('; ')} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
})

describe('administrative changes from an old sign-in', () => {
  it('every one answers 401 reauthentication_required and changes nothing; each passes after the password; an admin token is never asked', async () => {
    expect((await setPolicy(admin, { reauth_window_minutes: WINDOW })).status).toBe(200)
    // Made with the admin token (never asked): what the stale session then tries to change.
    const mk = async (role: string) => {
      const r = keep(await withToken('POST', '/api/users', { email: `${unique(role)}@example.com`, name: 'Target', role, password: 'target-password-123456' }))
      expect(r.status, r.text).toBe(201)
      return r.json<{ id: string }>().id
    }
    const [dev, otherAdmin, doomed] = [await mk('developer'), await mk('admin'), await mk('auditor')]
    const svc = keep(await withToken('POST', `${API}/service_credentials`, { name: unique('svc'), expiration_days: 30, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] }))
    expect(svc.status, svc.text).toBe(200)
    const svcName = svc.json<{ name: string }>().name
    const hook = keep(await withToken('POST', '/api/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['credential.leaked'] }))
    expect(hook.status, hook.text).toBe(201)
    const hookId = hook.json<{ id: string }>().id

    const changes: Array<[string, () => Promise<Res>]> = [
      ['switch the window off', async () => admin.call('PUT', '/api/policy', { settings: { ...(await policy()).settings, reauth_window_minutes: null }, apply: { mode: 'new_only' } })],
      ['allow never-expiring tokens', async () => admin.call('PUT', '/api/policy', { settings: { ...(await policy()).settings, allow_never_expire: true, never_expire_account_types: ['user', 'service'] }, apply: { mode: 'new_only' } })],
      ['create an admin with a chosen password', () => admin.call('POST', '/api/users', { email: `${unique('planted')}@example.com`, name: 'Planted', role: 'admin', password: 'planted-password-123456' })],
      ['make a developer an admin', () => admin.call('PATCH', `/api/users/${dev}`, { role: 'admin' })],
      ['disable an admin', () => admin.call('PATCH', `/api/users/${otherAdmin}`, { disabled: true })],
      ['set someone\'s password', () => admin.call('PATCH', `/api/users/${dev}`, { password: 'taken-over-password-123' })],
      ['delete a person', () => admin.call('DELETE', `/api/users/${doomed}`)],
      ['raise service credential roles to ves-io-admin', () => admin.call('PUT', `${API}/service_credentials/${svcName}`, { namespace: 'system', name: svcName, namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }] })],
      ['add a webhook', () => admin.call('POST', '/api/webhooks', { url: 'http://127.0.0.1:9/exfil', events: ['credential.leaked'] })],
      ['point a webhook elsewhere', () => admin.call('PATCH', `/api/webhooks/${hookId}`, { url: 'http://127.0.0.2:9/exfil' })],
      ['delete a webhook', () => admin.call('DELETE', `/api/webhooks/${hookId}`)],
      ['create or replace the SCIM token', () => admin.call('POST', `${API}/scim_token`, { expiration_days: 30 })],
    ]

    await signedInAgo(admin, 10)
    const before = await snapshot(svcName)
    for (const [what, send] of changes) {
      const res = keep(await send())
      expect(res.status, `${what}: ${res.text}`).toBe(401)
      expect(res.json<{ details: unknown[] }>().details, what).toEqual([{ reason: 'reauthentication_required' }])
    }
    expect(await snapshot(svcName), 'nothing changed').toEqual(before)
    figures.push(`${changes.length} changes from a ${WINDOW}-minute-stale session: all 401, nothing changed`)

    // The password confirmed, each goes through (the window switched off last).
    expect(keep(await admin.call('POST', '/api/auth/reauthenticate', { password: ADMIN_PASSWORD })).status).toBe(200)
    for (const [what, send] of [...changes.slice(1), changes[0]]) {
      const res = keep(await send())
      expect(res.status, `${what} after re-entry: ${res.text}`).toBeLessThan(300)
    }
    expect((await policy()).settings.reauth_window_minutes).toBeNull()
  })
})

describe('the last enabled administrator', () => {
  it('cannot be disabled or demoted, by an admin token either; two demotions at once leave one administrator', async () => {
    const admins = async () => (await users()).items.filter((u) => u.role === 'admin' && !u.disabled)
    // Only the first administrator stays enabled.
    for (const u of await admins()) if (u.email !== ADMIN_EMAIL) expect(keep(await withToken('PATCH', `/api/users/${u.id}`, { role: 'developer' })).status).toBe(200)
    const [first] = await admins()
    expect((await admins()).map((u) => u.email)).toEqual([ADMIN_EMAIL])
    const audit = await newestAudit()
    for (const change of [{ disabled: true }, { role: 'developer' }, { role: 'auditor' }]) {
      const res = keep(await withToken('PATCH', `/api/users/${first.id}`, change))
      expect(res.status, res.text).toBe(400)
      expect(res.json()).toMatchObject({ code: 9, details: [{ field: Object.keys(change)[0], reason: 'last admin' }] })
    }
    const del = keep(await withToken('DELETE', `/api/users/${first.id}`))
    expect(del.status).toBe(400)
    expect(await newestAudit()).toBe(audit)

    let races = 0
    for (const change of [{ role: 'developer' }, { disabled: true }, { role: 'auditor' }, { disabled: true }, { role: 'developer' }]) {
      const email = `${unique('second')}@example.com`
      const second = keep(await withToken('POST', '/api/users', { email, name: 'Second', role: 'admin', password: 'second-admin-password-1' }))
      expect(second.status).toBe(201)
      const secondId = second.json<{ id: string }>().id
      const a = await Session.login(server.origin)
      const b = await Session.login(server.origin, email, 'second-admin-password-1')
      // Each demotes the other, and the token demotes both, all at once.
      const all = (await Promise.all([
        a.call('PATCH', `/api/users/${secondId}`, change), b.call('PATCH', `/api/users/${first.id}`, change),
        withToken('PATCH', `/api/users/${first.id}`, change), withToken('PATCH', `/api/users/${secondId}`, change),
      ])).map(keep)
      expect(all.filter((r) => r.status >= 500), all.map((r) => r.text).join('\n')).toEqual([])
      const left = await admins()
      expect(left, JSON.stringify(all.map((r) => [r.status, r.text]))).toHaveLength(1)
      if (all.some((r) => r.status === 400 && r.text.includes('last admin'))) races++
      // Back to the first administrator alone.
      for (const id of [first.id, secondId]) expect(keep(await withToken('PATCH', `/api/users/${id}`, { role: 'admin', disabled: false })).status).toBe(200)
      expect(keep(await withToken('PATCH', `/api/users/${secondId}`, { role: 'developer' })).status).toBe(200)
    }
    expect(races).toBeGreaterThan(0)
    figures.push(`last admin: disable, demote and delete refused; 5 rounds of 4 racing demotions left one administrator each time (${races} refused at the check)`)
  })
})
