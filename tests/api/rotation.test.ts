// Server-side rotation. By default a rotation keeps the credential (name, id, owner, history, usage)
// and issues a new secret; the previous secret stays valid for the overlap, the check says which
// secret each use came from, and the usage-confirmed cut-over ends the previous secret once every
// recent caller has switched. new_name still rotates to a successor credential.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../../server/app.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { signLeakReport } from '../../server/leaks/service.js'
import { API, WHOAMI, call, createServiceToken, createToken, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
const LEAK_SECRET = 'rotation-test-leak-report-secret-0123456789'
let admin: Auth
let dev: Auth
let other: Auth

beforeAll(async () => {
  // The cut-over job runs only when a test calls it.
  t = await buildTestApp({ cutoverIntervalMs: 0, leakReportSecret: LEAK_SECRET })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  other = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })
afterEach(() => { vi.useRealTimers() })

const rotate = (auth: Auth, payload: object, res = 'api_credentials') => call(t.app, auth, { method: 'POST', url: `${API}/rotate/${res}`, payload })
const whoami = (token: string, from = { ip: '10.0.0.1', ua: 'app-a' }, app = t.app) =>
  call(app, { token }, { method: 'GET', url: WHOAMI, remoteAddress: from.ip, headers: { 'user-agent': from.ua } })
const get = (name: string) => call(t.app, admin, { method: 'GET', url: `${API}/api_credentials/${name}` })
const status = (name: string) => call(t.app, dev, { method: 'GET', url: `/api/rotation/api_credentials/${name}` })
const auditOf = (name: string) => t.services.db.db.selectFrom('audit_events').select(['action', 'actor_type', 'details'])
  .where('target_name', '=', name).orderBy('id').execute()
/** Only Date is faked: the server's timers and the database keep real time. */
const advance = (ms: number) => {
  const now = Date.now()
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(now + ms)
}

describe('rotation keeps the name', () => {
  it('issues a new secret to the same credential; the previous one works until the overlap ends, then 401', async () => {
    const old = await createToken(t.app, dev, { name: 'deploy-bot' })
    const before = (await get('deploy-bot')).json()
    expect((await whoami(old.token)).statusCode).toBe(200) // cached from here on
    const res = await rotate(dev, { name: 'deploy-bot', overlap_seconds: 60 })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['active', 'data', 'expiration_timestamp', 'name'])
    expect(body).toMatchObject({ active: true, name: 'deploy-bot' })
    expect(body.data).not.toBe(old.token)
    const after = (await get('deploy-bot')).json()
    expect(after).toMatchObject({ name: 'deploy-bot', uid: before.uid, owner: before.owner, scope: before.scope, replaced_by: null, rotated_from: null, token_hint: `…${body.data.slice(-4)}` })
    expect((await get('deploy-bot-r2')).statusCode).toBe(404)
    // The F5 list shows the credential once, not once per secret.
    const list = (await call(t.app, dev, { method: 'GET', url: `${API}/api_credentials` })).json()
    expect(list.items.filter((c: { name: string }) => c.name === 'deploy-bot')).toHaveLength(1)

    expect((await whoami(body.data)).statusCode).toBe(200)
    expect((await whoami(old.token)).statusCode).toBe(200) // cached again, as the previous secret
    const st = (await status('deploy-bot')).json()
    expect(st).toMatchObject({ mode: 'new_secret', state: 'overlap', replaced_by: null, cutover_on_switch: false, secret_hint: `…${body.data.slice(-4)}`, previous_secret_hint: `…${old.token.slice(-4)}` })
    expect(Date.parse(st.overlap_ends_timestamp) - Date.now()).toBeGreaterThan(55_000)

    advance(61_000)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(body.data)).statusCode).toBe(200)
    // The job then makes the end final and audits it; the credential itself stays active.
    expect(await t.services.rotation.run()).toEqual([{ name: 'deploy-bot', reason: 'overlap_over' }])
    expect(await t.services.rotation.run()).toEqual([])
    expect((await get('deploy-bot')).json().status).toBe('active')
    expect((await status('deploy-bot')).json().state).toBe('ended')
    const audit = await auditOf('deploy-bot')
    expect(audit.map((a) => a.action)).toEqual(['credential.create', 'credential.rotate', 'credential.rotation_end'])
    expect(JSON.parse(audit[1].details)).toMatchObject({ mode: 'new_secret', previous_secret: `…${old.token.slice(-4)}`, new_secret: `…${body.data.slice(-4)}`, overlap_seconds: 60 })
    expect(JSON.parse(audit[2].details)).toMatchObject({ reason: 'overlap_over', secret: 'previous', previous_secret: `…${old.token.slice(-4)}` })
    expect(audit[2].actor_type).toBe('system')
    const all = audit.map((a) => a.details).join('\n')
    expect(all).not.toContain(old.token)
    expect(all).not.toContain(body.data)
  })

  it('overlap 0 ends the previous secret now', async () => {
    const old = await createToken(t.app, dev)
    expect((await whoami(old.token)).statusCode).toBe(200)
    const res = await rotate(dev, { name: old.name, overlap_seconds: 0, expiration_days: 7 })
    expect(res.statusCode).toBe(200)
    expect(res.json().name).toBe(old.name)
    expect(Math.round((Date.parse(res.json().expiration_timestamp) - Date.now()) / 86_400_000)).toBe(7)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(res.json().data)).statusCode).toBe(200)
    expect(await t.services.rotation.run()).toEqual([])
  })

  it('revoke ends both secrets at once', async () => {
    const old = await createToken(t.app, dev)
    const fresh = (await rotate(dev, { name: old.name, overlap_seconds: 3600 })).json().data as string
    expect((await whoami(old.token)).statusCode).toBe(200)
    expect((await whoami(fresh)).statusCode).toBe(200)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: old.name } })).statusCode).toBe(200)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(fresh)).statusCode).toBe(401)
    expect(await t.services.rotation.run()).toEqual([])
  })

  it('a re-activation after a bulk revoke brings back the current secret only', async () => {
    const setReactivation = async (on: boolean) => expect((await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...(await t.services.policy.current()), allow_reactivation: on }, apply: { mode: 'new_only' } } })).statusCode).toBe(200)
    const old = await createToken(t.app, dev)
    const fresh = (await rotate(dev, { name: old.name, overlap_seconds: 3600 })).json().data as string
    expect((await whoami(old.token)).statusCode).toBe(200)
    expect((await call(t.app, dev, { method: 'POST', url: `${API}/bulk_revoke/api_credentials`, payload: { name_selector: { names: [old.name] } } })).statusCode).toBe(200)
    expect((await whoami(old.token)).statusCode).toBe(401)
    await setReactivation(true)
    try {
      expect((await call(t.app, admin, { method: 'POST', url: `${API}/activate/api_credentials`, payload: { name: old.name, reason: 'revoked by mistake' } })).statusCode).toBe(200)
    } finally {
      await setReactivation(false)
    }
    expect((await whoami(fresh)).statusCode).toBe(200)
    expect((await whoami(old.token)).statusCode).toBe(401)
    // Its overlap ended at the revocation; the job makes that final.
    expect((await t.services.rotation.run()).filter((e) => e.name === old.name)).toEqual([{ name: old.name, reason: 'overlap_over' }])
  })

  it('a leak report of the previous secret ends the credential, and the audit says which secret leaked', async () => {
    const old = await createToken(t.app, dev)
    const fresh = (await rotate(dev, { name: old.name, overlap_seconds: 3600 })).json().data as string
    expect((await whoami(old.token)).statusCode).toBe(200)
    const body = JSON.stringify([{ token: old.token, url: 'https://example.com/paste/1', source: 'paste' }])
    const ts = String(Math.floor(Date.now() / 1000))
    const res = await t.app.inject({
      method: 'POST', url: `${API}/report_leak`, payload: body,
      headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': signLeakReport(LEAK_SECRET, ts, body) },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().results).toEqual([{ label: 'true_positive', status: 'revoked' }])
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(fresh)).statusCode).toBe(401)
    const leak = (await auditOf(old.name)).find((r) => r.action === 'credential.leak_report')!
    expect(JSON.parse(leak.details)).toMatchObject({ revoked: true, secret: 'previous' })
  })

  it('renew extends the current secret only', async () => {
    const old = await createToken(t.app, dev)
    const fresh = (await rotate(dev, { name: old.name, overlap_seconds: 60 })).json().data as string
    expect((await whoami(old.token)).statusCode).toBe(200)
    const renewed = await call(t.app, dev, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name: old.name, expiration_days: 60 } })
    expect(renewed.statusCode).toBe(200)
    advance(61_000)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(fresh)).statusCode).toBe(200)
  })

  it('rotates a service credential in place with its roles', async () => {
    const svc = await createServiceToken(t.app, admin, 'ves-io-monitor')
    const res = await rotate(admin, { name: svc.name, overlap_seconds: 60 }, 'service_credentials')
    expect(res.statusCode).toBe(200)
    expect(res.json().name).toBe(svc.name)
    const same = (await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials/${svc.name}` })).json()
    expect(same).toMatchObject({ type: 'SERVICE_API_TOKEN', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }], replaced_by: null })
    expect((await whoami(svc.token)).statusCode).toBe(200)
    expect((await whoami(res.json().data)).statusCode).toBe(200)
  })

  it('shows each caller switching to the new secret, marks uses of the previous one, and cuts over once all switched', async () => {
    const old = await createToken(t.app, dev, { name: 'billing-sync' })
    const a = { ip: '10.0.0.1', ua: 'billing-a' }
    const b = { ip: '10.0.0.2', ua: 'billing-b' }
    await whoami(old.token, a)
    await whoami(old.token, b)
    const res = await rotate(dev, { name: 'billing-sync', overlap_seconds: 3600, cutover_on_switch: true })
    const fresh = res.json().data as string
    await t.services.usage.flush()
    let st = (await status('billing-sync')).json()
    expect(st.sources.map((s: { ip: string; switched: boolean }) => [s.ip, s.switched]).sort()).toEqual([['10.0.0.1', false], ['10.0.0.2', false]])
    expect(await t.services.rotation.run()).toEqual([])

    // A change made with the previous secret says so in the audit trail; one with the new secret does not.
    const viaOld = await createToken(t.app, { token: old.token })
    const viaNew = await createToken(t.app, { token: fresh })
    const made = await t.services.db.db.selectFrom('audit_events').select(['target_name', 'credential_name', 'details'])
      .where('action', '=', 'credential.create').where('target_name', 'in', [viaOld.name, viaNew.name]).execute()
    const secretOf = (n: string) => JSON.parse(made.find((m) => m.target_name === n)!.details).credential_secret
    expect(made.every((m) => m.credential_name === 'billing-sync')).toBe(true)
    expect(secretOf(viaOld.name)).toBe('previous')
    expect(secretOf(viaNew.name)).toBeUndefined()

    await whoami(fresh, a)
    expect(await t.services.rotation.run()).toEqual([]) // the job flushes this instance's uses itself
    st = (await status('billing-sync')).json()
    expect(st.sources.find((s: { ip: string }) => s.ip === '10.0.0.1')).toMatchObject({ switched: true, user_agent: 'billing-a' })
    expect(st.all_switched).toBe(false)
    expect((await whoami(old.token, b)).statusCode).toBe(200)
    await t.services.usage.flush()
    // The usage rows say which secret each caller used last, and when.
    const rows = await t.services.db.db.selectFrom('usage_sources').select(['ip', 'current_last_seen', 'previous_last_seen'])
      .where('credential_id', '=', (await t.services.db.db.selectFrom('credentials').select('id').where('name', '=', 'billing-sync').executeTakeFirstOrThrow()).id)
      .where('ip', 'in', ['10.0.0.1', '10.0.0.2']).orderBy('ip').execute()
    expect(rows.map((r) => [r.ip, r.current_last_seen !== null, r.previous_last_seen !== null])).toEqual([['10.0.0.1', true, true], ['10.0.0.2', false, true]])

    await whoami(fresh, b)
    expect(await t.services.rotation.run()).toEqual([{ name: 'billing-sync', reason: 'callers_switched' }])
    expect((await whoami(old.token, b)).statusCode).toBe(401)
    expect((await whoami(fresh, b)).statusCode).toBe(200)
    expect((await status('billing-sync')).json()).toMatchObject({ state: 'ended', all_switched: true })
    const end = (await auditOf('billing-sync')).find((r) => r.action === 'credential.rotation_end')!
    expect(JSON.parse(end.details)).toMatchObject({ reason: 'callers_switched', previous_secret: `…${old.token.slice(-4)}` })
  })

  it('a second rotation during an overlap is refused naming it; overlap 0 ends every earlier secret', async () => {
    const first = await createToken(t.app, dev)
    const second = (await rotate(dev, { name: first.name, overlap_seconds: 3600 })).json().data as string
    const again = await rotate(dev, { name: first.name, overlap_seconds: 60 })
    expect(again.statusCode).toBe(409)
    expect(again.json().message).toContain(`…${first.token.slice(-4)}`)
    expect(again.json().message).toContain('valid until')
    expect((await whoami(first.token)).statusCode).toBe(200)
    const third = await rotate(dev, { name: first.name, overlap_seconds: 0 })
    expect(third.statusCode).toBe(200)
    expect((await whoami(first.token)).statusCode).toBe(401)
    expect((await whoami(second)).statusCode).toBe(401)
    expect((await whoami(third.json().data)).statusCode).toBe(200)
    const rot = (await auditOf(first.name)).filter((r) => r.action === 'credential.rotate').map((r) => JSON.parse(r.details))
    expect(rot).toHaveLength(2)
    expect(rot[1]).toMatchObject({ previous_secret: `…${second.slice(-4)}`, ended_earlier_secret: `…${first.token.slice(-4)}`, overlap_seconds: 0 })
  })

  it('counts a caller recorded without a secret marker (older rows, the bulk seeder) as a caller of the previous secret', async () => {
    const old = await createToken(t.app, dev)
    const { id } = await t.services.db.db.selectFrom('credentials').select('id').where('name', '=', old.name).executeTakeFirstOrThrow()
    const seen = Date.now() - 60_000
    await t.services.db.db.insertInto('usage_sources').values({ credential_id: id, ip: '10.9.9.9', user_agent: 'seeded', first_seen: seen, last_seen: seen, count: 3 }).execute()
    expect((await rotate(dev, { name: old.name, overlap_seconds: 3600 })).statusCode).toBe(200)
    const st = (await status(old.name)).json()
    expect(st.sources).toEqual([{ ip: '10.9.9.9', user_agent: 'seeded', old_last_used_timestamp: new Date(seen).toISOString(), switched: false, new_last_used_timestamp: null }])
  })

  it('tells the owner when someone else rotates their token in place, naming the secrets by last four only', async () => {
    const mine = await createToken(t.app, dev)
    const res = await rotate(admin, { name: mine.name, overlap_seconds: 3600 })
    expect(res.statusCode).toBe(200)
    const fresh = res.json().data as string
    const notes = (await call(t.app, dev, { method: 'GET', url: '/api/notifications?limit=100' })).json().items
      .filter((n: { credential_name: string }) => n.credential_name === mine.name)
    expect(notes).toHaveLength(1)
    expect(notes[0].body).toContain(`keeps its name and has a new secret (…${fresh.slice(-4)}); the previous secret (…${mine.token.slice(-4)}) stops working`)
    expect(JSON.stringify(notes[0])).not.toContain(fresh)
    expect(JSON.stringify(notes[0])).not.toContain(mine.token)
  })

  it('of two concurrent rotations with an overlap exactly one succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const old = await createToken(t.app, dev)
      const results = await Promise.all([rotate(dev, { name: old.name, overlap_seconds: 60 }), rotate(dev, { name: old.name, overlap_seconds: 60 })])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
      const won = results.find((r) => r.statusCode === 200)!.json().data as string
      expect((await whoami(won)).statusCode).toBe(200)
      expect((await whoami(old.token)).statusCode).toBe(200)
    }
  })
})

describe('rotation to a new name', () => {
  it('new_name creates a successor; the old token stays valid for the overlap and the job ends it', async () => {
    const old = await createToken(t.app, dev, { name: 'deploy-cron' })
    expect((await whoami(old.token)).statusCode).toBe(200)
    const res = await rotate(dev, { name: 'deploy-cron', overlap_seconds: 60, new_name: 'deploy-cron-next' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ active: true, name: 'deploy-cron-next' })
    expect((await whoami(body.data)).statusCode).toBe(200)
    expect((await whoami(old.token)).statusCode).toBe(200)
    expect((await get('deploy-cron')).json()).toMatchObject({ replaced_by: 'deploy-cron-next' })
    expect((await get('deploy-cron-next')).json()).toMatchObject({ rotated_from: 'deploy-cron', scope: 'full_access' })
    expect((await status('deploy-cron')).json()).toMatchObject({ mode: 'successor', state: 'overlap', replaced_by: 'deploy-cron-next' })
    advance(61_000)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(body.data)).statusCode).toBe(200)
    // Earlier tests' overlaps are over too by now: only this token's end is looked at.
    expect((await t.services.rotation.run()).filter((e) => e.name === 'deploy-cron')).toEqual([{ name: 'deploy-cron', reason: 'overlap_over' }])
    expect((await get('deploy-cron')).json().status).toBe('revoked')
    // Rotated away to a successor, it cannot be given a new secret in place.
    vi.useRealTimers()
    const svc = await createServiceToken(t.app, admin, 'ves-io-monitor')
    const next = await rotate(admin, { name: svc.name, overlap_seconds: 60, new_name: `${svc.name}-next` }, 'service_credentials')
    expect(next.statusCode).toBe(200)
    expect((await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials/${svc.name}-next` })).json())
      .toMatchObject({ rotated_from: svc.name, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })
    expect((await rotate(admin, { name: svc.name, overlap_seconds: 60 }, 'service_credentials')).statusCode).toBe(409)
  })

  it('of two concurrent rotations to new names exactly one succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const old = await createToken(t.app, dev)
      const results = await Promise.all([
        rotate(dev, { name: old.name, overlap_seconds: 60, new_name: `${old.name}-x` }),
        rotate(dev, { name: old.name, overlap_seconds: 60, new_name: `${old.name}-y` }),
      ])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
      const rows = await t.services.db.db.selectFrom('credentials').select('name').where('rotated_from', '=', old.name).execute()
      expect(rows).toHaveLength(1)
      expect((await get(old.name)).json().replaced_by).toBe(rows[0].name)
    }
  })
})

describe('rotation error', () => {
  it('refuses a revoked token, and another user’s token is not found', async () => {
    const old = await createToken(t.app, dev)
    await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: old.name } })
    expect((await rotate(dev, { name: old.name, overlap_seconds: 60 })).statusCode).toBe(400)
    const mine = await createToken(t.app, dev)
    expect((await rotate(other, { name: mine.name, overlap_seconds: 60 })).statusCode).toBe(404)
    expect((await call(t.app, other, { method: 'GET', url: `/api/rotation/api_credentials/${mine.name}` })).statusCode).toBe(404)
  })
})

// Registered on PostgreSQL only (SQLite has no second instance), so no run reports it as skipped.
if (process.env.TEST_DB === 'postgres') describe('rotation on two instances', () => {
  it('two instances on one PostgreSQL database end an overdue token once', async () => {
    const second = await buildApp({ ...t.services.config, cutoverIntervalMs: 0 }, { logger: false })
    try {
      const old = await createToken(t.app, dev)
      await rotate(dev, { name: old.name, overlap_seconds: 0, new_name: `${old.name}-n` })
      const [a, b] = await Promise.all([t.services.rotation.run(), second.services.rotation.run()])
      expect([...a, ...b]).toEqual([{ name: old.name, reason: 'overlap_over' }])
      const ends = await t.services.db.db.selectFrom('audit_events').select('id').where('action', '=', 'credential.rotation_end').where('target_name', '=', old.name).execute()
      expect(ends).toHaveLength(1)
    } finally {
      await second.app.close()
    }
  })

  it('a second instance that cached the previous secret refuses it once the cut-over ends it', async () => {
    const second = await buildApp({ ...t.services.config, cutoverIntervalMs: 0 }, { logger: false })
    try {
      await second.app.ready()
      const old = await createToken(t.app, dev)
      const fresh = (await rotate(dev, { name: old.name, overlap_seconds: 3600, cutover_on_switch: true })).json().data as string
      expect((await whoami(old.token, undefined, second.app)).statusCode).toBe(200) // cached there as the previous secret
      // No caller has used the previous secret in the last 30 days after the switch below.
      await t.services.db.db.updateTable('usage_sources').set({ current_last_seen: Date.now() })
        .where('credential_id', '=', (await t.services.db.db.selectFrom('credentials').select('id').where('name', '=', old.name).executeTakeFirstOrThrow()).id).execute()
      expect(await t.services.rotation.run()).toEqual([{ name: old.name, reason: 'callers_switched' }])
      let code = 200
      for (let i = 0; i < 50 && code === 200; i++) {
        code = (await whoami(old.token, undefined, second.app)).statusCode
        if (code === 200) await new Promise((r) => setTimeout(r, 20))
      }
      expect(code).toBe(401)
      expect((await whoami(fresh, undefined, second.app)).statusCode).toBe(200)

      // A revoke is published under the current secret's hash; the other instance drops both.
      const next = await createToken(t.app, dev)
      const nextFresh = (await rotate(dev, { name: next.name, overlap_seconds: 3600 })).json().data as string
      expect((await whoami(next.token, undefined, second.app)).statusCode).toBe(200)
      expect((await whoami(nextFresh, undefined, second.app)).statusCode).toBe(200)
      await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: next.name } })
      code = 200
      for (let i = 0; i < 50 && code === 200; i++) {
        code = (await whoami(next.token, undefined, second.app)).statusCode
        if (code === 200) await new Promise((r) => setTimeout(r, 20))
      }
      expect(code).toBe(401)
      expect((await whoami(nextFresh, undefined, second.app)).statusCode).toBe(401)
    } finally {
      await second.app.close()
    }
  })
})
