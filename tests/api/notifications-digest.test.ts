// Service-credential expiry notices reach administrators as one digest a day (UTC): N credentials
// coming due give each admin exactly one notice listing them; a rerun the same day adds none; more
// coming due later that day update that one notice; the next day starts a new one. Owner-facing
// notices for API tokens are unchanged (one per token and threshold, to the owner).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createServiceToken, createToken, signedIn, type Auth } from '../support/factories.js'
import type { Notification } from '../../contract/notifications.js'

const DAY = 86_400_000
let t: TestApp
let admins: Auth[]
let dev: Auth

beforeAll(async () => {
  t = await buildTestApp({ noticeJobIntervalMs: 0, idleJobIntervalMs: 0 })
  admins = [(await signedIn(t, 'admin')).auth, (await signedIn(t, 'admin')).auth, (await signedIn(t, 'admin')).auth]
  dev = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t?.close() })

const setRow = (names: string[], values: Record<string, number | null>) =>
  t.services.db.db.updateTable('credentials').set(values).where('name', 'in', names).execute()
const notices = async (auth: Auth) => {
  const res = await call(t.app, auth, { method: 'GET', url: '/api/notifications?limit=100' })
  expect(res.statusCode).toBe(200)
  return (res.json() as { items: Notification[] }).items
}
const digests = async (auth: Auth) => (await notices(auth)).filter((n) => n.kind === 'expiry_notice' && n.credential_name === null)
const listed = (n: Notification) => (n.data.credentials as Array<{ name: string }>).map((c) => c.name).sort()

describe('daily digest of expiring service credentials', () => {
  it('N service credentials due give each admin one digest naming all N; a rerun the same day adds none', async () => {
    // Noon UTC tomorrow, so every pass of this test falls on one UTC day.
    const noon = Date.parse(new Date(Date.now() + DAY).toISOString().slice(0, 10) + 'T12:00:00Z')
    const N = 7
    const names: string[] = []
    for (let i = 0; i < N; i++) names.push((await createServiceToken(t.app, admins[0], 'ves-io-monitor')).name)
    await setRow(names, { expires_at: noon + 5 * DAY, created_at: noon - 30 * DAY })
    const before = await t.services.db.db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()

    const made = (await t.services.noticeJob.run(noon)).filter((r) => names.includes(r.name))
    expect(made).toHaveLength(N)
    expect(made.every((r) => r.threshold === 7 && r.recipients === admins.length)).toBe(true)
    for (const a of admins) {
      const d = await digests(a)
      expect(d).toHaveLength(1)
      expect(d[0].family).toBe('service_credentials')
      expect(d[0].title).toBe(`${N} service credentials are expiring`)
      expect(listed(d[0])).toEqual([...names].sort())
      for (const n of names) expect(d[0].body).toContain(`"${n}" expires in 5 days`)
      expect(d[0].data).toMatchObject({ digest_day: new Date(noon).toISOString().slice(0, 10), count: N })
      expect((await notices(a)).filter((n) => n.credential_name !== null && names.includes(n.credential_name))).toEqual([])
    }
    const after = await t.services.db.db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    expect(Number(after.n) - Number(before.n)).toBe(admins.length)
    // Each credential is still audited once, and noticed once per threshold.
    const audit = await t.services.db.db.selectFrom('audit_events').select('target_name')
      .where('action', '=', 'credential.expiry_notice').where('target_name', 'in', names).execute()
    expect(audit).toHaveLength(N)

    // Rerunning the same day, an hour later: nothing new.
    expect((await t.services.noticeJob.run(noon + 3_600_000)).filter((r) => names.includes(r.name))).toEqual([])
    const again = await t.services.db.db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    expect(Number(again.n)).toBe(Number(after.n))

    // Read, then one more coming due later the same day: the same notice lists it too, unread again.
    expect((await call(t.app, admins[1], { method: 'POST', url: '/api/notifications/mark_read', payload: { all: true } })).statusCode).toBe(200)
    const late = (await createServiceToken(t.app, admins[0], 'ves-io-monitor')).name
    await setRow([late], { expires_at: noon + 2 * 3_600_000 + 0.5 * DAY, created_at: noon - 30 * DAY })
    expect((await t.services.noticeJob.run(noon + 2 * 3_600_000)).map((r) => r.name)).toContain(late)
    for (const a of admins) {
      const d = await digests(a)
      expect(d).toHaveLength(1)
      expect(listed(d[0])).toEqual([...names, late].sort())
      expect(d[0].read_at).toBeNull()
      expect(d[0].body.indexOf(`"${late}" expires in 1 day`)).toBe(0) // soonest first
    }

    // The next day, the 1-day threshold of the first N: a second digest, one per admin.
    await t.services.noticeJob.run(noon + 4.5 * DAY)
    for (const a of admins) {
      const d = await digests(a)
      expect(d).toHaveLength(2)
      expect(listed(d[0])).toEqual([...names].sort())
    }
  })

  it('owner-facing notices for API tokens are unchanged: one per token and threshold, to the owner only', async () => {
    const base = Date.now()
    const a = await createToken(t.app, dev)
    const b = await createToken(t.app, dev)
    await setRow([a.name, b.name], { expires_at: base + 5 * DAY, created_at: base - 30 * DAY })
    const made = (await t.services.noticeJob.run(base)).filter((r) => r.name === a.name || r.name === b.name)
    expect(made.map((r) => [r.name, r.threshold, r.recipients]).sort()).toEqual([[a.name, 7, 1], [b.name, 7, 1]].sort())
    const mine = (await notices(dev)).filter((n) => n.kind === 'expiry_notice')
    expect(mine.map((n) => n.credential_name).sort()).toEqual([a.name, b.name].sort())
    for (const n of mine) {
      expect(n.title).toBe(`Your token "${n.credential_name}" expires in 5 days`)
      expect(n.family).toBe('api_credentials')
      expect(n.data).toMatchObject({ threshold_days: 7, days_left: 5, in_use: false })
    }
    for (const adm of admins) expect((await notices(adm)).filter((n) => n.credential_name === a.name || n.credential_name === b.name)).toEqual([])
    expect((await t.services.noticeJob.run(base + 1000)).filter((r) => r.name === a.name || r.name === b.name)).toEqual([])
    expect((await notices(dev)).filter((n) => n.kind === 'expiry_notice')).toHaveLength(2)
  })
})
