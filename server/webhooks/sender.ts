// One HTTP attempt of a delivery: a signed JSON POST, never following a redirect, bounded in time.
import { sign } from './crypto.js'

export interface AttemptResult {
  ok: boolean
  statusCode: number | null
  error: string | null
}

export interface Delivery {
  id: string
  eventType: string
  url: string
  body: string
}

export const SEND_TIMEOUT_MS = 5000

/** Why a request failed, without echoing anything a receiver or URL could have put in it. */
function describe(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: unknown; name?: string } }
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return `no answer within ${SEND_TIMEOUT_MS / 1000} s`
  const code = e?.cause?.code
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return `connection failed (${code})`
  return 'request failed'
}

export async function send(d: Delivery, secret: string, timeoutMs = SEND_TIMEOUT_MS): Promise<AttemptResult> {
  const timestamp = Math.floor(Date.now() / 1000)
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'token-console-webhooks/1',
        'x-token-console-event': d.eventType,
        'x-token-console-delivery': d.id,
        'x-token-console-timestamp': String(timestamp),
        'x-token-console-signature': sign(secret, timestamp, d.body),
      },
      body: d.body,
      // A redirect could lead anywhere (another host, an internal address): never followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    // The answer's body is not read or kept: it is the receiver's, and could be large.
    await res.body?.cancel().catch(() => undefined)
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: null }
    const error = res.status >= 300 && res.status < 400 ? `redirect (${res.status}) not followed` : `HTTP ${res.status}`
    return { ok: false, statusCode: res.status, error }
  } catch (err) {
    return { ok: false, statusCode: null, error: describe(err) }
  }
}
