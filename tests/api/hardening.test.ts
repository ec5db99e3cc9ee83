// One regression test per finding of the outside probe, on SQLite and PostgreSQL.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, call, createServiceToken, createToken, createUser, login, PASSWORD, signedIn, tokenName } from '../support/factories.js'

let t: TestApp
let admin: Awaited<ReturnType<typeof signedIn>>
beforeAll(async () => {
  t = await buildTestApp({ maxActiveTokensPerUser: 10_000 })
  admin = await signedIn(t, 'admin')
})
afterAll(async () => { await t.close() })

const loginAs = (email: string, password: string, remoteAddress = '10.1.1.1') =>
  t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress })

describe('sign-in brake and identifier normalisation', () => {
  it('counts a Unicode case variant of an email (U+212A KELVIN SIGN) as the same account', async () => {
    const u = await createUser(t, { email: `kate-${Date.now()}@example.com` })
    const variant = u.email.replace('k', '\u212A')
    // The variant signs in with the right password: it is the same account…
    expect((await loginAs(variant, PASSWORD, '10.2.0.1')).statusCode).toBe(200)
    // …so its failures count against that account too: the 11th attempt is braked, right password or not.
    for (let i = 0; i < 10; i++) expect((await loginAs(variant, `wrong-password-${i}`, '10.2.0.2')).statusCode).toBe(401)
    expect((await loginAs(variant, PASSWORD, '10.2.0.2')).statusCode).toBe(429)
    expect((await loginAs(u.email, PASSWORD, '10.2.0.2')).statusCode).toBe(429)
    // The failure rows store the normalised spelling.
    const rows = await t.services.db.db.selectFrom('audit_events').select('actor_email')
      .where('action', '=', 'login_failed').where('source_ip', '=', '10.2.0.2').execute()
    expect(new Set(rows.map((r) => r.actor_email))).toEqual(new Set([u.email]))
  })

  it('slows one address that spreads failures over many accounts, and no other address', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 50; i++) {
      expect((await loginAs(`nobody-${i}@example.com`, 'wrong-password-1', '10.3.0.1')).statusCode).toBe(401)
    }
    const u = await createUser(t)
    // An account with no failures of its own still signs in from there (people share addresses
    // behind NAT and proxies), after the address's wait.
    const slowed = performance.now()
    expect((await loginAs(u.email, PASSWORD, '10.3.0.1')).statusCode).toBe(200)
    expect(performance.now() - slowed).toBeGreaterThanOrEqual(90)
    expect((await loginAs(u.email, PASSWORD, '10.3.0.2')).statusCode).toBe(200)
    // An account that already failed 3 times from that address is refused outright.
    for (let i = 0; i < 2; i++) expect((await loginAs('nobody-0@example.com', `wrong-password-${i + 2}`, '10.3.0.1')).statusCode).toBe(401)
    const braked = await loginAs('nobody-0@example.com', 'wrong-password-4', '10.3.0.1')
    expect(braked.statusCode).toBe(429)
    expect(braked.headers['retry-after']).toBeDefined()
  })
})

describe('strings no field may hold', () => {
  const cases: Array<[string, () => Promise<{ statusCode: number; json(): { details: Array<{ field?: string }> } }>, string]> = [
    ['login email', () => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a\u0000@example.com', password: 'x' } }), 'email'],
    ['name in the path', () => call(t.app, admin.auth, { method: 'GET', url: `${API}/api_credentials/abc%00def` }), 'name'],
    ['list search', () => call(t.app, admin.auth, { method: 'GET', url: `${API}/api_credentials?q=a%00b&limit=5` }), 'q'],
    ['inventory filter', () => call(t.app, admin.auth, { method: 'GET', url: '/api/inventory?q=%00' }), 'q'],
    ['audit filter', () => call(t.app, admin.auth, { method: 'GET', url: '/api/audit?actor=%00' }), 'actor'],
    ['audit export filter', () => call(t.app, admin.auth, { method: 'GET', url: '/api/audit/export.csv?target=x%00' }), 'target'],
    ['body field', () => call(t.app, admin.auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), description: 'bad\u0000desc' } }), 'description'],
    ['control character', () => call(t.app, admin.auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), description: 'bell\u0007' } }), 'description'],
    ['lone surrogate', () => call(t.app, admin.auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), description: 'half \ud800 pair' } }), 'description'],
  ]
  for (const [what, send, field] of cases) {
    it(`refuses NUL and control characters in a ${what} with a 400 naming the field`, async () => {
      const res = await send()
      expect(res.statusCode).toBe(400)
      expect(res.json().details[0].field).toBe(field)
    })
  }

  it('keeps tabs and new lines, which descriptions may hold', async () => {
    const res = await call(t.app, admin.auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name: tokenName(), description: 'line one\nline\ttwo' } })
    expect(res.statusCode).toBe(200)
  })
})

describe('concurrent writes', () => {
  it('cross-family creates of one name answer 200 once and 409 otherwise, never 500', async () => {
    const statuses: number[] = []
    for (let round = 0; round < 10; round++) {
      const name = tokenName('dup')
      const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => i % 2
        ? call(t.app, admin.auth, { method: 'POST', url: `${API}/api_credentials`, payload: { name } })
        : call(t.app, admin.auth, { method: 'POST', url: `${API}/service_credentials`, payload: { name, service_account_name: tokenName('sa'), namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] } })))
      statuses.push(...rs.map((r) => r.statusCode))
      expect(rs.filter((r) => r.statusCode === 200)).toHaveLength(1)
    }
    expect(new Set(statuses)).toEqual(new Set([200, 409]))
  })

  it('twenty service credentials naming one new service account all succeed', async () => {
    const account = tokenName('shared-sa')
    const rs = await Promise.all(Array.from({ length: 20 }, () => call(t.app, admin.auth, {
      method: 'POST', url: `${API}/service_credentials`,
      payload: { name: tokenName('svc'), service_account_name: account, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }] },
    })))
    expect(rs.map((r) => r.statusCode)).toEqual(Array(20).fill(200))
    const accounts = await t.services.db.db.selectFrom('users').select('id').where('name', '=', account).execute()
    expect(accounts).toHaveLength(1)
  })

  it('concurrent revokes and renews: one revoke row, no renew after it, revoked stays revoked', async () => {
    const { name } = await createToken(t.app, admin.auth)
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => call(t.app, admin.auth, i % 2
      ? { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } }
      : { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name, expiration_days: 30 } })))
    expect(rs.every((r) => r.statusCode === 200 || r.statusCode === 400)).toBe(true)
    const rows = await t.services.db.db.selectFrom('audit_events').select(['id', 'action'])
      .where('target_name', '=', name).where('action', 'in', ['credential.revoke', 'credential.renew']).orderBy('id').execute()
    const revokes = rows.filter((r) => r.action === 'credential.revoke')
    expect(revokes).toHaveLength(1)
    expect(rows.filter((r) => r.action === 'credential.renew' && r.id > revokes[0].id)).toHaveLength(0)
    const again = await call(t.app, admin.auth, { method: 'POST', url: `${API}/renew/api_credentials`, payload: { name } })
    expect(again.statusCode).toBe(400)
    const second = await call(t.app, admin.auth, { method: 'POST', url: `${API}/revoke/api_credentials`, payload: { name } })
    expect(second.statusCode).toBe(200)
    const after = await t.services.db.db.selectFrom('audit_events').select('id').where('target_name', '=', name).where('action', '=', 'credential.revoke').execute()
    expect(after).toHaveLength(1)
  })
})

describe('saved searches are written only by sessions and tokens that may write', () => {
  const save = (auth: Parameters<typeof call>[1]) => call(t.app, auth, { method: 'POST', url: '/api/saved_searches', payload: { name: 'unused', page: 'inventory', query: 'usage=never_used', shared: true } })

  it('refuses read-only tokens of every kind', async () => {
    const auditor = await signedIn(t, 'auditor')
    const dev = await signedIn(t, 'developer')
    const tokens = [
      (await createToken(t.app, admin.auth, { owner_id: auditor.user.id })).token,
      (await createToken(t.app, dev.auth, { scope: 'read_only' })).token,
      (await createToken(t.app, dev.auth, { scope: 'custom', permissions: ['credentials:read'] })).token,
      (await createServiceToken(t.app, admin.auth, 'ves-io-monitor')).token,
    ]
    const mine = await save(admin.auth)
    expect(mine.statusCode).toBe(201)
    for (const token of tokens) {
      expect((await save({ token })).statusCode).toBe(403)
      expect((await call(t.app, { token }, { method: 'DELETE', url: `/api/saved_searches/${mine.json().id}` })).statusCode).toBe(403)
    }
    // A person keeps their own saved searches, whatever their role, and a token that may write can too.
    expect((await save(auditor.auth)).statusCode).toBe(201)
    expect((await save({ token: (await createToken(t.app, dev.auth)).token })).statusCode).toBe(201)
  })
})

describe('headers and anonymous reads', () => {
  it('sends a CSP with no unsafe-inline on the API and on the console page, with a fresh nonce per page', async () => {
    const dir = fs.mkdtempSync(path.join(t.dataDir, 'console-'))
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><title>x</title></head><body></body></html>')
    const c = await buildTestApp({ staticDir: dir })
    try {
      const api = await c.app.inject({ method: 'GET', url: '/api/health' })
      const p1 = await c.app.inject({ method: 'GET', url: '/tokens' })
      const p2 = await c.app.inject({ method: 'GET', url: '/tokens' })
      for (const r of [api, p1, p2]) expect(String(r.headers['content-security-policy'])).not.toContain('unsafe-inline')
      // API answers are never rendered: they get nothing at all; pages get self plus the nonce.
      expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
      expect(api.headers['x-content-type-options']).toBe('nosniff')
      expect(String(p1.headers['content-security-policy'])).toContain("style-src 'self' 'nonce-")
      const nonce = (body: string) => /<meta name="csp-nonce" content="([^"]+)">/.exec(body)?.[1]
      expect(nonce(p1.body)).toBeTruthy()
      expect(String(p1.headers['content-security-policy'])).toContain(`'nonce-${nonce(p1.body)}'`)
      expect(nonce(p1.body)).not.toBe(nonce(p2.body))
    } finally {
      await c.close()
    }
  })

  it('marks the session cookie Secure when the request came over HTTPS through a trusted proxy', async () => {
    const c = await buildTestApp({ trustProxy: 'loopback' })
    try {
      const u = await createUser(c)
      const viaTls = await c.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: PASSWORD }, headers: { 'x-forwarded-proto': 'https' } })
      expect(viaTls.cookies.find((x) => x.name === 'tc_session')!.secure).toBe(true)
      const plain = await c.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: PASSWORD } })
      expect(plain.cookies.find((x) => x.name === 'tc_session')!.secure).toBeFalsy()
    } finally {
      await c.close()
    }
  })

  it('answers the policy and the scope catalog to signed-in callers only', async () => {
    for (const url of ['/api/policy', '/api/scopes']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401)
      expect((await call(t.app, admin.auth, { method: 'GET', url })).statusCode).toBe(200)
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200)
  })
})

describe('session login helper stays usable', () => {
  it('signs in with the ASCII spelling', async () => {
    const u = await createUser(t)
    await expect(login(t.app, u.email)).resolves.toBeTruthy()
  })
})

// Registered on SQLite only (PostgreSQL keeps no files of ours), so no run reports it as skipped.
if (inject('testDb') === 'sqlite') describe('database files are readable by the server\'s user only', () => {
  const mode = (file: string) => fs.statSync(file).mode & 0o777
  const files = (dir: string) => ['', '-wal', '-shm'].map((suffix) => path.join(dir, `token-console.sqlite${suffix}`))

  it('creates the data folder 0700 and the database with its -wal and -shm files 0600, and tightens existing ones at start', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-modes-'))
    const dataDir = path.join(root, 'fresh', 'data')
    const umask = process.umask(0o022)
    try {
      const first = await buildTestApp({ dataDir })
      try {
        await createUser(first)
        expect(mode(dataDir)).toBe(0o700)
        for (const f of files(dataDir)) expect(mode(f), f).toBe(0o600)
      } finally {
        await first.close()
      }
      // Files left readable by an older version (or a copy made with the default umask).
      for (const f of files(dataDir)) if (fs.existsSync(f)) fs.chmodSync(f, 0o644)
      fs.chmodSync(dataDir, 0o755)
      const again = await buildTestApp({ dataDir })
      try {
        await createUser(again)
        for (const f of files(dataDir)) expect(mode(f), f).toBe(0o600)
        // A folder the operator made is theirs to set: only one we create is 0700.
        expect(mode(dataDir)).toBe(0o755)
      } finally {
        await again.close()
      }
    } finally {
      process.umask(umask)
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
