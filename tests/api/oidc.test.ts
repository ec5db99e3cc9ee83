// Single sign-on against a real OpenID provider (oidc-provider on 127.0.0.1): the app listens on a
// socket too, and a small browser stand-in (fetch, one cookie jar per origin, redirects followed by
// hand, the provider's sign-in form posted) walks the authorization code flow with PKCE.
import crypto from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PolicySettings } from '../../contract/policy.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { API, PASSWORD, call, createUser, login, signedIn, tokenName } from '../support/factories.js'
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, freePort, startOidcProvider, type TestProvider } from '../support/oidc-provider.js'

/** A browser stand-in: cookies per origin (enough here: the app and the provider share no cookie names). */
class Browser {
  private jars = new Map<string, Map<string, string>>()
  /** The authorization requests this browser was sent to, for checking their parameters. */
  authorizationRequests: URL[] = []

  cookie(origin: string, name: string) {
    return this.jars.get(origin)?.get(name)
  }

  setCookie(origin: string, name: string, value: string) {
    const jar = this.jars.get(origin) ?? new Map<string, string>()
    this.jars.set(origin, jar)
    jar.set(name, value)
  }

  async fetch(url: string | URL, init: { method?: string; body?: URLSearchParams } = {}) {
    const u = new URL(url)
    const jar = this.jars.get(u.origin) ?? new Map<string, string>()
    this.jars.set(u.origin, jar)
    const res = await fetch(u, {
      method: init.method ?? 'GET', body: init.body, redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      const gone = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()))
      if (gone) jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }

  /**
   * From the app's start URL through the provider's sign-in (as `login`) to the provider's redirect
   * back: returns the callback URL without requesting it, so a test can tamper with it first.
   */
  async toCallback(startUrl: string, loginName: string, callbackPrefix: string): Promise<URL> {
    let res = await this.fetch(startUrl)
    for (let hop = 0; hop < 20; hop++) {
      const location = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, res.url || startUrl)
        if (next.href.startsWith(callbackPrefix)) return next
        if (next.pathname === '/auth') this.authorizationRequests.push(next)
        res = await this.fetch(next)
        continue
      }
      const html = await res.text()
      const form = /<form[^>]*action="([^"]+)"/.exec(html)
      if (res.status !== 200 || !form) throw new Error(`stuck at ${res.url}: ${res.status} ${html.slice(0, 300)}`)
      const body = new URLSearchParams()
      for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) body.set(m[1], m[2])
      if (/name="login"/.test(html)) {
        body.set('login', loginName)
        body.set('password', 'any')
      }
      res = await this.fetch(new URL(form[1].replaceAll('&amp;', '&'), res.url), { method: 'POST', body })
    }
    throw new Error('too many redirects')
  }
}

let t: TestApp
let base: string
let provider: TestProvider
let admin: { cookie: string; csrf: string }
let adminId: string
let adminEmail: string
const callbackPrefix = () => `${base}/api/auth/oidc/callback`

const ACCOUNTS = {
  alice: { email: 'alice@corp.test', email_verified: true, name: 'Alice Auditor', groups: ['staff', 'tc-auditors'] },
  devon: { email: 'devon@corp.test', email_verified: true, name: 'Devon Dev', groups: ['staff'] },
  dora: { email: 'dora@corp.test', email_verified: true, name: 'Dora', groups: ['staff'] },
  ursula: { email: 'ursula@corp.test', email_verified: false, name: 'Ursula' },
  lena: { email: 'lena@corp.test', email_verified: true, name: 'Lena Local', groups: ['tc-admins'] },
  sam: { email: 'sam@corp.test', email_verified: true, name: 'Sam' },
}

const settings = (over: Record<string, unknown> = {}) => ({
  issuer: provider.issuer, client_id: OIDC_CLIENT_ID, client_secret: OIDC_CLIENT_SECRET, role_claim: 'groups',
  role_map: { 'tc-admins': 'admin', 'tc-auditors': 'auditor' }, jit: true, default_role: 'developer', passwords_for_non_admins: true, ...over,
})

async function putSettings(body: object) {
  const res = await call(t.app, admin, { method: 'PUT', url: '/api/identity/oidc', payload: body })
  expect(res.statusCode, res.body).toBe(200)
  return res
}

async function sessionOf(b: Browser) {
  const cookie = b.cookie(base, 'tc_session')
  if (!cookie) return null
  const res = await fetch(`${base}/api/console/session`, { headers: { cookie: `tc_session=${cookie}` } })
  return (await res.json() as { session: { user: { id: string; email: string; role: string }; csrf_token: string } | null }).session
}

/** A whole sign-in: returns where the callback sent the browser. */
async function ssoSignIn(b: Browser, loginName: string, returnTo = '/tokens') {
  const cb = await b.toCallback(`${base}/api/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`, loginName, callbackPrefix())
  const res = await b.fetch(cb)
  expect(res.status).toBe(302)
  return { location: res.headers.get('location')!, callback: cb }
}

const auditRows = (action: string) => t.services.db.db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id').execute()
const userRow = (email: string) => t.services.db.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()

beforeAll(async () => {
  t = await buildTestApp()
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  provider = await startOidcProvider({ redirectUris: [`${base}/api/auth/oidc/callback`], accounts: ACCOUNTS })
  const a = await signedIn(t, 'admin')
  admin = a.auth
  adminId = a.user.id
  adminEmail = a.user.email
  await putSettings(settings())
}, 60_000)

afterAll(async () => {
  await provider?.close()
  await t?.close()
})

describe('single sign-on through a real OpenID provider', () => {
  it('says on the public status that single sign-on is set up', async () => {
    const res = await fetch(`${base}/api/auth/oidc/status`)
    expect(await res.json()).toMatchObject({ configured: true, passwords_for_non_admins: true })
  })

  it('creates a new person just in time with the role their groups map to, signs them in, and audits both', async () => {
    const b = new Browser()
    const { location } = await ssoSignIn(b, 'alice', '/users?tab=1')
    expect(location).toBe('/users?tab=1')
    // The authorization request carried PKCE (S256), state and nonce, and no secret.
    const auth = b.authorizationRequests[0]
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256')
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(auth.searchParams.get('state')).toBeTruthy()
    expect(auth.searchParams.get('nonce')).toBeTruthy()
    expect(auth.href).not.toContain(OIDC_CLIENT_SECRET)
    const s = await sessionOf(b)
    expect(s?.user).toMatchObject({ email: 'alice@corp.test', role: 'auditor' })
    const row = await userRow('alice@corp.test')
    expect(row).toMatchObject({ managed_by: 'sso', oidc_subject: 'alice', role: 'auditor', name: 'Alice Auditor', password_hash: null })
    const list = (await call(t.app, admin, { method: 'GET', url: '/api/users' })).json() as { items: { email: string; managed_by: string | null }[] }
    expect(list.items.find((u) => u.email === 'alice@corp.test')?.managed_by).toBe('sso')
    const created = (await auditRows('user.create')).find((r) => r.target_name === 'alice@corp.test')
    expect(JSON.parse(created!.details!)).toMatchObject({ role: 'auditor', managed_by: 'sso', via: 'just_in_time' })
    const logins = (await auditRows('login')).filter((r) => r.actor_email === 'alice@corp.test')
    expect(logins).toHaveLength(1)
    expect(JSON.parse(logins[0].details!)).toMatchObject({ method: 'sso' })
    // A second sign-in finds the same person by subject: no second account.
    const again = new Browser()
    await ssoSignIn(again, 'alice')
    expect((await sessionOf(again))?.user.id).toBe(s!.user.id)
  })

  it('gives a person without a mapped group the default role', async () => {
    const b = new Browser()
    await ssoSignIn(b, 'devon')
    expect((await sessionOf(b))?.user).toMatchObject({ email: 'devon@corp.test', role: 'developer' })
  })

  it('returns only to a path on this console, never to another site', async () => {
    for (const returnTo of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/tokens\r\nx']) {
      const b = new Browser()
      expect((await ssoSignIn(b, 'devon', returnTo)).location).toBe('/tokens')
    }
  })

  it('refuses a callback whose state was changed, and the sign-in cannot then be completed', async () => {
    const b = new Browser()
    const cb = await b.toCallback(`${base}/api/auth/oidc/start`, 'sam', callbackPrefix())
    const forged = new URL(cb)
    forged.searchParams.set('state', crypto.randomBytes(16).toString('base64url'))
    const res = await b.fetch(forged)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/sign-in?sso_error=invalid_response')
    expect(b.cookie(base, 'tc_session')).toBeUndefined()
    // The sign-in under way was used up by the forged attempt: the genuine callback is refused too.
    const genuine = await b.fetch(cb)
    expect(genuine.headers.get('location')).toBe('/sign-in?sso_error=expired')
    expect(await userRow('sam@corp.test')).toBeUndefined()
    const refusals = (await auditRows('login_failed')).map((r) => JSON.parse(r.details!) as { method?: string; reason: string })
    expect(refusals).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'sso', reason: 'invalid_response' })]))
  })

  it('refuses a replayed authorization code, with the same cookie or a new sign-in\'s', async () => {
    const b = new Browser()
    const cb = await b.toCallback(`${base}/api/auth/oidc/start`, 'devon', callbackPrefix())
    const loginCookie = b.cookie(base, 'tc_oidc')!
    expect((await b.fetch(cb)).headers.get('location')).toBe('/tokens')
    // Replayed as it was: the sign-in under way is gone.
    const replay = new Browser()
    replay.setCookie(base, 'tc_oidc', loginCookie)
    expect((await replay.fetch(cb)).headers.get('location')).toBe('/sign-in?sso_error=expired')
    // Replayed into a fresh sign-in (its state pasted in): the provider refuses the used code and its PKCE.
    const thief = new Browser()
    const start = await thief.fetch(`${base}/api/auth/oidc/start`)
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    const pasted = new URL(cb)
    pasted.searchParams.set('state', state)
    const res = await thief.fetch(pasted)
    expect(res.headers.get('location')).toBe('/sign-in?sso_error=invalid_response')
    expect(thief.cookie(base, 'tc_session')).toBeUndefined()
  })

  it('is refused by the provider without PKCE, or with the wrong verifier', async () => {
    const b = new Browser()
    const noPkce = new URL(`${provider.issuer}/auth`)
    noPkce.search = new URLSearchParams({
      client_id: OIDC_CLIENT_ID, response_type: 'code', scope: 'openid email', redirect_uri: callbackPrefix(), state: 's', nonce: 'n',
    }).toString()
    const res = await b.fetch(noPkce)
    const back = new URL(res.headers.get('location')!, provider.issuer)
    expect(back.searchParams.get('error')).toBe('invalid_request')
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/)
    // A real code, exchanged by someone without the verifier the app kept: invalid_grant.
    const cb = await b.toCallback(`${base}/api/auth/oidc/start`, 'devon', callbackPrefix())
    const token = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${OIDC_CLIENT_ID}:${OIDC_CLIENT_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: callbackPrefix(),
        code_verifier: crypto.randomBytes(32).toString('base64url'),
      }),
    })
    expect(token.status).toBe(400)
    expect((await token.json() as { error: string }).error).toBe('invalid_grant')
  })

  it('refuses a disabled person', async () => {
    const b = new Browser()
    await ssoSignIn(b, 'dora')
    const dora = await userRow('dora@corp.test')
    const off = await call(t.app, admin, { method: 'PATCH', url: `/api/users/${dora!.id}`, payload: { disabled: true } })
    expect(off.statusCode, off.body).toBe(200)
    const again = new Browser()
    expect((await ssoSignIn(again, 'dora')).location).toBe('/sign-in?sso_error=disabled')
    expect(again.cookie(base, 'tc_session')).toBeUndefined()
    const rows = (await auditRows('login_failed')).filter((r) => r.actor_email === 'dora@corp.test')
    expect(JSON.parse(rows.at(-1)!.details!)).toMatchObject({ method: 'sso', reason: 'disabled' })
  })

  it('refuses an email the provider has not verified, and does not link it to the local account with that email', async () => {
    const local = await createUser(t, { email: 'ursula@corp.test', role: 'developer' })
    const b = new Browser()
    expect((await ssoSignIn(b, 'ursula')).location).toBe('/sign-in?sso_error=email_unverified')
    expect(b.cookie(base, 'tc_session')).toBeUndefined()
    expect((await userRow('ursula@corp.test'))).toMatchObject({ id: local.id, oidc_subject: null })
  })

  it('links an existing local account by its verified email, keeping it managed here', async () => {
    const local = await createUser(t, { email: 'lena@corp.test', role: 'developer' })
    const b = new Browser()
    await ssoSignIn(b, 'lena')
    expect((await sessionOf(b))?.user.id).toBe(local.id)
    // Linked, but not taken over: the role claim only steers people single sign-on created.
    expect(await userRow('lena@corp.test')).toMatchObject({ oidc_subject: 'lena', managed_by: null, role: 'developer' })
  })

  it('with passwords off for everyone but administrators, refuses a developer\'s password (sign-in and re-entry) but not an admin\'s', async () => {
    const dev = await createUser(t, { role: 'developer' })
    const devSession = await login(t.app, dev.email)
    await putSettings(settings({ client_secret: undefined, passwords_for_non_admins: false }))
    try {
      const refused = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: dev.email, password: PASSWORD } })
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toMatchObject({ details: [{ reason: 'sso_required' }] })
      expect(refused.json().message).toMatch(/single sign-on/)
      expect(refused.cookies.find((c) => c.name === 'tc_session')).toBeUndefined()
      const reentry = await call(t.app, devSession, { method: 'POST', url: '/api/auth/reauthenticate', payload: { password: PASSWORD } })
      expect(reentry.statusCode).toBe(403)
      const adminLogin = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: adminEmail, password: PASSWORD } })
      expect(adminLogin.statusCode).toBe(200)
      expect((await fetch(`${base}/api/auth/oidc/status`).then((r) => r.json()))).toMatchObject({ passwords_for_non_admins: false })
      // Single sign-on still signs the developer-role people in.
      const b = new Browser()
      await ssoSignIn(b, 'devon')
      expect((await sessionOf(b))?.user.email).toBe('devon@corp.test')
    } finally {
      await putSettings(settings({ client_secret: undefined }))
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: dev.email, password: PASSWORD } })).statusCode).toBe(200)
  })

  it('re-authenticates an SSO session at the provider (prompt=login, max_age=0), then the gated change goes through', async () => {
    const cur = (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
    const put = await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur.settings, reauth_window_minutes: 5 }, apply: { mode: 'new_only' } } })
    expect(put.statusCode, put.body).toBe(200)
    try {
      const b = new Browser()
      await ssoSignIn(b, 'devon')
      const s = (await sessionOf(b))!
      const cookie = b.cookie(base, 'tc_session')!
      const idHash = crypto.createHash('sha256').update(cookie).digest('hex')
      await t.services.db.db.updateTable('sessions').set({ created_at: Date.now() - 10 * 60_000, authenticated_at: null }).where('id_hash', '=', idHash).execute()
      const auth = { cookie: `tc_session=${cookie}`, csrf: s.csrf_token }
      const create = () => fetch(`${base}${API}/api_credentials`, {
        method: 'POST',
        headers: { cookie: auth.cookie, 'x-csrf-token': auth.csrf, origin: base, 'content-type': 'application/json' },
        body: JSON.stringify({ name: tokenName('sso'), expiration_days: 30, spec: { type: 'API_TOKEN' } }),
      })
      const refused = await create()
      expect(refused.status).toBe(401)
      expect(await refused.json()).toMatchObject({ details: [{ reason: 'reauthentication_required' }] })
      const before = b.authorizationRequests.length
      const cb = await b.toCallback(`${base}/api/auth/oidc/start?reauth=1&return_to=${encodeURIComponent('/tokens/new')}`, 'devon', callbackPrefix())
      const reauthRequest = b.authorizationRequests[before]
      expect(reauthRequest.searchParams.get('prompt')).toBe('login')
      expect(reauthRequest.searchParams.get('max_age')).toBe('0')
      const back = await b.fetch(cb)
      expect(back.headers.get('location')).toBe('/tokens/new')
      // The same session, now fresh: no new session cookie.
      expect(b.cookie(base, 'tc_session')).toBe(cookie)
      expect((await create()).status).toBe(200)
      const rows = (await auditRows('auth.reauthenticate')).filter((r) => r.actor_email === 'devon@corp.test' && r.outcome === 'success')
      expect(JSON.parse(rows.at(-1)!.details!)).toMatchObject({ method: 'sso' })
      // Another person confirming at the provider does not refresh this session.
      await t.services.db.db.updateTable('sessions').set({ created_at: Date.now() - 10 * 60_000, authenticated_at: null }).where('id_hash', '=', idHash).execute()
      const other = await b.toCallback(`${base}/api/auth/oidc/start?reauth=1&return_to=/tokens`, 'alice', callbackPrefix())
      expect((await b.fetch(other)).headers.get('location')).toBe('/tokens?sso_error=different_person')
      expect((await create()).status).toBe(401)
    } finally {
      await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur.settings, reauth_window_minutes: null }, apply: { mode: 'new_only' } } })
    }
  })
})

describe('single sign-on settings', () => {
  it('never returns the client secret, stores it encrypted, and audits changes without it', async () => {
    const res = await call(t.app, admin, { method: 'GET', url: '/api/identity/oidc' })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain(OIDC_CLIENT_SECRET)
    expect(res.json()).toMatchObject({
      source: 'stored', settings: { issuer: provider.issuer, client_id: OIDC_CLIENT_ID, client_secret_set: true, role_claim: 'groups' },
      redirect_uri: 'http://localhost:80/api/auth/oidc/callback',
    })
    const row = await t.services.db.db.selectFrom('oidc_settings').selectAll().executeTakeFirstOrThrow()
    expect(row.client_secret_enc).not.toContain(OIDC_CLIENT_SECRET)
    const changed = await putSettings(settings({ client_secret: 'a-new-secret-value-1234567890', default_role: 'auditor' }))
    expect(changed.body).not.toContain('a-new-secret-value')
    const audits = await auditRows('identity.oidc_update')
    const last = audits.at(-1)!
    expect(JSON.stringify(audits)).not.toContain(OIDC_CLIENT_SECRET)
    expect(JSON.stringify(audits)).not.toContain('a-new-secret-value')
    expect(JSON.parse(last.details!)).toMatchObject({ changed: ['default_role', 'client_secret'], default_role: 'auditor' })
    expect(last.actor_id).toBe(adminId)
    await putSettings(settings())
  })

  it('is for administrators only', async () => {
    const dev = await signedIn(t, 'developer')
    expect((await call(t.app, dev.auth, { method: 'GET', url: '/api/identity/oidc' })).statusCode).toBe(403)
    expect((await call(t.app, dev.auth, { method: 'PUT', url: '/api/identity/oidc', payload: settings() })).statusCode).toBe(403)
  })

  it('asks for a recent sign-in before a change', async () => {
    const cur = (await call(t.app, admin, { method: 'GET', url: '/api/policy' })).json() as { settings: PolicySettings }
    await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur.settings, reauth_window_minutes: 5 }, apply: { mode: 'new_only' } } })
    const stale = await signedIn(t, 'admin')
    const idHash = crypto.createHash('sha256').update(stale.auth.cookie.replace(/^tc_session=/, '')).digest('hex')
    await t.services.db.db.updateTable('sessions').set({ created_at: Date.now() - 10 * 60_000 }).where('id_hash', '=', idHash).execute()
    try {
      const res = await call(t.app, stale.auth, { method: 'PUT', url: '/api/identity/oidc', payload: settings({ jit: false }) })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ details: [{ reason: 'reauthentication_required' }] })
      expect((await call(t.app, admin, { method: 'GET', url: '/api/identity/oidc' })).json().settings.jit).toBe(true)
    } finally {
      await call(t.app, admin, { method: 'PUT', url: '/api/policy', payload: { settings: { ...cur.settings, reauth_window_minutes: null }, apply: { mode: 'new_only' } } })
    }
  })

  it('tests discovery of an issuer: the provider\'s endpoints, or a clear error', async () => {
    const ok = await call(t.app, admin, { method: 'POST', url: '/api/identity/oidc/test', payload: { issuer: provider.issuer } })
    expect(ok.json()).toMatchObject({ ok: true, issuer: provider.issuer, authorization_endpoint: `${provider.issuer}/auth`, code_challenge_methods: ['S256'] })
    const port = await freePort()
    const down = await call(t.app, admin, { method: 'POST', url: '/api/identity/oidc/test', payload: { issuer: `http://127.0.0.1:${port}` } })
    expect(down.json()).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) })
  })
})

describe('an issuer that is down when the server starts', () => {
  it('starts anyway, says the provider is not reachable yet, and signs in once it is up', async () => {
    const port = await freePort()
    const issuer = `http://127.0.0.1:${port}`
    const t2 = await buildTestApp({ oidcIssuer: issuer, oidcClientId: OIDC_CLIENT_ID, oidcClientSecret: OIDC_CLIENT_SECRET })
    let late: TestProvider | undefined
    try {
      await t2.app.listen({ host: '127.0.0.1', port: 0 })
      const base2 = `http://127.0.0.1:${(t2.app.server.address() as AddressInfo).port}`
      const status = async () => (await fetch(`${base2}/api/auth/oidc/status`)).json() as Promise<{ configured: boolean; reachable: boolean | null }>
      await expect.poll(status, { timeout: 10_000 }).toMatchObject({ configured: true, reachable: false })
      const early = await fetch(`${base2}/api/auth/oidc/start`, { redirect: 'manual' })
      expect(early.status).toBe(503)
      // A browser following the sign-in page's link is sent back there with the reason.
      const browser = await fetch(`${base2}/api/auth/oidc/start`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml' } })
      expect(browser.status).toBe(302)
      expect(browser.headers.get('location')).toBe('/sign-in?sso_error=unavailable')
      late = await startOidcProvider({ port, redirectUris: [`${base2}/api/auth/oidc/callback`], accounts: ACCOUNTS })
      await expect.poll(status, { timeout: 10_000, interval: 500 }).toMatchObject({ reachable: true })
      const b = new Browser()
      const cb = await b.toCallback(`${base2}/api/auth/oidc/start`, 'sam', `${base2}/api/auth/oidc/callback`)
      const res = await b.fetch(cb)
      expect(res.headers.get('location')).toBe('/tokens')
      // The environment's first values: no role map, so the default role.
      const me = await fetch(`${base2}/api/console/session`, { headers: { cookie: `tc_session=${b.cookie(base2, 'tc_session')}` } })
      expect((await me.json() as { session: { user: { email: string; role: string } } }).session.user).toMatchObject({ email: 'sam@corp.test', role: 'developer' })
    } finally {
      await late?.close()
      await t2.close()
    }
  })
})
