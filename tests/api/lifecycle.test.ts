// Never-expiring tokens, removal of tokens unused for two years, and people.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, createUser, login, signedIn, tokenName, WHOAMI, type Auth } from '../support/factories.js'
import { sql } from 'kysely'
import type { PolicySettings } from '../../contract/policy.js'

let t: TestApp
let admin: Auth
let adminId: string
let dev: Auth

beforeAll(async () => {
  t = await buildTestApp({ removalJobIntervalMs: 0 })
  const a = await signedIn(t, 'admin')
  admin = a.auth
  adminId = a.user.id
  dev = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const getPolicy = async () => (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
const putPolicy = (settings: PolicySettings) => call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings, apply: { mode: 'new_only' } } })
const svcRoles = [{ namespace: 'system', role: 'ves-io-monitor' }]

describe('never-expiring tokens', () => {
  it('are refused while the policy forbids them, naming never_expires', async () => {
    const res = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: true } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/never-expiring/)
    expect(JSON.stringify(res.json())).toContain('never_expires')
  })

  it('follow the account types the policy names', async () => {
    const base = (await getPolicy()).settings
    try {
      expect((await putPolicy({ ...base, allow_never_expire: true, never_expire_account_types: ['service'] })).statusCode).toBe(200)
      const userRes = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: true } })
      expect(userRes.statusCode).toBe(400)
      expect(userRes.json().message).toMatch(/user accounts/)
      const svc = await call(t.app, admin, { method: 'POST', url: `${API}/service_credentials`, payload: { name: tokenName('svc'), never_expires: true, namespace_roles: svcRoles } })
      expect(svc.statusCode).toBe(200)
      expect(svc.json().expiration_timestamp).toBeNull()

      await putPolicy({ ...base, allow_never_expire: true, never_expire_account_types: ['user', 'service'] })
      const name = tokenName()
      const ok = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name, never_expires: true } })
      expect(ok.statusCode).toBe(200)
      expect(ok.json().expiration_timestamp).toBeNull()
      const row = await t.services.db.db.selectFrom('credentials').select(['expires_at', 'lifetime_days']).where('name', '=', name).executeTakeFirstOrThrow()
      expect(row).toEqual({ expires_at: null, lifetime_days: null })
      const got = await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials/${name}` })
      expect(got.statusCode).toBe(200)
      expect((await call(t.app, { token: ok.json().data }, { method: 'GET', url: '/api/web/custom/namespaces/system/whoami' })).statusCode).toBe(200)

      const both = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: true, expiration_days: 10 } })
      expect(both.statusCode).toBe(400)
      expect(both.json().message).toMatch(/never_expires or expiration_days/)
      // false is the ordinary create.
      const plain = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), never_expires: false } })
      expect(plain.statusCode).toBe(200)
      expect(plain.json().expiration_timestamp).not.toBeNull()
    } finally {
      await putPolicy(base)
    }
  })
})

const DAY = 86_400_000
const db = () => t.services.db.db
const setRow = (name: string, values: Record<string, number | null>) => db().updateTable('credentials').set(values).where('name', '=', name).execute()
const exists = async (name: string) => Boolean(await db().selectFrom('credentials').select('id').where('name', '=', name).executeTakeFirst())
const auditRows = async (action: string, name: string) =>
  Number((await db().selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).where('target_name', '=', name).executeTakeFirstOrThrow()).n)
const tombstones = async (name: string) => db().selectFrom('credential_tombstones').selectAll().where('name', '=', name).execute()
const whoami = async (token: string) => (await call(t.app, { token }, { method: 'GET', url: WHOAMI })).statusCode

/** The trigger-kept counters against a fresh count of the rows themselves. */
async function expectCountersExact() {
  const kept = await db().selectFrom('credential_counts').select(['owner_id', 'type', 'state', 'n']).where('n', '<>', 0).execute()
  const perOwner = await db().selectFrom('credentials').select(['owner_id', 'type', 'state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['owner_id', 'type', 'state']).execute()
  const tenant = await db().selectFrom('credentials').select(['type', 'state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['type', 'state']).execute()
  const fresh = [...perOwner, ...tenant.map((r) => ({ owner_id: '', ...r }))]
  const key = (r: { owner_id: string; type: string; state: string; n: number | string }) => `${r.owner_id}|${r.type}|${r.state}|${Number(r.n)}`
  expect(kept.map(key).sort()).toEqual(fresh.map(key).sort())
  const expiry = await db().selectFrom('credential_expiry_counts').select(['type', 'day', 'n']).where('n', '<>', 0).execute()
  const freshExpiry = await db().selectFrom('credentials').select(['type', sql<number>`expires_at / 86400000`.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'live').where('expires_at', 'is not', null).groupBy(['type', sql`expires_at / 86400000`]).execute()
  const ek = (r: { type: string; day: number | string; n: number | string }) => `${r.type}|${Number(r.day)}|${Number(r.n)}`
  expect(expiry.map(ek).sort()).toEqual(freshExpiry.map(ek).sort())
}

describe('removal of tokens unused for two years', () => {
  it('removes at 730 days by last use (or creation), whatever the state or expiry; keeps a tombstone; frees the name', async () => {
    const now = Date.now()
    const used729 = await createToken(t.app, admin)
    await setRow(used729.name, { created_at: now - 1000 * DAY, last_used_at: now - 729 * DAY })
    const never = await createToken(t.app, admin)
    await setRow(never.name, { created_at: now - 731 * DAY, expires_at: null, lifetime_days: null })
    const revoked = await createToken(t.app, admin, { description: 'old one' })
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: revoked.name } })).statusCode).toBe(200)
    await setRow(revoked.name, { created_at: now - 800 * DAY, last_used_at: now - 760 * DAY })
    const edge = await createToken(t.app, admin)
    await setRow(edge.name, { created_at: now - 800 * DAY, last_used_at: now - 730 * DAY + 3_600_000 })
    const svc = await createServiceToken(t.app, admin, 'ves-io-monitor')
    await setRow(svc.name, { created_at: now - 900 * DAY })
    const fresh = await createToken(t.app, admin)

    // The check cache holds the never-expiring one (used just now, that use flushed, then aged).
    expect(await whoami(never.token)).toBe(200)
    await t.services.usage.flush()
    await setRow(never.name, { last_used_at: null })

    const removed = await t.services.removalJob.run(now)
    expect(removed.sort()).toEqual([never.name, revoked.name, svc.name].sort())
    for (const n of [used729.name, edge.name, fresh.name]) expect(await exists(n)).toBe(true)
    expect(await whoami(never.token)).toBe(401) // forgotten by the check cache at once
    expect(await whoami(svc.token)).toBe(401)
    expect(await whoami(used729.token)).toBe(200)

    // The controllable clock: an hour later the edge token is past 730 days too.
    expect(await t.services.removalJob.run(now + 3_600_000 + 1000)).toEqual([edge.name])
    expect(await t.services.removalJob.run(now + 3_600_000 + 1000)).toEqual([])

    const [tomb] = await tombstones(revoked.name)
    expect(tomb).toMatchObject({ name: revoked.name, type: 'API_TOKEN', scope: 'full_access', reason: 'unused_two_years', removed_at: now })
    expect(Number(tomb.created_at)).toBe(now - 800 * DAY)
    expect(Number(tomb.last_used_at)).toBe(now - 760 * DAY)
    expect(tomb.revoked_at).not.toBeNull()
    expect(tomb).not.toHaveProperty('token_hash')
    for (const n of [never.name, revoked.name, svc.name, edge.name]) {
      expect(await tombstones(n)).toHaveLength(1)
      expect(await auditRows('credential.remove', n)).toBe(1)
    }
    const audit = await db().selectFrom('audit_events').select(['actor_type', 'details']).where('action', '=', 'credential.remove').where('target_name', '=', never.name).executeTakeFirstOrThrow()
    expect(audit.actor_type).toBe('system')
    expect(JSON.parse(audit.details)).toMatchObject({ reason: 'unused_two_years', last_used: null })

    // In the inventory's Removed view, for admins and auditors only.
    const list = await call(t.app, admin, { method: 'GET', url: `/api/inventory/removed?q=${encodeURIComponent(revoked.name)}` })
    expect(list.statusCode).toBe(200)
    expect(list.json().items).toEqual([expect.objectContaining({
      name: revoked.name, owner: expect.objectContaining({ email: expect.any(String) }), scope: 'full_access', reason: 'unused_two_years',
      created_timestamp: new Date(now - 800 * DAY).toISOString(), last_used_timestamp: new Date(now - 760 * DAY).toISOString(),
      removed_timestamp: new Date(now).toISOString(),
    })])
    expect((await call(t.app, dev, { method: 'GET', url: '/api/inventory/removed' })).statusCode).toBe(403)
    const paged = await call(t.app, admin, { method: 'GET', url: '/api/inventory/removed?limit=1' })
    expect(paged.json().items).toHaveLength(1)
    const next = await call(t.app, admin, { method: 'GET', url: `/api/inventory/removed?limit=1&cursor=${paged.json().next_cursor}` })
    expect(next.json().items[0].name).not.toBe(paged.json().items[0].name)

    // The name is free again.
    expect((await createToken(t.app, admin, { name: revoked.name })).name).toBe(revoked.name)
    await expectCountersExact()
  })

  it('two passes at once (two instances on PostgreSQL) remove each token once', async () => {
    const now = Date.now()
    const names: string[] = []
    for (let i = 0; i < 12; i++) {
      const c = await createToken(t.app, admin, { name: tokenName('race') })
      await setRow(c.name, { created_at: now - 740 * DAY })
      names.push(c.name)
    }
    const other = t.dialect === 'postgres' ? await buildApp({ ...t.services.config, removalJobIntervalMs: 0 }, { logger: false }) : undefined
    try {
      const jobs = [t.services.removalJob, (other?.services ?? t.services).removalJob]
      const [a, b] = await Promise.all(jobs.map((j) => j.run(now)))
      expect([...a, ...b].sort()).toEqual([...names].sort())
    } finally {
      await other?.app.close()
    }
    for (const n of names) {
      expect(await tombstones(n)).toHaveLength(1)
      expect(await auditRows('credential.remove', n)).toBe(1)
    }
    await expectCountersExact()
  })
})

describe('deleting a person', () => {
  const del = (auth: Auth, id: string) => call(t.app, auth, { method: 'DELETE', url: `/api/users/${id}` })

  it('is refused while they own active tokens, and allowed once they are revoked; sessions and account go, tokens become tombstones', async () => {
    const person = await createUser(t, { role: 'developer' })
    const session = await login(t.app, person.email)
    const active = await createToken(t.app, session)
    const old = await createToken(t.app, session)
    await call(t.app, session, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: old.name } })

    const refused = await del(admin, person.id)
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({ code: 9, details: [{ field: 'active_tokens', reason: '1' }] })
    expect(refused.json().message).toMatch(/owns 1 active token/)
    expect(await whoami(active.token)).toBe(200)

    const bulk = await call(t.app, admin, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [active.name] } } })
    expect(bulk.json().credentials_marked_for_deletion).toEqual([active.name])
    const ok = await del(admin, person.id)
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({ status: true, tokens_removed: 2 })

    const users = (await call(t.app, admin, { method: 'GET', url: '/api/users' })).json().items as Array<{ id: string }>
    expect(users.some((u) => u.id === person.id)).toBe(false)
    expect(await db().selectFrom('sessions').select('id_hash').where('user_id', '=', person.id).execute()).toEqual([])
    expect((await call(t.app, session, { method: 'GET', url: '/api/auth/session' })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: person.email, password: 'correct-horse-battery-staple' } })).statusCode).toBe(401)
    for (const n of [active.name, old.name]) {
      expect(await tombstones(n)).toEqual([expect.objectContaining({ reason: 'owner_deleted', owner_email: person.email })])
      expect(await exists(n)).toBe(false)
    }
    expect(await auditRows('user.delete', person.email)).toBe(1)
    expect((await del(admin, person.id)).statusCode).toBe(404)
    await expectCountersExact()
  })

  it('is refused for oneself, for non-admins and for the last administrator', async () => {
    expect((await del(admin, adminId)).statusCode).toBe(400)
    const target = await createUser(t)
    expect((await del(dev, target.id)).statusCode).toBe(403)
    // A service credential with the admin role may manage users, but not delete the last administrator.
    const svc = await createServiceToken(t.app, admin, 'ves-io-admin')
    const admins = (await call(t.app, admin, { method: 'GET', url: '/api/users' })).json().items.filter((u: { role: string }) => u.role === 'admin')
    expect(admins).toHaveLength(1)
    const last = await del({ token: svc.token }, admins[0].id)
    expect(last.statusCode).toBe(400)
    expect(last.json().message).toMatch(/last administrator/)
  })

  it('leaves service accounts and their credentials alone, whoever created them', async () => {
    const creator = await signedIn(t, 'admin')
    const svc = await createServiceToken(t.app, creator.auth, 'ves-io-monitor', { service_account_name: tokenName('acct') })
    const account = await db().selectFrom('credentials').select(['owner_id', 'created_by']).where('name', '=', svc.name).executeTakeFirstOrThrow()
    expect(account.created_by).toBe(creator.user.id)
    expect((await del(admin, creator.user.id)).statusCode).toBe(200)
    expect(await whoami(svc.token)).toBe(200)
    const accounts = (await call(t.app, admin, { method: 'GET', url: '/api/service_accounts' })).json().items as Array<{ id: string }>
    expect(accounts.some((a) => a.id === account.owner_id)).toBe(true)
    expect((await del(admin, account.owner_id)).statusCode).toBe(404)
  })
})
