// Issue 10 item 4: server-side rotation with an overlap, usage-confirmed cut-over, the rotation race.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, WHOAMI, call, createServiceToken, createToken, signedIn, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let dev: Auth
let other: Auth

beforeAll(async () => {
  // The cut-over job runs only when a test calls it.
  t = await buildTestApp({ cutoverIntervalMs: 0 })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
  other = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const rotate = (auth: Auth, payload: object, res = 'api_credentials') => call(t.app, auth, { method: 'POST', url: `${API}/rotate/${res}`, payload })
const whoami = (token: string, from = { ip: '10.0.0.1', ua: 'app-a' }) =>
  call(t.app, { token }, { method: 'GET', url: WHOAMI, remoteAddress: from.ip, headers: { 'user-agent': from.ua } })
const get = (name: string) => call(t.app, admin, { method: 'GET', url: `${API}/api_credentials/${name}` })
const status = (name: string) => call(t.app, dev, { method: 'GET', url: `/api/rotation/api_credentials/${name}` })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('rotation happy', () => {
  it('keeps the old token valid during the overlap and refuses it from the overlap end on', async () => {
    const old = await createToken(t.app, dev, { name: 'deploy-bot' })
    expect((await whoami(old.token)).statusCode).toBe(200) // cached from here on
    const res = await rotate(dev, { name: 'deploy-bot', overlap_seconds: 2 })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['active', 'data', 'expiration_timestamp', 'name'])
    expect(body).toMatchObject({ active: true, name: 'deploy-bot-r2' })
    expect((await whoami(body.data)).statusCode).toBe(200)
    expect((await whoami(old.token)).statusCode).toBe(200)
    expect((await get('deploy-bot')).json()).toMatchObject({ replaced_by: 'deploy-bot-r2' })
    expect((await get('deploy-bot-r2')).json()).toMatchObject({ rotated_from: 'deploy-bot', scope: 'full_access' })
    const st = (await status('deploy-bot')).json()
    expect(st).toMatchObject({ state: 'overlap', replaced_by: 'deploy-bot-r2', cutover_on_switch: false })
    const ends = Date.parse(st.overlap_ends_timestamp)
    await sleep(ends - Date.now() + 20)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(body.data)).statusCode).toBe(200)
    // The job then makes the end final and audits it.
    expect(await t.services.rotation.run()).toEqual([{ name: 'deploy-bot', reason: 'overlap_over' }])
    expect((await get('deploy-bot')).json().status).toBe('revoked')
    const audit = await t.services.db.db.selectFrom('audit_events').select(['action', 'actor_type']).where('target_name', '=', 'deploy-bot').orderBy('id').execute()
    expect(audit.map((a) => a.action)).toEqual(['credential.create', 'credential.rotate', 'credential.rotation_end'])
    expect(audit[2].actor_type).toBe('system')
  })

  it('overlap 0 ends the old token now', async () => {
    const old = await createToken(t.app, dev)
    expect((await whoami(old.token)).statusCode).toBe(200)
    const res = await rotate(dev, { name: old.name, overlap_seconds: 0, expiration_days: 7 })
    expect(res.statusCode).toBe(200)
    expect(Math.round((Date.parse(res.json().expiration_timestamp) - Date.now()) / 86_400_000)).toBe(7)
    expect((await whoami(old.token)).statusCode).toBe(401)
    expect((await whoami(res.json().data)).statusCode).toBe(200)
    expect(await t.services.rotation.run()).toEqual([{ name: old.name, reason: 'overlap_over' }])
  })

  it('rotates a service credential with its roles', async () => {
    const svc = await createServiceToken(t.app, admin, 'ves-io-monitor')
    const res = await rotate(admin, { name: svc.name, overlap_seconds: 60, new_name: `${svc.name}-next` }, 'service_credentials')
    expect(res.statusCode).toBe(200)
    const next = (await call(t.app, admin, { method: 'GET', url: `${API}/service_credentials/${svc.name}-next` })).json()
    expect(next).toMatchObject({ rotated_from: svc.name, type: 'SERVICE_API_TOKEN', namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] })
    expect((await whoami(svc.token)).statusCode).toBe(200)
  })

  it('ends the old token once every recent caller has used the new one', async () => {
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

    await whoami(fresh, a)
    expect(await t.services.rotation.run()).toEqual([]) // the job flushes this instance's uses itself
    st = (await status('billing-sync')).json()
    expect(st.sources.find((s: { ip: string }) => s.ip === '10.0.0.1')).toMatchObject({ switched: true, user_agent: 'billing-a' })
    expect(st.all_switched).toBe(false)
    expect((await whoami(old.token, b)).statusCode).toBe(200)

    await whoami(fresh, b)
    expect(await t.services.rotation.run()).toEqual([{ name: 'billing-sync', reason: 'callers_switched' }])
    expect((await whoami(old.token, b)).statusCode).toBe(401)
    expect((await whoami(fresh, b)).statusCode).toBe(200)
    expect((await status('billing-sync')).json()).toMatchObject({ state: 'ended', all_switched: true })
  })
})

describe('rotation error', () => {
  it('of two concurrent rotations of one token exactly one succeeds', async () => {
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
if (process.env.TEST_DB === 'postgres') describe('rotation cut-over job', () => {
  it('two instances on one PostgreSQL database end an overdue token once', async () => {
    const second = await buildApp({ ...t.services.config, cutoverIntervalMs: 0 }, { logger: false })
    try {
      const old = await createToken(t.app, dev)
      await rotate(dev, { name: old.name, overlap_seconds: 0 })
      const [a, b] = await Promise.all([t.services.rotation.run(), second.services.rotation.run()])
      expect([...a, ...b]).toEqual([{ name: old.name, reason: 'overlap_over' }])
      const ends = await t.services.db.db.selectFrom('audit_events').select('id').where('action', '=', 'credential.rotation_end').where('target_name', '=', old.name).execute()
      expect(ends).toHaveLength(1)
    } finally {
      await second.app.close()
    }
  })
})
