// Bulk revoke of expired credentials is guarded like its size: a preview (count, owners, a sample, a
// CSV of the whole set, who can undo it) and a start that names the confirmed count and is refused if
// the set changed since. On both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, type Auth } from '../support/factories.js'
import { PREVIEW_SAMPLE, type BulkRevokePreview } from '../../contract/bulk-revokes.js'

const START = `${API}/bulk_revoke/api_credentials`
const PREVIEW = '/api/bulk_revokes/preview?family=api_credentials'

describe('bulk revoke preview and confirmed count', () => {
  let t: TestApp
  let admin: Auth
  const names: string[] = []
  const owners: string[] = []

  beforeAll(async () => {
    t = await buildTestApp()
    admin = (await signedIn(t, 'admin')).auth
    // 14 expired tokens of 3 owners, and one live token each.
    for (let o = 0; o < 3; o++) {
      const dev = await signedIn(t, 'developer')
      owners.push(dev.user.email)
      for (let i = 0; i < (o === 0 ? 6 : 4); i++) names.push((await createToken(t.app, dev.auth)).name)
      await createToken(t.app, dev.auth)
    }
    await t.services.db.db.updateTable('credentials').set({ expires_at: Date.now() - 60_000 }).where('name', 'in', names).execute()
  })
  afterAll(async () => { await t?.close() })

  it('the preview names the count, the owners, the first names and who can undo it; nothing is revoked', async () => {
    const res = await call(t.app, admin, { method: 'GET', url: PREVIEW })
    expect(res.statusCode, res.body).toBe(200)
    const p = res.json<BulkRevokePreview>()
    expect(p).toMatchObject({ family: 'api_credentials', scope: 'tenant', count: 14, owners: 3, reactivation_allowed: false })
    expect(p.sample).toHaveLength(PREVIEW_SAMPLE)
    expect(p.sample.map((s) => s.name)).toEqual([...names].sort().slice(0, PREVIEW_SAMPLE))
    for (const s of p.sample) expect(owners).toContain(s.owner_email)
    expect(p.undo).toMatch(/Nobody can undo this/)
    const revoked = await t.services.db.db.selectFrom('credentials').select('name').where('revoked_at', 'is not', null).execute()
    expect(revoked).toEqual([])
  })

  it('the undo text follows the policy: an administrator can re-activate when it allows it', async () => {
    const settings = { ...(await t.services.policy.current()), allow_reactivation: true }
    expect((await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings, apply: { mode: 'new_only' } } })).statusCode).toBe(200)
    try {
      const p = (await call(t.app, admin, { method: 'GET', url: PREVIEW })).json<BulkRevokePreview>()
      expect(p.reactivation_allowed).toBe(true)
      expect(p.undo).toMatch(/Owners cannot undo this\. A tenant administrator can re-activate/)
      expect(p.undo).toMatch(/leaked can never be re-activated/)
    } finally {
      await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...settings, allow_reactivation: false }, apply: { mode: 'new_only' } } })
    }
  })

  it('the CSV lists the whole set, one row per credential, formula cells neutralised', async () => {
    // A name cannot start with '=': give one row an owner email that a spreadsheet would run as a formula.
    const db = t.services.db.db
    const { owner_email: was } = await db.selectFrom('credentials').select('owner_email').where('name', '=', names[0]).executeTakeFirstOrThrow()
    await db.updateTable('credentials').set({ owner_email: '=HYPERLINK("http://evil.test")@x.test' } as never).where('name', '=', names[0]).execute()
    const res = await call(t.app, admin, { method: 'GET', url: '/api/bulk_revokes/preview.csv?family=api_credentials' })
    await db.updateTable('credentials').set({ owner_email: was } as never).where('name', '=', names[0]).execute()
    expect(res.body).toContain(`${names[0]},API_TOKEN,"'=HYPERLINK(""http://evil.test"")@x.test",`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="expired-to-revoke-/)
    const lines = res.body.trimEnd().split('\r\n')
    expect(lines[0]).toBe('name,type,owner_email,expiry_timestamp')
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...names].sort())
  })

  it('a developer and an auditor: own set only, and no preview without the write permission', async () => {
    const dev = await signedIn(t, 'developer')
    const mine = await createToken(t.app, dev.auth)
    await t.services.db.db.updateTable('credentials').set({ expires_at: Date.now() - 1000 }).where('name', '=', mine.name).execute()
    const p = (await call(t.app, dev.auth, { method: 'GET', url: PREVIEW })).json<BulkRevokePreview>()
    expect(p).toMatchObject({ scope: 'own', count: 1, owners: 1, sample: [{ name: mine.name, owner_email: dev.user.email }] })
    const csv = await call(t.app, dev.auth, { method: 'GET', url: '/api/bulk_revokes/preview.csv?family=api_credentials' })
    expect(csv.body.trimEnd().split('\r\n')).toHaveLength(2)
    const auditor = await signedIn(t, 'auditor')
    expect((await call(t.app, auditor.auth, { method: 'GET', url: PREVIEW })).statusCode).toBe(403)
    expect((await call(t.app, auditor.auth, { method: 'GET', url: '/api/bulk_revokes/preview.csv?family=api_credentials' })).statusCode).toBe(403)
    expect((await call(t.app, admin, { method: 'GET', url: '/api/bulk_revokes/preview?family=nope' })).statusCode).toBe(400)
    // Leave the set as it was for the next test.
    await call(t.app, dev.auth, { method: 'POST', url: START, payload: { expired_selector: { expected_count: 1 } } })
  })

  it('a start whose confirmed count no longer matches the set is refused with 409 and revokes nothing', async () => {
    const { count } = (await call(t.app, admin, { method: 'GET', url: PREVIEW })).json<BulkRevokePreview>()
    expect(count).toBe(14)
    // One more expires between the preview and the start.
    const dev = await signedIn(t, 'developer')
    const late = await createToken(t.app, dev.auth)
    await t.services.db.db.updateTable('credentials').set({ expires_at: Date.now() - 1000 }).where('name', '=', late.name).execute()
    const res = await call(t.app, admin, { method: 'POST', url: START, headers: { prefer: 'respond-async' }, payload: { expired_selector: { all: {}, expected_count: count } } })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/The set changed since you confirmed it: 15 expired credentials would be revoked now, not 14\. Nothing was revoked/)
    expect(res.json().details).toEqual([{ field: 'expired_selector.expected_count', reason: 'the set now has 15' }])
    const revoked = await t.services.db.db.selectFrom('credentials').select('name').where('revoked_at', 'is not', null).where('name', 'in', names).execute()
    expect(revoked).toEqual([])
    expect((await call(t.app, admin, { method: 'GET', url: '/api/bulk_revokes' })).json().items.filter((j: { scope: string }) => j.scope === 'tenant')).toEqual([])

    const again = (await call(t.app, admin, { method: 'GET', url: PREVIEW })).json<BulkRevokePreview>()
    const ok = await call(t.app, admin, { method: 'POST', url: START, payload: { expired_selector: { all: {}, expected_count: again.count } } })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().credentials_marked_for_deletion.sort()).toEqual([...names, late.name].sort())
  })

  it('a start without expected_count still works as before (existing callers), and a negative count is a 400', async () => {
    expect((await call(t.app, admin, { method: 'POST', url: START, payload: { expired_selector: { expected_count: -1 } } })).statusCode).toBe(400)
    const res = await call(t.app, admin, { method: 'POST', url: START, payload: { expired_selector: {} } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ credentials_failed: [], credentials_marked_for_deletion: [], error_message: '' })
  })
})
