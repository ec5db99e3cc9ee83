// Part 3: races through the real HTTP API: concurrent requests that must serialise to one outcome.
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, Session, type Res } from './support/http.js'
import { BodyLog, dialect, figure, recordTokens } from './support/run.js'
import { ChildServer } from './support/server.js'

const LIMIT = 25
const server = new ChildServer('races', { MAX_ACTIVE_TOKENS_PER_USER: String(LIMIT) })
let admin: Session
const bodies = new BodyLog('races')
const tokens: string[] = []
const figures: string[] = []
const started = Date.now()

const unique = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`

/** A person of the given role, signed in, so each race starts from an owner with no tokens. */
async function person(role: 'admin' | 'developer'): Promise<Session> {
  const email = `${unique(role)}@example.com`
  const password = 'race-password-123456'
  const res = await admin.call('POST', '/api/users', { email, name: email.split('@')[0], role, password })
  expect(res.status, res.text).toBeLessThan(300)
  return Session.login(server.origin, email, password)
}

function keep(all: Res[]) {
  for (const r of all) {
    bodies.add(r.status, r.text)
    const data = r.status === 200 ? /"data":"([^"]+)"/.exec(r.text)?.[1] : undefined
    if (data) tokens.push(data)
  }
  return all.map((r) => r.status)
}

const tally = (statuses: number[]) => Object.entries(statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {})).map(([s, n]) => `${n}×${s}`).join(' ')

async function auditOf(name: string) {
  const res = await admin.call('GET', `/api/audit?credential=${name}&outcome=success&limit=500`)
  expect(res.status).toBe(200)
  return res.json<{ items: Array<{ id: number; action: string }> }>().items
}

beforeAll(async () => {
  await server.start()
  admin = await Session.login(server.origin)
})
afterAll(async () => {
  await server.stop()
  bodies.close()
  recordTokens(tokens)
  figure(`races[${dialect()}]: ${figures.join('; ')} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
})

describe('races', () => {
  it('at the active-token limit − 1, 20 parallel creates give exactly one 200', async () => {
    const dev = await person('developer')
    for (let i = 0; i < LIMIT - 1; i++) {
      const res = await dev.call('POST', `${API}/api_credentials`, { name: unique('fill'), expiration_days: 30 })
      keep([res])
      expect(res.status, res.text).toBe(200)
    }
    const statuses = keep(await Promise.all(Array.from({ length: 20 }, () => dev.call('POST', `${API}/api_credentials`, { name: unique('race'), expiration_days: 30 }))))
    figures.push(`limit−1 creates ${tally(statuses)}`)
    expect(statuses.filter((s) => s >= 500)).toEqual([])
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    const list = await dev.call('GET', `${API}/api_credentials?mine=true&status=active&limit=100`)
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(LIMIT)
  })

  it('10 revokes and 10 renews of one token at once: one revoke row, no renew audited after it', async () => {
    const owner = await person('admin')
    const results: string[] = []
    for (let round = 0; round < 5; round++) {
      const name = unique('rr')
      keep([await owner.call('POST', `${API}/api_credentials`, { name, expiration_days: 30 })])
      const calls = Array.from({ length: 20 }, (_, i) => i % 2
        ? owner.call('POST', `${API}/revoke/api_credentials`, { name })
        : owner.call('POST', `${API}/renew/api_credentials`, { name, expiration_days: 60 }))
      const statuses = keep(await Promise.all(calls))
      const renewOk = statuses.filter((s, i) => i % 2 === 0 && s === 200).length
      const rows = await auditOf(name)
      const revokes = rows.filter((r) => r.action === 'credential.revoke')
      const renews = rows.filter((r) => r.action === 'credential.renew')
      results.push(`${tally(statuses)} → ${revokes.length} revoke rows, ${renews.length} renew rows`)
      expect(statuses.filter((s) => s >= 500), name).toEqual([])
      expect(revokes, `${name}: revoke rows`).toHaveLength(1)
      expect(renews.filter((r) => r.id > revokes[0].id), `${name}: renews audited after the revoke`).toEqual([])
      // A renew answered 200 is one that happened, so it is audited, and only before the revoke.
      expect(renews, `${name}: renews answered 200 vs audited`).toHaveLength(renewOk)
    }
    figures.push(`revoke/renew ${results[0]}`)
  })

  it('same-name creates through api_credentials and service_credentials: only 200 or 409, exactly one 200', async () => {
    const owner = await person('admin')
    const all: number[] = []
    for (let round = 0; round < 5; round++) {
      const name = unique('xfam')
      const statuses = keep(await Promise.all(Array.from({ length: 20 }, (_, i) => i % 2
        ? owner.call('POST', `${API}/api_credentials`, { name, expiration_days: 30 })
        : owner.call('POST', `${API}/service_credentials`, { name, expiration_days: 30, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] }))))
      all.push(...statuses)
      expect(statuses.filter((s) => s !== 200 && s !== 409), name).toEqual([])
      expect(statuses.filter((s) => s === 200), name).toHaveLength(1)
    }
    figures.push(`cross-family same name ${tally(all)}`)
  })

  it('20 service-credential creates with unique names naming one new service account: all 200', async () => {
    const all: number[] = []
    for (let round = 0; round < 2; round++) {
      const account = unique('svc-account')
      const statuses = keep(await Promise.all(Array.from({ length: 20 }, () => admin.call('POST', `${API}/service_credentials`, {
        name: unique('svc'), expiration_days: 30, service_account_name: account, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }],
      }))))
      all.push(...statuses)
      expect(statuses.filter((s) => s !== 200), account).toEqual([])
    }
    figures.push(`one new service account ${tally(all)}`)
  })
})
