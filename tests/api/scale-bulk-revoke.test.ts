// Bulk revoke of every expired credential at a size of many batches, on both databases.
// Each batch of up to BULK_BATCH is one transaction with its audit rows and the job's progress; the job
// reports progress while it runs; a batch that fails rolls back alone and the job resumes from where it
// stopped; a server that stops leaves the job interrupted, and another server resumes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, seededTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, type Auth } from '../support/factories.js'
import { BULK_BATCH, type BulkRevokeJob } from '../../contract/bulk-revokes.js'
import type { AuditLog } from '../../server/services/audit.js'

const N = 12_000
const URL_ALL = `${API}/bulk_revoke/api_credentials`

interface Ctx { t: TestApp; admin: Auth; adminId: string }

async function expiredUnrevoked(t: TestApp, cutoff = Date.now()) {
  const r = await t.services.db.db.selectFrom('credentials').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null).where('expires_at', '<=', cutoff).where('type', 'in', ['API_TOKEN', 'API_CERTIFICATE', 'KUBE_CONFIG'])
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/** Moves `n` live API tokens' expiry a minute into the past: the next job has that many to revoke. */
async function expireLive(t: TestApp, n: number) {
  const db = t.services.db.db
  const ids = (await db.selectFrom('credentials').select('id').where('state', '=', 'live').where('expires_at', '>', Date.now())
    .where('type', '=', 'API_TOKEN').orderBy('id').limit(n).execute()).map((r) => r.id)
  await db.updateTable('credentials').set({ expires_at: Date.now() - 60_000 }).where('id', 'in', ids).execute()
  return ids
}

/** Audit rows of one job, by batch number. */
async function auditBatches(t: TestApp, jobId: string) {
  const rows = await t.services.db.db.selectFrom('audit_events').select(['details', 'target_name'])
    .where('action', '=', 'credential.bulk_revoke').execute()
  const batches = new Map<number, number>()
  const names: string[] = []
  for (const r of rows) {
    const d = JSON.parse(r.details) as { bulk_revoke?: string; batch?: number }
    if (d.bulk_revoke !== jobId) continue
    batches.set(d.batch!, (batches.get(d.batch!) ?? 0) + 1)
    names.push(r.target_name!)
  }
  return { batches: [...batches.entries()].sort((a, b) => a[0] - b[0]), names }
}

async function job(c: Ctx, id: string, auth: Auth = c.admin): Promise<BulkRevokeJob> {
  const res = await call(c.t.app, auth, { method: 'GET', url: `/api/bulk_revokes/${id}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

/** Polls the job until it leaves `running`, recording each progress reading. */
async function follow(c: Ctx, id: string) {
  const seen: number[] = []
  for (const end = Date.now() + 60_000; Date.now() < end;) {
    const j = await job(c, id)
    seen.push(j.revoked)
    if (j.state !== 'running') return { job: j, seen }
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`the job did not finish in a minute: ${seen.join(',')}`)
}

async function intact(t: TestApp, admin: Auth) {
  const res = await call(t.app, admin, { method: 'GET', url: '/api/audit/verify' })
  expect(res.json()).toMatchObject({ intact: true })
}

describe('bulk revoke of every expired credential, in batches', () => {
  let c: Ctx
  beforeAll(async () => {
    const t = await seededTestApp(N, (first) => signedIn(first, 'admin'))
    const { user, auth } = await signedIn(t, 'admin')
    c = { t, admin: auth, adminId: user.id }
  }, 120_000)
  afterAll(async () => { await c?.t.close() })

  it('revokes each batch in its own transaction with its audit rows; the F5 answer lists every name; the job says what was done', async () => {
    const before = await expiredUnrevoked(c.t)
    expect(before, 'the seed gives several batches of expired credentials').toBeGreaterThan(3 * BULK_BATCH)
    const audit = c.t.services.audit as AuditLog
    const transact = audit.transact.bind(audit)
    let transactions = 0
    audit.transact = ((fn: Parameters<AuditLog['transact']>[0]) => { transactions++; return transact(fn) }) as AuditLog['transact']
    let res
    try {
      res = await call(c.t.app, c.admin, { method: 'POST', url: URL_ALL, payload: { expired_selector: { all: {} } } })
    } finally {
      audit.transact = transact
    }
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as { credentials_marked_for_deletion: string[]; credentials_failed: string[]; error_message: string }
    expect(body.error_message).toBe('')
    expect(body.credentials_failed).toEqual([])
    expect(body.credentials_marked_for_deletion).toHaveLength(before)
    expect(new Set(body.credentials_marked_for_deletion).size).toBe(before)
    const batches = Math.ceil(before / BULK_BATCH)
    // One transaction a batch (the last finds fewer than a batch and closes the job), nothing else.
    expect(transactions).toBe(before % BULK_BATCH ? batches : batches + 1)

    const id = res.headers.location!.toString().split('/').pop()!
    expect(res.headers.location).toBe(`/api/bulk_revokes/${id}`)
    const j = await job(c, id)
    expect(j).toMatchObject({ state: 'done', total: before, revoked: before, batches, batch_size: BULK_BATCH, scope: 'tenant', error: null, family: 'api_credentials' })
    const audited = await auditBatches(c.t, id)
    expect(audited.batches.map(([b]) => b)).toEqual(Array.from({ length: batches }, (_, i) => i + 1))
    expect(audited.batches.every(([, n], i) => n === (i < batches - 1 ? BULK_BATCH : before - BULK_BATCH * (batches - 1)))).toBe(true)
    expect(audited.names.sort()).toEqual([...body.credentials_marked_for_deletion].sort())
    expect(await expiredUnrevoked(c.t, Date.parse(j.cutoff_timestamp))).toBe(0)
    await intact(c.t, c.admin)
    // Each owner is told, as for one revoke by someone else: one notice a credential, written per batch.
    const db = c.t.services.db.db
    const owned = await db.selectFrom('credentials').innerJoin('users', 'users.id', 'credentials.owner_id')
      .select((eb) => eb.fn.countAll<number>().as('n')).where('users.kind', '=', 'user').where('credentials.revoked_by', '=', c.adminId)
      .where('credentials.owner_id', '!=', c.adminId).executeTakeFirstOrThrow()
    const notices = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'admin_action').where('data', 'like', '%credential.bulk_revoke%').executeTakeFirstOrThrow()
    expect(Number(notices.n)).toBe(Number(owned.n))
    expect(Number(owned.n)).toBeGreaterThan(0)
  })

  it('answers 202 at once with Prefer: respond-async, reports progress while it runs, and lets other writes in between batches', async () => {
    // Move a slice of live tokens into the past: the next job has several batches again.
    const ids = await expireLive(c.t, 5 * BULK_BATCH + 7)
    const before = await expiredUnrevoked(c.t)
    expect(before).toBe(ids.length)

    const res = await call(c.t.app, c.admin, {
      method: 'POST', url: URL_ALL, headers: { prefer: 'respond-async, wait=0' }, payload: { expired_selector: { credential_type: 'API_TOKEN' } },
    })
    expect(res.statusCode, res.body).toBe(202)
    expect(res.headers['preference-applied']).toBe('respond-async')
    const started = res.json() as BulkRevokeJob
    expect(started).toMatchObject({ state: 'running', total: before, revoked: 0, credential_type: 'API_TOKEN' })
    expect(res.headers.location).toBe(`/api/bulk_revokes/${started.id}`)
    // Another write while the job runs: it gets the write lock between two batches, not after the job.
    const created = await createToken(c.t.app, c.admin)
    const during = await job(c, started.id)
    expect(created.token).toBeTruthy()
    expect(during.revoked).toBeLessThan(before)

    const { job: done, seen } = await follow(c, started.id)
    expect(done).toMatchObject({ state: 'done', revoked: before, total: before, batches: 6 })
    expect(seen.every((n) => n % BULK_BATCH === 0 || n === before), `progress moves a whole batch at a time: ${seen.join(',')}`).toBe(true)
    expect(new Set(seen).size, `progress was seen part-way: ${seen.join(',')}`).toBeGreaterThan(1)
    const listed = await call(c.t.app, c.admin, { method: 'GET', url: '/api/bulk_revokes?limit=5' })
    expect(listed.json().items[0]).toMatchObject({ id: started.id, state: 'done' })
  })

  it('a batch that fails rolls back alone; the answer says so; resuming finishes the rest with no row revoked or audited twice', async () => {
    const ids = await expireLive(c.t, 3 * BULK_BATCH + 11)
    const before = await expiredUnrevoked(c.t)
    expect(before).toBe(ids.length)

    // The second batch fails part-way, after its audit rows are written (as a full disk or a lost
    // connection would): in what runs after each appended row (the owner's notice).
    const audit = c.t.services.audit as AuditLog
    const onAppend = audit.onAppend
    audit.onAppend = async (trx, events, now) => {
      if ((events[0]?.details as { batch?: number } | undefined)?.batch === 2) throw new Error('disk I/O error')
      return onAppend?.(trx, events, now)
    }
    let res
    try {
      res = await call(c.t.app, c.admin, { method: 'POST', url: URL_ALL, payload: { expired_selector: {} } })
    } finally {
      audit.onAppend = onAppend
    }
    expect(res.statusCode).toBe(200)
    const body = res.json() as { credentials_marked_for_deletion: string[]; error_message: string }
    const id = res.headers.location!.toString().split('/').pop()!
    expect(body.credentials_marked_for_deletion).toHaveLength(BULK_BATCH)
    expect(body.error_message).toContain(`Stopped after revoking ${BULK_BATCH} of ${before}`)
    expect(body.error_message).toContain(`/api/bulk_revokes/${id}`)
    expect(body.error_message).not.toContain('disk I/O')
    const failed = await job(c, id)
    expect(failed).toMatchObject({ state: 'failed', revoked: BULK_BATCH, batches: 1 })
    expect(failed.error).toContain('Batch 2 was rolled back')
    // Exactly the first batch is committed: its revocations and its audit rows, nothing of the second.
    expect(await expiredUnrevoked(c.t, Date.parse(failed.cutoff_timestamp))).toBe(before - BULK_BATCH)
    expect((await auditBatches(c.t, id)).batches).toEqual([[1, BULK_BATCH]])
    await intact(c.t, c.admin)

    const resumed = await call(c.t.app, c.admin, { method: 'POST', url: `/api/bulk_revokes/${id}/resume` })
    expect(resumed.statusCode, resumed.body).toBe(202)
    expect(resumed.json()).toMatchObject({ state: 'running', revoked: BULK_BATCH, total: before })
    const again = await call(c.t.app, c.admin, { method: 'POST', url: `/api/bulk_revokes/${id}/resume` })
    expect([200, 409]).toContain(again.statusCode)
    const { job: done } = await follow(c, id)
    expect(done).toMatchObject({ state: 'done', revoked: before, total: before, batches: 4, error: null })
    const audited = await auditBatches(c.t, id)
    expect(audited.batches).toEqual([[1, BULK_BATCH], [2, BULK_BATCH], [3, BULK_BATCH], [4, 11]])
    expect(new Set(audited.names).size).toBe(before)
    expect(await expiredUnrevoked(c.t, Date.parse(done.cutoff_timestamp))).toBe(0)
    await intact(c.t, c.admin)
  })

  it('a server that stops leaves the job interrupted after a whole batch; another server resumes it with the same cutoff', async () => {
    await expireLive(c.t, 8 * BULK_BATCH)
    const before = await expiredUnrevoked(c.t)
    const res = await call(c.t.app, c.admin, { method: 'POST', url: URL_ALL, headers: { prefer: 'respond-async' }, payload: { expired_selector: {} } })
    expect(res.statusCode).toBe(202)
    const id = (res.json() as BulkRevokeJob).id
    // The server stops while the job runs: close waits for the batch in flight, then the job stops.
    const { dialect } = c.t
    const { dataDir, databaseUrl } = c.t.services.config
    await c.t.app.close()
    const t2 = await buildTestApp({ dataDir, databaseUrl })
    const close1 = c.t.close.bind(c.t)
    c.t = { ...t2, dialect, async close() { await t2.close(); await close1().catch(() => undefined) } }
    c.admin = (await signedIn(c.t, 'admin')).auth
    const interrupted = await job(c, id)
    expect(interrupted.state).toBe('interrupted')
    expect(interrupted.error).toContain('resume')
    expect(interrupted.revoked % BULK_BATCH).toBe(0)
    expect(interrupted.revoked).toBeLessThan(before)
    expect(await expiredUnrevoked(c.t, Date.parse(interrupted.cutoff_timestamp))).toBe(before - interrupted.revoked)

    // Tokens that expire after the cutoff are not the job's: the resumed job keeps its cutoff.
    const later = await createToken(c.t.app, c.admin)
    const afterCutoff = Date.parse(interrupted.cutoff_timestamp) + 1
    expect(afterCutoff).toBeLessThan(Date.now())
    await c.t.services.db.db.updateTable('credentials').set({ expires_at: afterCutoff }).where('name', '=', later.name).execute()
    const resumed = await call(c.t.app, c.admin, { method: 'POST', url: `/api/bulk_revokes/${id}/resume` })
    expect(resumed.statusCode, resumed.body).toBe(202)
    const { job: done } = await follow(c, id)
    expect(done).toMatchObject({ state: 'done', revoked: before, total: before, cutoff_timestamp: interrupted.cutoff_timestamp })
    expect(new Set((await auditBatches(c.t, id)).names).size).toBe(before)
    const row = await c.t.services.db.db.selectFrom('credentials').select('revoked_at').where('name', '=', later.name).executeTakeFirstOrThrow()
    expect(row.revoked_at).toBeNull()
    await intact(c.t, c.admin)
  })

  it('a running job whose server died (no batch for a minute) reads as interrupted and can be resumed', async () => {
    const db = c.t.services.db.db
    const res = await call(c.t.app, c.admin, { method: 'POST', url: URL_ALL, payload: { expired_selector: {} } })
    const id = res.headers.location!.toString().split('/').pop()!
    await db.updateTable('bulk_revokes').set({ state: 'running', updated_at: Date.now() - 61_000, finished_at: null }).where('id', '=', id).execute()
    expect(await job(c, id)).toMatchObject({ state: 'interrupted' })
    await db.updateTable('bulk_revokes').set({ updated_at: Date.now() }).where('id', '=', id).execute()
    const busy = await call(c.t.app, c.admin, { method: 'POST', url: `/api/bulk_revokes/${id}/resume` })
    expect(busy.statusCode).toBe(409)
    expect(busy.json().message).toContain('still running')
    await db.updateTable('bulk_revokes').set({ updated_at: Date.now() - 61_000 }).where('id', '=', id).execute()
    const resumed = await call(c.t.app, c.admin, { method: 'POST', url: `/api/bulk_revokes/${id}/resume` })
    expect([200, 202]).toContain(resumed.statusCode)
    expect((await follow(c, id)).job.state).toBe('done')
  })
})

describe('bulk revoke of expired credentials: whose, and who sees the job', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t?.close() })

  it('a developer revokes only their own expired tokens and sees only their own jobs', async () => {
    const a = await signedIn(t, 'developer')
    const b = await signedIn(t, 'developer')
    const admin = await signedIn(t, 'admin')
    const mine = await createToken(t.app, a.auth)
    const theirs = await createToken(t.app, b.auth)
    const past = Date.now() - 1000
    await t.services.db.db.updateTable('credentials').set({ expires_at: past }).where('name', 'in', [mine.name, theirs.name]).execute()
    const res = await call(t.app, a.auth, { method: 'POST', url: URL_ALL, payload: { expired_selector: { all: {} } } })
    expect(res.json()).toEqual({ credentials_failed: [], credentials_marked_for_deletion: [mine.name], error_message: '' })
    const id = res.headers.location!.toString().split('/').pop()!
    const j = await call(t.app, a.auth, { method: 'GET', url: `/api/bulk_revokes/${id}` })
    expect(j.json()).toMatchObject({ scope: 'own', state: 'done', revoked: 1, total: 1, created_by: { id: a.user.id } })
    expect((await call(t.app, b.auth, { method: 'GET', url: `/api/bulk_revokes/${id}` })).statusCode).toBe(404)
    expect((await call(t.app, b.auth, { method: 'POST', url: `/api/bulk_revokes/${id}/resume` })).statusCode).toBe(404)
    expect((await call(t.app, b.auth, { method: 'GET', url: '/api/bulk_revokes' })).json().items).toEqual([])
    expect((await call(t.app, admin.auth, { method: 'GET', url: '/api/bulk_revokes' })).json().items.map((i: BulkRevokeJob) => i.id)).toContain(id)
    expect((await call(t.app, a.auth, { method: 'GET', url: '/api/bulk_revokes/not-a-job' })).statusCode).toBe(404)
    const row = await t.services.db.db.selectFrom('credentials').select('revoked_at').where('name', '=', theirs.name).executeTakeFirstOrThrow()
    expect(row.revoked_at).toBeNull()
  })

  it('an auditor can follow jobs but not start one', async () => {
    const auditor = await signedIn(t, 'auditor')
    const res = await call(t.app, auditor.auth, { method: 'POST', url: URL_ALL, payload: { expired_selector: {} } })
    expect(res.statusCode).toBe(403)
    expect((await call(t.app, auditor.auth, { method: 'GET', url: '/api/bulk_revokes' })).statusCode).toBe(200)
  })
})
