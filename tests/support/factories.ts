// Test-data factories and request helpers shared by API tests.
import crypto from 'node:crypto'
import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Role } from '../../contract/users.js'
import type { CreateCredentialRequest } from '../../contract/credentials.js'
import type { TestApp } from './app.js'

export const PASSWORD = 'correct-horse-battery-staple'
export const ORIGIN = 'http://localhost:80'

/** How a request authenticates: a console session (cookie + CSRF) or an API token. */
export type Auth = { cookie: string; csrf: string } | { token: string } | null

export async function createUser(t: TestApp, overrides: { email?: string; role?: Role; name?: string; password?: string } = {}) {
  const email = overrides.email ?? `user-${crypto.randomBytes(4).toString('hex')}@example.com`
  return t.services.users.create(null, {
    email, name: overrides.name ?? email.split('@')[0], role: overrides.role ?? 'developer', password: overrides.password ?? PASSWORD,
  }, { ip: null, userAgent: 'test' })
}

export async function login(app: FastifyInstance, email: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(`login ${email} failed: ${res.statusCode} ${res.body}`)
  const set = res.cookies.find((c) => c.name === 'tc_session')!
  return { cookie: `tc_session=${set.value}`, csrf: res.json().csrf_token }
}

/** A user of the given role, signed in. */
export async function signedIn(t: TestApp, role: Role = 'developer') {
  const user = await createUser(t, { role })
  return { user, auth: await login(t.app, user.email) }
}

export function call(app: FastifyInstance, auth: Auth, opts: InjectOptions) {
  const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) }
  if (auth && 'token' in auth) headers.authorization = `APIToken ${auth.token}`
  else if (auth) {
    headers.cookie = auth.cookie
    if (opts.method && opts.method !== 'GET') {
      headers['x-csrf-token'] = auth.csrf
      headers.origin = ORIGIN
    }
  }
  return app.inject({ ...opts, headers })
}

export const API = '/api/web/namespaces/system'

let seq = 0
export function tokenName(prefix = 'token') {
  seq++
  return `${prefix}-${seq}-${crypto.randomBytes(3).toString('hex')}`
}

export async function createToken(app: FastifyInstance, auth: Auth, overrides: Partial<CreateCredentialRequest> = {}) {
  const body = { name: tokenName(), expiration_days: 30, ...overrides }
  const res = await call(app, auth, { method: 'POST', url: `${API}/api_credentials`, payload: body })
  if (res.statusCode !== 200) throw new Error(`create token failed: ${res.statusCode} ${res.body}`)
  return { name: body.name as string, token: res.json().data as string, body: res.json() }
}

/** Moves a credential's expiry into the past, as if time had passed. */
export async function expire(t: TestApp, name: string) {
  await t.services.db.db.updateTable('credentials').set({ expires_at: Date.now() - 1000 }).where('name', '=', name).execute()
}

export const WHOAMI = '/api/web/custom/namespaces/system/whoami'

export async function createServiceToken(app: FastifyInstance, auth: Auth, role: 'ves-io-admin' | 'ves-io-power-developer' | 'ves-io-monitor', overrides: Record<string, unknown> = {}) {
  const body = { name: tokenName('svc'), expiration_days: 30, namespace_roles: [{ namespace: 'system', role }], ...overrides }
  const res = await call(app, auth, { method: 'POST', url: `${API}/service_credentials`, payload: body })
  if (res.statusCode !== 200) throw new Error(`create service token failed: ${res.statusCode} ${res.body}`)
  return { name: body.name as string, token: res.json().data as string }
}
