// Issue 8: a console read past its time limit gets a clear error, and never stalls a token check.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn } from '../support/factories.js'
import { consoleReader } from '../../server/db/read-pool.js'

let t: TestApp
beforeAll(async () => {
  process.env.CONSOLE_QUERY_TIMEOUT_MS = '1500'
  t = await buildTestApp()
  delete process.env.CONSOLE_QUERY_TIMEOUT_MS
})
afterAll(() => t.close())

it('answers token checks while a slow console read runs, then stops that read with a clear error', async () => {
  const { auth } = await signedIn(t, 'admin')
  const { token } = await createToken(t.app, auth)
  const reader = consoleReader(t.services.db.db)
  expect(reader).not.toBe(t.services.db.db)
  const slow = t.dialect === 'postgres'
    ? sql`SELECT pg_sleep(10)`.execute(reader)
    : sql`WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r`.execute(reader)
  const outcome = slow.then(() => 'finished', (err: Error) => err)
  const started = Date.now()
  let checks = 0
  while (Date.now() - started < 1000) {
    const t0 = performance.now()
    const res = await call(t.app, { token }, { method: 'GET', url: '/api/verify' })
    expect(res.statusCode).toBe(204)
    expect(performance.now() - t0).toBeLessThan(250)
    checks++
  }
  // The slow read is still running: the checks above did not wait for it.
  expect(await Promise.race([outcome, new Promise((r) => setTimeout(() => r('pending'), 0))])).toBe('pending')
  expect(checks).toBeGreaterThan(20)
  const err = await outcome
  expect(err).toBeInstanceOf(Error)
  expect((err as Error).message).toMatch(/ran past its 1500 ms limit/)
  // The read pool recovers: console reads work afterwards.
  const after = await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials?limit=5` })
  expect(after.statusCode).toBe(200)
  expect(after.json().items.length).toBe(1)
})
