// Audit views: filters, who sees what, CSV export (streamed, formula-safe), and tamper detection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createToken, signedIn, WHOAMI, type Auth } from '../support/factories.js'
import { csvCell } from '../../server/lib/csv.js'

let t: TestApp
let admin: Auth
let auditor: Auth
let dev: Auth
let devEmail: string
let devToken: { name: string; token: string }
beforeAll(async () => {
  t = await buildTestApp()
  admin = (await signedIn(t, 'admin')).auth
  auditor = (await signedIn(t, 'auditor')).auth
  const d = await signedIn(t, 'developer')
  dev = d.auth
  devEmail = d.user.email
  devToken = await createToken(t.app, dev, { description: 'needle-in-details' })
  await createToken(t.app, admin)
  await call(t.app, dev, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name: devToken.name } })
  await call(t.app, { token: devToken.token }, { method: 'GET', url: WHOAMI })
  // Refused checks are written as aggregated rows per interval; write them now.
  await t.services.failedChecks.flush()
})
afterAll(async () => { await t.close() })

const list = (auth: Auth, qs = '') => call(t.app, auth, { method: 'GET', url: `/api/audit${qs}` })

describe('audit log happy', () => {
  it('filters by actor, credential, action, outcome, time range and free text', async () => {
    const byActor = (await list(auditor, `?actor=${encodeURIComponent(devEmail.toUpperCase())}`)).json().items
    expect(byActor.length).toBeGreaterThan(0)
    expect(byActor.every((e: { actor_email: string }) => e.actor_email === devEmail)).toBe(true)
    const byCred = (await list(auditor, `?credential=${devToken.name}`)).json().items
    expect(byCred.map((e: { action: string }) => e.action).sort()).toEqual(['credential.create', 'credential.revoke', 'credential.use_denied'])
    expect((await list(auditor, '?action=credential.revoke')).json().items.every((e: { action: string }) => e.action === 'credential.revoke')).toBe(true)
    expect((await list(auditor, '?outcome=denied')).json().items.map((e: { target_name: string }) => e.target_name)).toEqual([devToken.name])
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect((await list(auditor, `?from=${encodeURIComponent(future)}`)).json().items).toEqual([])
    expect((await list(auditor, `?to=${encodeURIComponent(future)}&credential=${devToken.name}`)).json().items).toHaveLength(3)
    expect((await list(auditor, '?q=needle-in-details')).json().items).toEqual([])
    expect((await list(auditor, `?q=${devToken.name.slice(0, 8)}`)).json().items.length).toBeGreaterThan(0)
    expect((await list(auditor, '?outcome=maybe')).statusCode).toBe(400)
  })

  it('pages newest first with a cursor', async () => {
    const first = (await list(admin, '?limit=2')).json()
    expect(first.items).toHaveLength(2)
    expect(first.items[0].id).toBeGreaterThan(first.items[1].id)
    const second = (await list(admin, `?limit=2&cursor=${first.next_cursor}`)).json()
    expect(second.items[0].id).toBeLessThan(first.items[1].id)
  })

  it('shows a developer only the events about their own tokens and account', async () => {
    const items = (await list(dev, '?limit=500')).json().items as Array<{ actor_email: string | null; target_name: string | null }>
    expect(items.length).toBeGreaterThanOrEqual(4)
    expect(items.every((e) => e.actor_email === devEmail || e.target_name === devToken.name || e.target_name === devEmail)).toBe(true)
    const adminItems = (await list(admin, '?limit=500')).json().items
    expect(adminItems.length).toBeGreaterThan(items.length)
  })

  it('exports the filtered set as CSV that spreadsheets will not execute', async () => {
    const res = await call(t.app, auditor, { method: 'GET', url: `/api/audit/export.csv?credential=${devToken.name}` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/csv')
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="audit-log-.*\.csv"/)
    const lines = res.body.trim().split('\r\n')
    expect(lines[0]).toBe('id,at,actor_email,actor_type,credential_name,action,target_type,target_name,outcome,source_ip,user_agent,details')
    expect(lines).toHaveLength(4)
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvCell('-1+2')).toBe(`"'-1+2"`)
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell(null)).toBe('')
  })
})

describe('audit log security', () => {
  it('reports an intact chain, then the exact row whose bytes were changed', async () => {
    const ok = (await call(t.app, auditor, { method: 'GET', url: '/api/audit/verify' })).json()
    expect(ok).toMatchObject({ intact: true, first_broken_id: null })
    expect(ok.checked).toBeGreaterThan(5)
    const victim = (await list(admin, `?credential=${devToken.name}&action=credential.revoke`)).json().items[0]
    // Tamper below the API, as an attacker with database access would: lift the append-only guard first.
    const db = t.services.db.db
    if (t.dialect === 'postgres') {
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`.execute(db)
      await sql`UPDATE audit_events SET outcome = 'failure' WHERE id = ${victim.id}`.execute(db)
      await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`.execute(db)
    } else {
      await sql`DROP TRIGGER audit_events_no_update`.execute(db)
      await sql`UPDATE audit_events SET outcome = 'failure' WHERE id = ${victim.id}`.execute(db)
    }
    const broken = (await call(t.app, auditor, { method: 'GET', url: '/api/audit/verify' })).json()
    expect(broken).toMatchObject({ intact: false, first_broken_id: victim.id })
    expect((await call(t.app, dev, { method: 'GET', url: '/api/audit/verify' })).statusCode).toBe(403)
  })

  it('offers no route that changes or deletes audit rows', async () => {
    const oas = (await t.app.inject({ url: '/api/openapi.json' })).json()
    const auditPaths = Object.entries(oas.paths as Record<string, Record<string, unknown>>).filter(([p]) => p.startsWith('/api/audit'))
    expect(auditPaths.length).toBeGreaterThanOrEqual(3)
    for (const [, methods] of auditPaths) expect(Object.keys(methods)).toEqual(['get'])
  })
})
