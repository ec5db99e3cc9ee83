// A small HTTP client for the child-process server: console sessions (cookie + CSRF + Origin) and tokens.
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './server.js'

export const API = '/api/web/namespaces/system'

export interface Res {
  status: number
  headers: Headers
  text: string
  ms: number
  json<T = Record<string, unknown>>(): T
}

export interface ReqOpts {
  body?: unknown
  headers?: Record<string, string>
  timeoutMs?: number
}

export async function request(origin: string, method: string, path: string, opts: ReqOpts = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const started = performance.now()
  const res = await fetch(origin + path, {
    method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  })
  const text = await res.text()
  const ms = performance.now() - started
  return { status: res.status, headers: res.headers, text, ms, json: <T>() => JSON.parse(text) as T }
}

export class Session {
  constructor(readonly origin: string, readonly cookie: string, readonly csrf: string) {}

  static async login(origin: string, email = ADMIN_EMAIL, password = ADMIN_PASSWORD, headers: Record<string, string> = {}): Promise<Session> {
    const res = await request(origin, 'POST', '/api/auth/login', { body: { email, password }, headers })
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${res.text}`)
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('tc_session='))
    if (!cookie) throw new Error(`login ${email}: no session cookie`)
    return new Session(origin, cookie, res.json<{ csrf_token: string }>().csrf_token)
  }

  call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Res> {
    const headers: Record<string, string> = { cookie: this.cookie }
    if (method !== 'GET') {
      headers['x-csrf-token'] = this.csrf
      headers.origin = this.origin
    }
    return request(this.origin, method, path, { body, headers, timeoutMs })
  }
}
