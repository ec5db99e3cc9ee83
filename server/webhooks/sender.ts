// One HTTP attempt of a delivery: a signed JSON POST, never following a redirect, bounded in time,
// and only to an address the target policy checked. The host is resolved once; the connection is made
// to those checked addresses (a lookup pinned to them), with the URL's host still in the Host header
// and the TLS server name, so a DNS answer that changes between the check and the connection (DNS
// rebinding) cannot move the request onto an internal address.
import http from 'node:http'
import https from 'node:https'
import { sign } from './crypto.js'
import { pinnedLookup, TargetRefused, type ResolvedAddress, type TargetPolicy } from './targets.js'

export interface AttemptResult {
  ok: boolean
  statusCode: number | null
  error: string | null
  /** The target policy refused the URL's address: nothing was sent, and retrying would not help. */
  refused?: boolean
}

export interface Delivery {
  id: string
  eventType: string
  url: string
  body: string
}

export interface SendOptions {
  targets: TargetPolicy
  timeoutMs?: number
  /** Where the reason an attempt reached no receiver goes (the server log); never to the caller. */
  log?: (detail: Record<string, unknown>, message: string) => void
}

export const SEND_TIMEOUT_MS = 5000

/**
 * The one thing a caller learns when no HTTP answer came back. A refused connection, a reset, an
 * unknown name, a TLS failure and a silent receiver all read alike, so the test button cannot tell an
 * open port from a closed one or a name that exists from one that does not.
 */
export const UNREACHABLE = 'the receiver could not be reached'
/** A URL whose address the policy refuses (it resolved to a non-public address since it was saved). */
export const REFUSED = 'not sent: the URL does not lead to a public address'

/** What the server log keeps of a failure: codes and the resolver's or socket's own message. */
function detail(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: unknown; message?: string; cause?: { code?: unknown } }
  return { name: e?.name, code: e?.code ?? e?.cause?.code, reason: e?.message }
}

function withDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

/** POSTs to `url` over a connection to one of `addresses`; answers the status code, never reading the body. */
function post(url: URL, addresses: ResolvedAddress[], headers: Record<string, string>, body: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? https.request : http.request
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinnedLookup(addresses),
      // A fresh connection each time: a pooled socket would skip the check made for this attempt.
      agent: false,
      signal,
    }, (res) => {
      resolve(res.statusCode ?? 0)
      // The answer's body is the receiver's, and could be large: not read or kept.
      res.destroy()
    })
    req.on('error', reject)
    req.end(body)
  })
}

export async function send(d: Delivery, secret: string, opts: SendOptions): Promise<AttemptResult> {
  const timeoutMs = opts.timeoutMs ?? SEND_TIMEOUT_MS
  const timestamp = Math.floor(Date.now() / 1000)
  let url: URL | undefined
  try {
    url = new URL(d.url)
    const signal = AbortSignal.timeout(timeoutMs)
    const addresses = await withDeadline(opts.targets.addresses(url), signal)
    const status = await post(url, addresses, {
      'content-type': 'application/json',
      'user-agent': 'token-console-webhooks/1',
      'x-token-console-event': d.eventType,
      'x-token-console-delivery': d.id,
      'x-token-console-timestamp': String(timestamp),
      'x-token-console-signature': sign(secret, timestamp, d.body),
    }, d.body, signal)
    if (status >= 200 && status < 300) return { ok: true, statusCode: status, error: null }
    // A redirect could lead anywhere (another host, an internal address): never followed.
    const error = status >= 300 && status < 400 ? `redirect (${status}) not followed` : `HTTP ${status}`
    return { ok: false, statusCode: status, error }
  } catch (err) {
    // The host only: some receivers put a capability in the URL's path.
    const where = { delivery: d.id, host: url?.host }
    if (err instanceof TargetRefused) {
      opts.log?.({ ...where, category: err.category, address: err.address }, 'webhook not sent: its URL leads to a refused address')
      return { ok: false, statusCode: null, error: REFUSED, refused: true }
    }
    opts.log?.({ ...where, ...detail(err) }, 'webhook receiver not reached')
    return { ok: false, statusCode: null, error: UNREACHABLE }
  }
}
