// /metrics passes Prometheus's own linter: `promtool check metrics` (Debian's prometheus package;
// .ci/run unpacks it to .tmp/promtool) reports nothing on a scrape taken after real traffic.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, WHOAMI } from '../support/factories.js'

const SCRAPE = 'scrape-secret-for-promtool-0123456789abcdef'

function findPromtool(): string {
  const local = path.resolve('.tmp/promtool')
  if (fs.existsSync(local)) return local
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'promtool')
    if (dir && fs.existsSync(p)) return p
  }
  throw new Error('promtool not found in .tmp/promtool or on PATH: run .ci/run, or `apt-get download prometheus && dpkg -x prometheus_*.deb x && cp x/usr/bin/promtool .tmp/`')
}

let t: TestApp
beforeAll(async () => { t = await buildTestApp({ metricsToken: SCRAPE }) })
afterAll(async () => { await t.close() })

describe('promtool check metrics', () => {
  it('reports nothing on /metrics, and the node gauges once named …_total are there under their new names', async () => {
    const promtool = findPromtool()
    const admin = (await signedIn(t, 'admin')).auth
    const a = await createToken(t.app, admin)
    await call(t.app, { token: a.token }, { method: 'GET', url: WHOAMI })
    await call(t.app, admin, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: a.name } })
    const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${SCRAPE}` } })
    expect(res.statusCode).toBe(200)
    const run = spawnSync(promtool, ['check', 'metrics'], { input: res.body, encoding: 'utf8' })
    const out = `${run.stdout}${run.stderr}`.trim()
    console.log(`promtool check metrics: exit ${run.status}${out ? `\n${out}` : ', no findings'}`)
    expect(out).toBe('')
    expect(run.status).toBe(0)
    for (const what of ['handles', 'requests', 'resources']) {
      expect(res.body).toMatch(new RegExp(`^# TYPE tc_nodejs_${what}_active gauge$`, 'm'))
      expect(res.body).not.toContain(`tc_nodejs_active_${what}_total`)
    }
    expect(res.body).toMatch(/^tc_tokens_issued_total\{type="API_TOKEN"\} 1$/m)
  })
})
