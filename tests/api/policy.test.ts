// The stored tenant policy, its dry run, applying it, and its enforcement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, type Auth } from '../support/factories.js'
import type { PolicySettings } from '../../contract/policy.js'
import { buildApp } from '../../server/app.js'

const DAY = 86_400_000
let t: TestApp
let admin: Auth
let dev: Auth

beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const getPolicy = async () => (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
const put = (auth: Auth, settings: PolicySettings, apply: Record<string, unknown> = { mode: 'new_only' }) =>
  call(t.app, auth, { method: 'PUT', url: '/api/policy', payload: { settings, apply } })
const setRow = (name: string, values: Record<string, number | null>) =>
  t.services.db.db.updateTable('credentials').set(values).where('name', '=', name).execute()

describe('policy happy', () => {
  it('starts from the environment values and answers every signed-in caller', async () => {
    const res = await call(t.app, dev, { method: 'GET', url: '/api/policy' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      default_expiration_days: 90, max_expiration_days: 365, max_active_tokens_per_user: 100,
      settings: { default_expiration_days: 90, max_expiration_days: 365, allow_never_expire: false, idle_timeout_days: null, allow_reactivation: false },
    })
  })

  it('dry run lists exactly the existing tokens that would change, and how; apply-to-existing changes exactly those', async () => {
    const now = Date.now()
    const mk = async (n: string) => (await createToken(t.app, admin, { name: n, expiration_days: 30 })).name
    // Seeded set, as if created over time (rows adjusted directly):
    const long = await mk('seed-long') // a 200-day lifetime: over a 60-day maximum
    await setRow(long, { lifetime_days: 200, expires_at: now + 190 * DAY, created_at: now - 10 * DAY })
    const renewed = await mk('seed-renewed') // renewed for 100 days, 5 days ago
    await setRow(renewed, { lifetime_days: 100, expires_at: now + 95 * DAY, created_at: now - 300 * DAY, last_used_at: now - DAY })
    const never = await mk('seed-never') // never expires
    await setRow(never, { lifetime_days: null, expires_at: null, created_at: now - 5 * DAY })
    const idle = await mk('seed-idle') // last used 100 days ago
    await setRow(idle, { lifetime_days: 50, expires_at: now + 20 * DAY, created_at: now - 30 * DAY, last_used_at: now - 100 * DAY })
    const fine = await mk('seed-fine') // 30 days, used yesterday
    await setRow(fine, { last_used_at: now - DAY })
    const revoked = await mk('seed-revoked') // over the maximum but revoked
    await setRow(revoked, { lifetime_days: 300, expires_at: now + 300 * DAY })
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: revoked } })
    const expired = await mk('seed-expired') // over the maximum but already expired
    await setRow(expired, { lifetime_days: 300, expires_at: now - DAY })

    const settings = { ...(await getPolicy()).settings, max_expiration_days: 60, default_expiration_days: 30, idle_timeout_days: 60 }
    expect((await call(t.app, dev, { method: 'POST', url: '/api/policy/dry_run', payload: { settings } })).statusCode).toBe(403)
    const dry = await call(t.app, admin, { method: 'POST', url: '/api/policy/dry_run', payload: { settings } })
    expect(dry.statusCode).toBe(200)
    const items = dry.json().items as Array<{ name: string; change: string; new_expiry: string; owner: { email: string }; last_used_timestamp: string | null }>
    expect(dry.json().total).toBe(4)
    expect(items.map((i) => [i.name, i.change])).toEqual([
      [idle, 'idle_disable'], [long, 'shorten_expiry'], [never, 'shorten_expiry'], [renewed, 'shorten_expiry'],
    ])
    const by = Object.fromEntries(items.map((i) => [i.name, i]))
    const near = (isoTime: string, ms: number) => expect(Math.abs(Date.parse(isoTime) - ms)).toBeLessThan(60_000)
    near(by[long].new_expiry, now + 50 * DAY) // created 10 days ago + 60
    near(by[renewed].new_expiry, now + 55 * DAY) // renewed 5 days ago + 60
    near(by[never].new_expiry, now + 55 * DAY)
    near(by[idle].new_expiry, now)
    near(by[idle].last_used_timestamp!, now - 100 * DAY)
    expect(by[long].owner.email).toMatch(/@example\.com$/)

    // A later effective date: nothing ends before it.
    const later = new Date(now + 70 * DAY).toISOString()
    const dryLater = (await call(t.app, admin, { method: 'POST', url: '/api/policy/dry_run', payload: { settings, effective_from: later } })).json()
    expect(dryLater.items.map((i: { name: string }) => i.name).sort()).toEqual([long, renewed, never].sort())
    for (const i of dryLater.items) near(i.new_expiry, Date.parse(later))

    // New tokens only: nothing existing changes.
    const before = await t.services.db.db.selectFrom('credentials').select(['name', 'expires_at']).orderBy('name').execute()
    expect((await put(dev, settings)).statusCode).toBe(403)
    const onlyNew = await put(admin, settings)
    expect(onlyNew.statusCode).toBe(200)
    expect(onlyNew.json().changed).toEqual([])
    expect(await t.services.db.db.selectFrom('credentials').select(['name', 'expires_at']).orderBy('name').execute()).toEqual(before)

    // Existing ones from now: exactly the dry run's tokens, each audited.
    const applied = await put(admin, settings, { mode: 'existing', effective_from: new Date().toISOString() })
    expect(applied.statusCode).toBe(200)
    expect(applied.json().changed.map((c: { name: string }) => c.name)).toEqual([idle, long, never, renewed])
    const after = await t.services.db.db.selectFrom('credentials').select(['name', 'expires_at']).orderBy('name').execute()
    const changedNames = after.filter((r, i) => r.expires_at !== before[i].expires_at).map((r) => r.name)
    expect(changedNames).toEqual([idle, long, never, renewed])
    const audit = await t.services.db.db.selectFrom('audit_events').select(['action', 'target_name']).where('action', 'in', ['policy.update', 'credential.policy_apply']).orderBy('id').execute()
    expect(audit.filter((a) => a.action === 'policy.update')).toHaveLength(2)
    expect(audit.filter((a) => a.action === 'credential.policy_apply').map((a) => a.target_name).sort()).toEqual([idle, long, never, renewed])
    // The idle token is refused now.
    const check = await call(t.app, admin, { method: 'GET', url: `${API}/api_credentials/${idle}` })
    expect(check.json().status).toBe('expired')
    // Applied once, the dry run is empty.
    expect((await call(t.app, admin, { method: 'POST', url: '/api/policy/dry_run', payload: { settings } })).json().total).toBe(0)
  })
})

describe('policy enforcement', () => {
  it('enforces lifetime and default on create, renew and rotate', async () => {
    const base = (await getPolicy()).settings
    expect((await put(admin, { ...base, max_expiration_days: 40, default_expiration_days: 20, idle_timeout_days: null })).statusCode).toBe(200)
    const over = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'too-long-lived', expiration_days: 41 } })
    expect(over.statusCode).toBe(400)
    expect(over.json().message).toMatch(/at most 40/)
    const made = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'policy-default' } })
    expect(made.statusCode).toBe(200)
    expect(Math.round((Date.parse(made.json().expiration_timestamp) - Date.now()) / DAY)).toBe(20)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: 'policy-default', expiration_days: 41 } })).statusCode).toBe(400)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: 'policy-default', expiration_days: 40 } })).statusCode).toBe(200)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/rotate/api_credentials`, payload: { name: 'policy-default', overlap_seconds: 60, expiration_days: 41 } })).statusCode).toBe(400)
    const rotated = await call(t.app, dev, { method: 'POST', url: `${API}/rotate/api_credentials`, payload: { name: 'policy-default', overlap_seconds: 60 } })
    expect(rotated.statusCode).toBe(200)
    expect(Math.round((Date.parse(rotated.json().expiration_timestamp) - Date.now()) / DAY)).toBe(20)
  })

  it('enforces the name rule, the active-token limit and who may create service credentials', async () => {
    const base = (await getPolicy()).settings
    await put(admin, { ...base, name_pattern: '^team-', max_active_tokens_per_user: 2, service_credential_creators: 'admins' })
    const badName = await call(t.app, dev, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'no-prefix' } })
    expect(badName.statusCode).toBe(400)
    expect(badName.json().details[0].field).toBe('name')
    const { auth: fresh } = await signedIn(t, 'developer')
    expect((await createToken(t.app, fresh, { name: 'team-a' })).name).toBe('team-a')
    await createToken(t.app, fresh, { name: 'team-b' })
    expect((await call(t.app, fresh, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'team-c' } })).statusCode).toBe(429)
    // A rotation may go one over: the old token ends with the overlap.
    expect((await call(t.app, fresh, { method: 'POST', url: `${API}/rotate/api_credentials`, payload: { name: 'team-a', overlap_seconds: 0 } })).statusCode).toBe(200)
    const svc = { name: 'team-svc', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] }
    const { auth: writer } = await signedIn(t, 'developer')
    expect((await call(t.app, writer, { method: 'POST', url: `${API}/service_credentials`, payload: svc })).statusCode).toBe(403)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/service_credentials`, payload: svc })).statusCode).toBe(200)
    await put(admin, { ...base })
  })
})

describe('policy error', () => {
  it('refuses an inconsistent or invalid policy', async () => {
    const base = (await getPolicy()).settings
    expect((await put(admin, { ...base, default_expiration_days: 400, max_expiration_days: 365 })).statusCode).toBe(400)
    expect((await put(admin, { ...base, name_pattern: '([' })).statusCode).toBe(400)
    expect((await put(admin, base, { mode: 'existing' })).statusCode).toBe(400)
  })
})

describe('idle job', () => {
  it('ends tokens unused past the idle timeout, audited; renew brings one back', async () => {
    const base = (await getPolicy()).settings
    const idle = await createToken(t.app, admin, { name: 'idle-job-old' })
    const used = await createToken(t.app, admin, { name: 'idle-job-used' })
    const now = Date.now()
    await setRow(idle.name, { created_at: now - 50 * DAY, last_used_at: now - 40 * DAY })
    await setRow(used.name, { created_at: now - 50 * DAY, last_used_at: now - 40 * DAY })
    // Used just now on this instance, not yet written: the job flushes first, so it counts.
    expect((await call(t.app, { token: used.token }, { method: 'GET', url: '/api/web/custom/namespaces/system/whoami' })).statusCode).toBe(200)
    expect(await t.services.idleJob.run()).toEqual([]) // off by default
    await put(admin, { ...base, idle_timeout_days: 30 })
    const ended = await t.services.idleJob.run()
    expect(ended).toContain(idle.name)
    expect(ended).not.toContain(used.name)
    expect((await call(t.app, { token: idle.token }, { method: 'GET', url: '/api/web/custom/namespaces/system/whoami' })).statusCode).toBe(401)
    const row = await t.services.db.db.selectFrom('audit_events').select(['actor_type', 'details']).where('action', '=', 'credential.idle_end').where('target_name', '=', idle.name).executeTakeFirstOrThrow()
    expect(row.actor_type).toBe('system')
    expect(await t.services.idleJob.run()).toEqual([])
    await put(admin, { ...base, idle_timeout_days: null })
    await call(t.app, admin, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: idle.name, expiration_days: 10 } })
    expect((await call(t.app, { token: idle.token }, { method: 'GET', url: '/api/web/custom/namespaces/system/whoami' })).statusCode).toBe(200)
  })
})

// Registered on PostgreSQL only (SQLite has no second instance), so no run reports it as skipped.
if (process.env.TEST_DB === 'postgres') describe('idle job on two instances', () => {
  it('two instances on one PostgreSQL database end an idle token once, with one audit row', async () => {
    const second = await buildApp({ ...t.services.config, idleJobIntervalMs: 0 }, { logger: false })
    const base = (await getPolicy()).settings
    try {
      const idle = await createToken(t.app, admin, { name: 'idle-twice-old' })
      const now = Date.now()
      await setRow(idle.name, { created_at: now - 50 * DAY, last_used_at: now - 40 * DAY })
      await put(admin, { ...base, idle_timeout_days: 30 })
      const [a, b] = await Promise.all([t.services.idleJob.run(now), second.services.idleJob.run(now)])
      expect([...a, ...b].filter((n) => n === idle.name)).toEqual([idle.name])
      const rows = await t.services.db.db.selectFrom('audit_events').select('id').where('action', '=', 'credential.idle_end').where('target_name', '=', idle.name).execute()
      expect(rows).toHaveLength(1)
    } finally {
      await put(admin, { ...base, idle_timeout_days: null })
      await second.app.close()
    }
  })
})

describe('name rule matching', () => {
  // 40 "a" and a digit: a valid credential name on which a backtracking engine tries every way of
  // splitting the a's into "a" and "aa" (about 10^8 of them) before it can say no.
  const slowName = `${'a'.repeat(40)}1`
  const verify = async (token: string) => {
    const began = performance.now()
    const res = await t.app.inject({ url: '/api/verify', headers: { authorization: `APIToken ${token}` } })
    return { status: res.statusCode, ms: performance.now() - began }
  }
  /** A create with `name` raced against token checks every 20 ms; how long each took. */
  const createBesideChecks = async (name: string, token: string) => {
    let done = false
    const checks: Array<{ status: number; ms: number }> = []
    const began = performance.now()
    const [created] = await Promise.all([
      call(t.app, admin, { method: 'POST', url: `${API}/api_credentials`, payload: { name } }).finally(() => { done = true }),
      (async () => {
        while (!done || checks.length < 3) {
          checks.push(await verify(token))
          await new Promise((r) => setTimeout(r, 20))
        }
      })(),
    ])
    return { created, ms: performance.now() - began, checks }
  }

  it('matches a rule prone to catastrophic backtracking in linear time: the create answers at once, token checks keep answering', async () => {
    const base = (await getPolicy()).settings
    const { token } = await createToken(t.app, admin, { name: 'rule-engine-checker' })
    try {
      expect((await put(admin, { ...base, name_pattern: '^(a|aa)+$' })).statusCode).toBe(200)
      const { created, ms, checks } = await createBesideChecks(slowName, token)
      expect(created.statusCode).toBe(400)
      expect(created.json().details[0].field).toBe('name')
      expect(ms).toBeLessThan(1000)
      expect(checks.every((c) => c.status === 204 && c.ms < 1000), JSON.stringify(checks)).toBe(true)
      // The rule still means what it says.
      expect((await createToken(t.app, admin, { name: 'aaaaaaa' })).name).toBe('aaaaaaa')
    } finally {
      await put(admin, base)
    }
  })

  it('refuses rules the linear engine cannot run (lookarounds, backreferences) at PUT and in the dry run, naming the field', async () => {
    const base = (await getPolicy()).settings
    for (const pattern of ['^(?!tmp-)[a-z0-9-]+$', '^(a)\\1', '(?<=x)y']) {
      const res = await put(admin, { ...base, name_pattern: pattern })
      expect(res.statusCode, pattern).toBe(400)
      expect(res.json().details[0].field).toBe('settings.name_pattern')
      expect(res.json().message).toMatch(/lookaround|backreference/)
      const dry = await call(t.app, admin, { method: 'POST', url: '/api/policy/dry_run', payload: { settings: { ...base, name_pattern: pattern } } })
      expect(dry.statusCode, pattern).toBe(400)
    }
    expect((await getPolicy()).settings.name_pattern).toBe(base.name_pattern)
  })

  it('keeps a stored rule from before (a lookahead) working, and bounds its time on a name it backtracks on', async () => {
    const base = (await getPolicy()).settings
    const { token } = await createToken(t.app, admin, { name: 'legacy-rule-checker' })
    // Written straight to the stored document, as an older server that accepted any JavaScript pattern left it.
    const store = (pattern: string | null) => t.services.db.db.updateTable('policy').set({ doc: JSON.stringify({ ...base, name_pattern: pattern }) }).execute()
    try {
      await store('^(?!tmp-)[a-z0-9-]+$')
      expect((await getPolicy()).settings.name_pattern).toBe('^(?!tmp-)[a-z0-9-]+$')
      expect((await createToken(t.app, admin, { name: 'legacy-kept-name' })).name).toBe('legacy-kept-name')
      const refused = await call(t.app, admin, { method: 'POST', url: `${API}/api_credentials`, payload: { name: 'tmp-legacy-name' } })
      expect(refused.statusCode).toBe(400)
      await store('^(?=(a|aa)+$)')
      const { created, ms, checks } = await createBesideChecks(slowName, token)
      expect(created.statusCode).toBe(400)
      expect(ms).toBeLessThan(1000)
      expect(checks.every((c) => c.status === 204 && c.ms < 1000), JSON.stringify(checks)).toBe(true)
    } finally {
      await store(base.name_pattern)
    }
  })
})

describe('policy versions (ETag and If-Match)', () => {
  const read = async (auth: Auth) => {
    const res = await call(t.app, auth, { method: 'GET', url: '/api/policy' })
    expect(res.statusCode).toBe(200)
    return { etag: res.headers.etag as string, settings: (res.json() as { settings: PolicySettings }).settings }
  }
  const putIf = (auth: Auth, settings: PolicySettings, ifMatch?: string) =>
    call(t.app, auth, { method: 'PUT', url: '/api/policy', payload: { settings, apply: { mode: 'new_only' } }, headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } })
  const policyRow = () => t.services.db.db.selectFrom('policy').selectAll().executeTakeFirstOrThrow()
  const updates = async () => Number((await t.services.db.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'policy.update').executeTakeFirstOrThrow()).n)

  it('two administrators read; A saves; B\'s save with the old ETag is refused with 412 and changes nothing', async () => {
    const other = (await signedIn(t, 'admin')).auth
    const a = await read(admin)
    const b = await read(other)
    expect(a.etag).toMatch(/^"[\w-]+"$/)
    expect(b.etag).toBe(a.etag)
    // Reading again without a change gives the same tag.
    expect((await read(dev)).etag).toBe(a.etag)
    const saved = await putIf(admin, { ...a.settings, max_active_tokens_per_user: 45 }, a.etag)
    expect(saved.statusCode, saved.body).toBe(200)
    const newTag = saved.headers.etag as string
    expect(newTag).toMatch(/^"[\w-]+"$/)
    expect(newTag).not.toBe(a.etag)
    expect((await read(other)).etag).toBe(newTag)
    const row = await policyRow()
    const audited = await updates()
    const stale = await putIf(other, { ...b.settings, idle_timeout_days: 9 }, b.etag)
    expect(stale.statusCode, stale.body).toBe(412)
    expect(stale.json()).toEqual({
      code: 9, message: 'The policy changed since you read it (If-Match does not name the current version); read it again and reapply your change',
      details: [{ field: 'If-Match', reason: 'etag_mismatch' }],
    })
    expect(await policyRow()).toEqual(row)
    expect(await updates()).toBe(audited)
    expect((await read(other)).settings.max_active_tokens_per_user).toBe(45)
    // B reads again and saves with the current tag: accepted, and the tag moves on.
    const again = await read(other)
    const ok = await putIf(other, { ...again.settings, idle_timeout_days: 9 }, again.etag)
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.headers.etag).not.toBe(again.etag)
    expect((await read(admin)).settings).toMatchObject({ max_active_tokens_per_user: 45, idle_timeout_days: 9 })
  })

  it('accepts *, a list holding the current tag, or no If-Match at all (F5 clients send none); refuses weak and unknown tags', async () => {
    const cur = await read(admin)
    expect((await putIf(admin, { ...cur.settings, max_active_tokens_per_user: 11 }, '*')).statusCode).toBe(200)
    const next = await read(admin)
    expect((await putIf(admin, { ...next.settings, max_active_tokens_per_user: 12 }, `"nope", ${next.etag}`)).statusCode).toBe(200)
    const third = await read(admin)
    expect((await putIf(admin, { ...third.settings, max_active_tokens_per_user: 13 }, `W/${third.etag}`)).statusCode).toBe(412)
    expect((await putIf(admin, { ...third.settings, max_active_tokens_per_user: 13 }, '"someone-else"')).statusCode).toBe(412)
    expect((await putIf(admin, { ...third.settings, max_active_tokens_per_user: 14 })).statusCode).toBe(200)
    expect((await read(admin)).settings.max_active_tokens_per_user).toBe(14)
  })

  it('two saves at once with the same tag: exactly one is made', async () => {
    const other = (await signedIn(t, 'admin')).auth
    const cur = await read(admin)
    const [x, y] = await Promise.all([
      putIf(admin, { ...cur.settings, max_active_tokens_per_user: 21 }, cur.etag),
      putIf(other, { ...cur.settings, max_active_tokens_per_user: 22 }, cur.etag),
    ])
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 412])
    const won = x.statusCode === 200 ? 21 : 22
    expect((await read(admin)).settings.max_active_tokens_per_user).toBe(won)
  })

  it('states 412 in the API document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
    expect(Object.keys(doc.paths['/api/policy'].put.responses)).toContain('412')
  })
})
