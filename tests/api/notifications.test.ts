// Expiry notices (14/7/1/0 days, once each, owner or admins, used vs unused
// wording), notices of others' actions on one's token and of leak reports, and the centre's API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, WHOAMI, call, createServiceToken, createToken, signedIn, type Auth } from '../support/factories.js'
import { signLeakReport } from '../../server/leaks/service.js'
import type { Notification } from '../../contract/notifications.js'

const DAY = 86_400_000
const SECRET = 'scanner-shared-secret-for-notice-tests-0123'
let t: TestApp
let admin: Auth
let admin2: Auth
let dev: Auth
let other: Auth
let devEmail: string
let adminEmail: string

beforeAll(async () => {
  t = await buildTestApp({ noticeJobIntervalMs: 0, idleJobIntervalMs: 0, leakReportSecret: SECRET })
  const a = await signedIn(t, 'admin')
  admin = a.auth
  adminEmail = a.user.email
  admin2 = (await signedIn(t, 'admin')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
  other = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const setRow = (name: string, values: Record<string, number | null>) =>
  t.services.db.db.updateTable('credentials').set(values).where('name', '=', name).execute()
const list = async (auth: Auth, query = '') => {
  const res = await call(t.app, auth, { method: 'GET', url: `/api/notifications${query}` })
  expect(res.statusCode).toBe(200)
  return res.json() as { items: Notification[]; next_cursor: string | null }
}
const about = async (auth: Auth, name: string) => (await list(auth, '?limit=100')).items.filter((n) => n.credential_name === name)
const unread = async (auth: Auth) => (await call(t.app, auth, { method: 'GET', url: '/api/notifications/unread_count' })).json().unread as number
const markRead = (auth: Auth, body: Record<string, unknown>) => call(t.app, auth, { method: 'POST', url: '/api/notifications/mark_read', payload: body })
const run = async (now: number, name: string) => (await t.services.noticeJob.run(now)).filter((r) => r.name === name)

describe('expiry notices', () => {
  it('notices each threshold (14, 7, 1 days, expired) exactly once, with days left, audited', async () => {
    const base = Date.now()
    const { name } = await createToken(t.app, dev)
    await setRow(name, { expires_at: base + 20 * DAY, created_at: base - 10 * DAY })
    expect(await run(base, name)).toEqual([])
    const steps: Array<[number, number, string]> = [[6.5, 14, 'expires in 14 days'], [13.5, 7, 'expires in 7 days'], [19.5, 1, 'expires in 1 day'], [20.5, 0, 'has expired']]
    for (const [at, threshold, words] of steps) {
      const made = await run(base + at * DAY, name)
      expect(made).toEqual([{ name, threshold, recipients: 1, in_use: false }])
      expect(await run(base + at * DAY, name)).toEqual([]) // a second pass at the same moment adds nothing
      expect(await run(base + (at + 0.3) * DAY, name)).toEqual([]) // nor a later one before the next threshold
      expect((await about(dev, name))[0].title).toContain(words)
    }
    expect(await run(base + 21 * DAY, name)).toEqual([])
    const notices = await about(dev, name)
    expect(notices.map((n) => n.data.threshold_days)).toEqual([0, 1, 7, 14])
    expect(notices.every((n) => n.kind === 'expiry_notice' && n.family === 'api_credentials' && n.read_at === null)).toBe(true)
    const audit = await t.services.db.db.selectFrom('audit_events').select(['details', 'actor_type']).where('action', '=', 'credential.expiry_notice').where('target_name', '=', name).execute()
    expect(audit).toHaveLength(4)
    expect(audit.every((r) => r.actor_type === 'system')).toBe(true)
    const chain = await call(t.app, admin, { method: 'GET', url: '/api/audit/verify' })
    if (chain.statusCode === 200) expect(chain.json().intact).toBe(true)
  })

  it('skips thresholds a token was created after, and notices a renewed token again before its new expiry', async () => {
    const base = Date.now()
    const { name } = await createToken(t.app, dev, { expiration_days: 5 })
    expect(await run(base, name)).toEqual([]) // 5 days left, but it never lived through the 7-day mark
    expect((await run(base + 4.5 * DAY, name)).map((r) => r.threshold)).toEqual([1])
    await call(t.app, dev, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name, expiration_days: 30 } })
    expect(await run(base + 4.5 * DAY, name)).toEqual([])
    expect((await run(base + 29.5 * DAY, name)).map((r) => r.threshold)).toEqual([1])
  })

  it('says "rotate now" with last use and sources for a token in use, "let it expire or revoke" for an unused one', async () => {
    const base = Date.now()
    const used = await createToken(t.app, dev)
    const idle = await createToken(t.app, dev)
    expect((await call(t.app, { token: used.token }, { method: 'GET', url: WHOAMI, headers: { 'user-agent': 'deploy-bot/1.0' } })).statusCode).toBe(200)
    for (const n of [used.name, idle.name]) await setRow(n, { expires_at: base + 5 * DAY, created_at: base - 30 * DAY })
    expect(await run(base, used.name)).toEqual([{ name: used.name, threshold: 7, recipients: 1, in_use: true }])
    const [u] = await about(dev, used.name)
    expect(u.title).toBe(`Your token "${used.name}" expires in 5 days`)
    expect(u.body).toMatch(/^Still in use: last used \d{4}-/)
    expect(u.body).toContain('Rotate now')
    expect(u.data).toMatchObject({ in_use: true, advice: 'rotate_now', days_left: 5 })
    expect((u.data.sources as Array<{ user_agent: string }>).map((s) => s.user_agent)).toContain('deploy-bot/1.0')
    const [i] = await about(dev, idle.name)
    expect(i.body).toContain('Not used in the last 30 days (never used)')
    expect(i.body).toContain('Let it expire or revoke it')
    expect(i.body).not.toContain('Rotate now')
    expect(i.data).toMatchObject({ in_use: false, advice: 'let_expire_or_revoke', sources: [] })
  })

  it('sends a service credential\'s notices to every administrator, not to others', async () => {
    const base = Date.now()
    const { name } = await createServiceToken(t.app, admin, 'ves-io-monitor')
    await setRow(name, { expires_at: base + 0.5 * DAY, created_at: base - 30 * DAY })
    const admins = await t.services.db.db.selectFrom('users').select('id').where('role', '=', 'admin').where('kind', '=', 'user').where('disabled', '=', 0).execute()
    expect(await run(base, name)).toEqual([{ name, threshold: 1, recipients: admins.length, in_use: false }])
    // In each administrator's daily digest (tests/api/notifications-digest.test.ts), not a notice of its own.
    const inDigest = async (a: Auth) => (await list(a, '?limit=100')).items.filter((n) => (n.data.credentials as Array<{ name: string }> | undefined)?.some((c) => c.name === name))
    for (const a of [admin, admin2]) {
      const [n] = await inDigest(a)
      expect(n.body).toContain(`"${name}" expires in 1 day`)
      expect(n.family).toBe('service_credentials')
    }
    expect(await inDigest(dev)).toEqual([])
  })
})

describe('notices of others\' actions', () => {
  it('an admin\'s revoke and renew of a developer\'s token notify the developer; own actions notify no one', async () => {
    const mine = await createToken(t.app, dev)
    await call(t.app, dev, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: mine.name, expiration_days: 10 } })
    await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: mine.name } })
    expect(await about(dev, mine.name)).toEqual([])

    const before = await unread(dev)
    const target = await createToken(t.app, dev)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: target.name, expiration_days: 10 } })).statusCode).toBe(200)
    expect((await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: target.name } })).statusCode).toBe(200)
    // A repeated revoke changes nothing and tells no one again.
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: target.name } })
    const notices = await about(dev, target.name)
    expect(notices.map((n) => n.title)).toEqual([`Your token "${target.name}" was revoked`, `Your token "${target.name}" was renewed`])
    expect(notices[0].body).toContain(adminEmail)
    expect(notices[0].data).toMatchObject({ action: 'credential.revoke', actor_email: adminEmail })
    expect(notices.every((n) => n.kind === 'admin_action')).toBe(true)
    expect(await unread(dev)).toBe(before + 2)
    expect(await about(admin, target.name)).toEqual([])
  })

  it('a bulk revoke by an admin notifies each owner', async () => {
    const a = await createToken(t.app, dev)
    const b = await createToken(t.app, other)
    const res = await call(t.app, admin, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [a.name, b.name] } } })
    expect(res.statusCode).toBe(200)
    expect((await about(dev, a.name)).map((n) => n.data.action)).toEqual(['credential.bulk_revoke'])
    expect((await about(other, b.name)).map((n) => n.data.action)).toEqual(['credential.bulk_revoke'])
  })

  it('a leak report tells the owner the token was reported as leaked and revoked', async () => {
    const leaked = await createToken(t.app, dev)
    const body = JSON.stringify([{ token: leaked.token, type: 'token_console', url: 'https://example.com/gist/9', source: 'gist' }])
    const ts = String(Math.floor(Date.now() / 1000))
    const res = await t.app.inject({
      method: 'POST', url: `${API}/report_leak`, payload: body,
      headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': signLeakReport(SECRET, ts, body) },
    })
    expect(res.statusCode).toBe(200)
    const [n] = await about(dev, leaked.name)
    expect(n.kind).toBe('leak_report')
    expect(n.title).toBe(`Your token "${leaked.name}" was reported as leaked and revoked`)
    expect(n.body).toContain('https://example.com/gist/9')
    expect(n.body).not.toContain(leaked.token)
  })

  it('the idle job ending a token tells its owner, and no "expired" notice follows', async () => {
    const policy = (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json().settings
    const put = (idle: number | null) => call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...policy, idle_timeout_days: idle }, apply: { mode: 'new_only' } } })
    expect((await put(30)).statusCode).toBe(200)
    try {
      const { name } = await createToken(t.app, dev)
      await setRow(name, { created_at: Date.now() - 60 * DAY })
      expect(await t.services.idleJob.run()).toContain(name)
      const [n] = await about(dev, name)
      expect(n.kind).toBe('idle_end')
      expect(n.body).toContain('30 days')
      expect(await run(Date.now() + 1000, name)).toEqual([])
    } finally {
      expect((await put(null)).statusCode).toBe(200)
    }
  })
})

describe('the notification centre', () => {
  it('each person sees only their own; mark read by id and all; unread count follows; pages do not overlap', async () => {
    const base = Date.now()
    const names: string[] = []
    for (let i = 0; i < 3; i++) {
      const { name } = await createToken(t.app, other)
      await setRow(name, { expires_at: base + (3 + i) * DAY, created_at: base - 30 * DAY })
      names.push(name)
      await t.services.noticeJob.run(base)
    }
    const all = (await list(other, '?limit=100')).items
    expect(all.length).toBeGreaterThanOrEqual(4)
    // Others never see them, cannot mark them, and the dev's list never holds them.
    expect((await list(dev, '?limit=100')).items.some((n) => all.some((o) => o.id === n.id))).toBe(false)
    expect((await markRead(dev, { ids: all.map((n) => n.id) })).json()).toEqual({ marked: 0 })
    expect(await unread(other)).toBe(all.length)

    // Keyset pages of 2 cover the list once, newest first.
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: Notification[]; next_cursor: string | null } = await list(other, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.items.length).toBeLessThanOrEqual(2)
      seen.push(...page.items.map((n) => n.id))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(all.map((n) => n.id))

    expect((await markRead(other, { ids: [all[0].id] })).json()).toEqual({ marked: 1 })
    expect((await markRead(other, { ids: [all[0].id] })).json()).toEqual({ marked: 0 })
    expect(await unread(other)).toBe(all.length - 1)
    const unreadOnly = (await list(other, '?unread=true&limit=100')).items
    expect(unreadOnly.map((n) => n.id)).toEqual(all.slice(1).map((n) => n.id))
    expect((await list(other, '?limit=100')).items[0].read_at).not.toBeNull()
    expect((await markRead(other, { all: true })).json()).toEqual({ marked: all.length - 1 })
    expect(await unread(other)).toBe(0)
    expect((await list(other, '?unread=true')).items).toEqual([])
    expect(await unread(dev)).toBeGreaterThan(0) // marking all is one's own only
  })

  it('refuses bad input and anonymous callers', async () => {
    expect((await call(t.app, null, { method: 'GET', url: '/api/notifications' })).statusCode).toBe(401)
    expect((await call(t.app, null, { method: 'GET', url: '/api/notifications/unread_count' })).statusCode).toBe(401)
    expect((await markRead(dev, { ids: [] })).statusCode).toBe(400)
    expect((await markRead(dev, { all: false })).statusCode).toBe(400)
    expect((await markRead(dev, { ids: Array.from({ length: 101 }, (_, i) => `id-${i}`) })).statusCode).toBe(400)
    expect((await call(t.app, dev, { method: 'GET', url: '/api/notifications?limit=1000' })).statusCode).toBe(400)
    expect((await call(t.app, dev, { method: 'GET', url: '/api/notifications?cursor=bm90LWpzb24' })).statusCode).toBe(400)
    expect(devEmail).toContain('@')
  })
})

// Registered on PostgreSQL only (SQLite has no second instance), so no run reports it as skipped.
if (process.env.TEST_DB === 'postgres') describe('two instances on one PostgreSQL database', () => {
  it('running the pass at once gives one notice per threshold', async () => {
    const second = await buildApp({ ...t.services.config, noticeJobIntervalMs: 0, idleJobIntervalMs: 0 }, { logger: false })
    try {
      const base = Date.now()
      const { name } = await createToken(t.app, dev)
      await setRow(name, { expires_at: base + 6 * DAY, created_at: base - 30 * DAY })
      const [a, b] = await Promise.all([t.services.noticeJob.run(base), second.services.noticeJob.run(base)])
      expect([...a, ...b].filter((r) => r.name === name)).toEqual([{ name, threshold: 7, recipients: 1, in_use: false }])
      // Even passes that both get past the lock (one after the other) leave one notice.
      await Promise.all([t.services.noticeJob.run(base + 1000), second.services.noticeJob.run(base + 1000)])
      expect(await about(dev, name)).toHaveLength(1)
    } finally {
      await second.app.close()
    }
  })
})
