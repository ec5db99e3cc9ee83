// /metrics in Prometheus text format, and the JSON summary for the dashboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, WHOAMI, type Auth } from '../support/factories.js'

let t: TestApp
let admin: Auth
let dev: Auth
beforeAll(async () => {
  t = await buildTestApp({ metricsToken: 'scrape-secret-for-prometheus-0123456789' })
  admin = (await signedIn(t, 'admin')).auth
  dev = (await signedIn(t, 'developer')).auth
})
afterAll(async () => { await t.close() })

const value = (text: string, metric: string) => {
  const line = text.split('\n').find((l) => l.startsWith(metric + ' ') || l.startsWith(metric + '{') && l.includes(metric))
  return line ? Number(line.split(' ').at(-1)) : undefined
}

describe('metrics', () => {
  it('counts issuance, failures, validations by outcome, revocations and active tokens', async () => {
    const a = await createToken(t.app, admin)
    await createToken(t.app, admin)
    await call(t.app, admin, { method: 'POST', url: `${API}/api_credentials`, payload: { name: a.name } })
    await call(t.app, { token: a.token }, { method: 'GET', url: WHOAMI })
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: a.name } })
    await call(t.app, { token: a.token }, { method: 'GET', url: WHOAMI })
    await t.app.inject({ url: WHOAMI, headers: { authorization: 'Bearer tcp_typo' } })
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-secret-for-prometheus-0123456789' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    const m = res.body
    expect(value(m, 'tc_tokens_issued_total{type="API_TOKEN"}')).toBe(2)
    expect(value(m, 'tc_token_issuance_failures_total{reason="name_taken"}')).toBe(1)
    expect(value(m, 'tc_token_validations_total{outcome="valid"}')).toBeGreaterThanOrEqual(1)
    expect(value(m, 'tc_token_validations_total{outcome="revoked"}')).toBe(1)
    expect(value(m, 'tc_token_validations_total{outcome="malformed"}')).toBe(1)
    expect(value(m, 'tc_token_revocations_total{type="API_TOKEN"}')).toBe(1)
    expect(value(m, 'tc_active_tokens{type="API_TOKEN"}')).toBe(1)
    expect(m).toContain('tc_token_validation_duration_seconds_bucket')
    expect(m).toContain('tc_token_issuance_duration_seconds_count 2')
  })

  it('lets admins scrape, refuses developers and strangers', async () => {
    expect((await call(t.app, admin, { method: 'GET', url: '/metrics' })).statusCode).toBe(200)
    expect((await call(t.app, dev, { method: 'GET', url: '/metrics' })).statusCode).toBe(403)
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401)
  })

  it('summarises the last hours and days from the audit log and usage', async () => {
    await t.services.failedChecks.flush()
    const res = await call(t.app, admin, { method: 'GET', url: '/api/metrics/summary' })
    expect(res.statusCode).toBe(200)
    const s = res.json()
    expect(s.hourly).toHaveLength(24)
    expect(s.daily).toHaveLength(14)
    expect(s.totals_24h.issued).toBe(2)
    expect(s.totals_24h.revoked).toBe(1)
    expect(s.totals_24h.refused_checks).toBeGreaterThanOrEqual(1)
    expect(s.validations_daily.at(-1).count).toBeGreaterThanOrEqual(1)
    expect(s.active_tokens.API_TOKEN).toBe(1)
    expect((await call(t.app, dev, { method: 'GET', url: '/api/metrics/summary' })).statusCode).toBe(403)
  })
})
