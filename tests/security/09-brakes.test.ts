// Part 9: brakes that must not turn into a stall or a lockout, against the real server. A policy name
// rule prone to catastrophic backtracking must not hold the event loop (token checks keep answering
// while a create is matched), and one address failing over made-up emails must not lock a colleague
// behind the same address out of their right password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, request, Session, type Res } from './support/http.js'
import { BodyLog, dialect, figure, sleep } from './support/run.js'
import { ADMIN_EMAIL, ADMIN_PASSWORD, ChildServer } from './support/server.js'

// The brake part names its own address with X-Forwarded-For (the loopback proxy is trusted), so its
// failures never brake the harness's own sign-ins.
const server = new ChildServer('brakes', { TRUST_PROXY: 'loopback' })
const bodies = new BodyLog('brakes')
const figures: string[] = []
let admin: Session
let token = ''
/** Bound on every answer while the server matches a name: seconds of backtracking would show here. */
const BOUND_MS = 1000

beforeAll(async () => {
  await server.start()
  admin = await Session.login(server.origin)
  const res = await admin.call('POST', `${API}/api_credentials`, { name: 'brakes-checker', expiration_days: 5 })
  expect(res.status, res.text).toBe(200)
  token = res.json<{ data: string }>().data
})

afterAll(async () => {
  await server.stop()
  bodies.close()
  figure(`brakes[${dialect()}]: ${figures.join('; ')}`)
})

const keep = (r: Res) => { bodies.add(r.status, r.text); return r }
const verify = async () => keep(await request(server.origin, 'GET', '/api/verify', { headers: { authorization: `APIToken ${token}` } }))

describe('brakes', () => {
  it('a name rule prone to catastrophic backtracking: the create answers within a bound, concurrent token checks all answer', async () => {
    const settings = (await admin.call('GET', '/api/policy')).json<{ settings: Record<string, unknown> }>().settings
    const put = (pattern: string | null) => admin.call('PUT', '/api/policy', { settings: { ...settings, name_pattern: pattern }, apply: { mode: 'new_only' } })
    try {
      // A lookaround cannot run on the linear engine: refused, with the field named.
      const refused = keep(await put('^(?!tmp-)[a-z0-9-]+$'))
      expect(refused.status).toBe(400)
      expect(refused.json<{ details: Array<{ field: string }> }>().details[0].field).toBe('settings.name_pattern')
      expect(keep(await put('^(a|aa)+$')).status).toBe(200)
      const checks: Res[] = []
      let done = false
      const [created] = await Promise.all([
        admin.call('POST', `${API}/api_credentials`, { name: `${'a'.repeat(40)}1`, expiration_days: 5 }).finally(() => { done = true }),
        (async () => {
          // 20 checks at once, then more every 10 ms until the create has answered.
          checks.push(...await Promise.all(Array.from({ length: 20 }, verify)))
          while (!done) {
            checks.push(await verify())
            await sleep(10)
          }
        })(),
      ])
      keep(created)
      expect(created.status, created.text).toBe(400)
      expect(created.ms).toBeLessThan(BOUND_MS)
      expect(checks.filter((c) => c.status !== 204)).toEqual([])
      const slowest = Math.max(...checks.map((c) => c.ms))
      expect(slowest).toBeLessThan(BOUND_MS)
      // The rule still admits what it describes.
      expect(keep(await admin.call('POST', `${API}/api_credentials`, { name: 'aaaaaaaa', expiration_days: 5 })).status).toBe(200)
      figures.push(`^(a|aa)+$ on a 41-character name: create ${created.ms.toFixed(0)} ms, ${checks.length} concurrent checks all 204, slowest ${slowest.toFixed(0)} ms`)
    } finally {
      expect((await put(settings.name_pattern as string | null)).status).toBe(200)
    }
  })

  it('50 failed sign-ins with made-up emails from one address: the admin\'s right password from it still signs in; the guesser is slowed, then refused', async () => {
    const from = { 'x-forwarded-for': '203.0.113.9' }
    const login = async (email: string, password: string) =>
      keep(await request(server.origin, 'POST', '/api/auth/login', { body: { email, password }, headers: from }))
    for (let i = 0; i < 50; i++) expect((await login(`made-up-${i}@example.com`, 'not-the-password-1')).status).toBe(401)
    const signedIn = await login(ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(signedIn.status, signedIn.text).toBe(200)
    // The next failure from there waits (100 ms per failure past 50) before its 401…
    const slowed = await login('made-up-fresh@example.com', 'not-the-password-1')
    expect(slowed.status).toBe(401)
    expect(slowed.ms).toBeGreaterThanOrEqual(90)
    // …and an account past 3 failures from there is refused outright.
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await login('made-up-0@example.com', `not-the-password-${i + 2}`)).status)
    expect(statuses).toEqual([401, 401, 429])
    // Another address is not braked by any of this.
    expect((await request(server.origin, 'POST', '/api/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).status).toBe(200)
    figures.push(`50 made-up-email failures from one address: admin sign-in 200 in ${signedIn.ms.toFixed(0)} ms, next failure 401 in ${slowed.ms.toFixed(0)} ms, 4th failure of one email 429`)
  })
})
