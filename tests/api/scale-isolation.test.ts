// A console read past its time limit gets a clear error, and never stalls a token check.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn } from '../support/factories.js'
import { ApiError } from '../../server/lib/errors.js'
import { consoleReader } from '../../server/db/read-pool.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ consoleQueryTimeoutMs: 1500 })
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
  expect(err).toBeInstanceOf(ApiError)
  expect((err as Error).message).toMatch(/ran past its 1500 ms limit/)
  // Unavailable (503, code 14) with Retry-After: the server ran out of time, the caller did nothing wrong.
  expect((err as ApiError).status).toBe(503)
  expect((err as ApiError).toBody().code).toBe(14)
  expect((err as ApiError).headers['retry-after']).toBe('1')
  // The read pool recovers: console reads work afterwards.
  const after = await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials?limit=5` })
  expect(after.statusCode).toBe(200)
  expect(after.json().items.length).toBe(1)
})

it('answers a console list past its time limit with 503, code 14 and Retry-After over HTTP', async () => {
  const { auth } = await signedIn(t, 'admin')
  await createToken(t.app, auth)
  let release = () => {}
  let holding: Promise<unknown> = Promise.resolve()
  if (t.dialect === 'postgres') {
    // A writer holding an exclusive lock makes the console read wait until its statement_timeout.
    const locked = new Promise<void>((resolveLocked) => {
      holding = t.services.db.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE credentials IN ACCESS EXCLUSIVE MODE`.execute(trx)
        resolveLocked()
        await new Promise<void>((r) => { release = r })
      })
    })
    await locked
  } else {
    // WAL readers never wait for a writer: fill every read thread instead, so the list waits in
    // the queue past its limit.
    const reader = consoleReader(t.services.db.db)
    const busy = sql`WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r`
    holding = Promise.allSettled([busy.execute(reader), busy.execute(reader), busy.execute(reader)])
  }
  try {
    const res = await call(t.app, auth, { method: 'GET', url: `${API}/api_credentials?limit=5` })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.json()).toMatchObject({ code: 14, message: expect.stringMatching(/ran past its 1500 ms limit/) })
  } finally {
    release()
    await holding
  }
})
