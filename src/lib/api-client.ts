// The one fetch wrapper: JSON in and out, the CSRF header on mutations, and the API's error body
// turned into a typed ApiError. The CSRF token lives in memory only.
import { REAUTHENTICATION_REQUIRED } from '../../contract/reasons'
import type { ErrorDetail } from '../../contract/errors'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message)
    this.name = 'ApiError'
  }
  /** The message for one field, if the server named it. */
  fieldError(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.reason
  }
}

let csrfToken: string | null = null
let unauthorizedHandler: (() => void) | null = null
/**
 * Asks the person for their password (src/app/reauth-dialog.tsx): resolves once they have
 * re-authenticated, rejects with a ReauthCancelledError when they cancel.
 */
export type ReauthHandler = (message: string) => Promise<void>
let reauthHandler: ReauthHandler | null = null
/** One dialog for every request refused at the same moment (a bulk action), not one each. */
let pendingReauth: Promise<void> | null = null

/** Create, renew and rotate answer this when the session's last sign-in is older than the policy allows. */
export function isReauthRequired(err: unknown): err is ApiError {
  return err instanceof ApiError && err.status === 401 && err.details.some((d) => d.reason === REAUTHENTICATION_REQUIRED)
}

/** The person closed the password prompt: nothing was changed. */
export class ReauthCancelledError extends ApiError {
  constructor() {
    super(401, 16, 'Not done: this needs your password confirmed, and the prompt was cancelled. Nothing was changed.', [{ reason: 'reauthentication_cancelled' }])
    this.name = 'ReauthCancelledError'
  }
}

export function setCsrfToken(token: string | null) {
  csrfToken = token
}
export function onUnauthorized(handler: (() => void) | null) {
  unauthorizedHandler = handler
}
export function onReauthenticationRequired(handler: ReauthHandler | null) {
  reauthHandler = handler
  pendingReauth = null
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  body?: unknown
  query?: Record<string, string | number | boolean | undefined | null>
  headers?: Record<string, string>
  signal?: AbortSignal
  /** false for calls where 401 is an answer, not an ended session (sign-in, testing a pasted token). */
  redirectOn401?: boolean
  /** false: a refusal for an old sign-in is thrown as it is instead of asking for the password. */
  reauthenticate?: boolean
  /** Sees a successful answer's headers (an ETag to send back in If-Match). */
  onHeaders?: (headers: Headers) => void
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  const s = params.toString()
  return s ? `${path}?${s}` : path
}

export async function parseError(res: Response): Promise<ApiError> {
  let body: unknown
  try {
    body = await res.json()
  } catch {
    body = undefined
  }
  const b = body as { code?: unknown; message?: unknown; details?: unknown } | undefined
  if (b && typeof b.message === 'string') {
    return new ApiError(res.status, typeof b.code === 'number' ? b.code : 0, b.message, Array.isArray(b.details) ? (b.details as ErrorDetail[]) : [])
  }
  return new ApiError(res.status, 0, res.status >= 500 ? 'The server could not complete the request. Try again.' : `Request failed (${res.status})`)
}

/**
 * A request refused for an old sign-in asks for the password once, then is sent again exactly as
 * it was (same method, path and body), so the page that started it gets its answer and keeps what
 * the person typed. Cancelling rejects with ReauthCancelledError where the action was.
 */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  try {
    return await send<T>(path, opts)
  } catch (err) {
    if (!isReauthRequired(err) || !reauthHandler || opts.reauthenticate === false) throw err
    const ask = reauthHandler
    pendingReauth ??= ask(err.message).finally(() => { pendingReauth = null })
    try {
      await pendingReauth
    } catch (reason) {
      // The session ended while the prompt was open: the usual way back to sign-in.
      if (reason instanceof ApiError && reason.status === 401 && !(reason instanceof ReauthCancelledError) && opts.redirectOn401 !== false) unauthorizedHandler?.()
      throw reason
    }
    return send<T>(path, opts)
  }
}

async function send<T>(path: string, opts: RequestOptions): Promise<T> {
  const method = opts.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  let res: Response
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method, headers, credentials: 'same-origin', signal: opts.signal,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 14, 'Cannot reach the server. Check your connection and try again.')
  }
  if (!res.ok) {
    const error = await parseError(res)
    if (res.status === 401 && opts.redirectOn401 !== false && !(isReauthRequired(error) && reauthHandler && opts.reauthenticate !== false)) unauthorizedHandler?.()
    throw error
  }
  opts.onHeaders?.(res.headers)
  if (res.status === 204) return undefined as T
  return (await res.json()) as T
}
