// GET /api/verify, the gateway check, answered before Fastify's request lifecycle on a listening
// server. A warm check cost about 45 µs of server CPU through Fastify against 15 µs for a bare
// node:http answer, and the check itself (format, HMAC, cache, usage, metrics) about 10 µs of it: the
// rest was routing, the hook chain and the reply path, none of which this endpoint needs. The answer
// is the route's own (verifyAnswer, one function for both), with the API's security headers, the
// client address as Fastify computes it (TRUST_PROXY), the same access log lines and error answers.
// Anything else (other paths, HEAD, a closing server) goes to Fastify, where /api/verify is also
// routed and documented.
import type { IncomingMessage, ServerResponse } from 'node:http'
import proxyAddr from '@fastify/proxy-addr'
import type { FastifyInstance } from 'fastify'
import { errorCodes } from '../../contract/errors.js'
import type { Config } from '../config.js'
import { ApiError } from '../lib/errors.js'
import { apiHeaders } from '../plugins/security-headers.js'
import { isTransient } from '../services/audit.js'
import type { Identity } from '../services/identity.js'
import { verifyAnswer } from './verify.js'

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

declare module 'fastify' {
  interface FastifyInstance {
    /** The fast path, then Fastify: the listener for any other server of this app (TLS). */
    serve: RequestListener
  }
}

/** Fastify's reading of `trustProxy` (lib/request.js): the client address a route would see as req.ip. */
function clientAddress(trust: Config['trustProxy']): (req: IncomingMessage) => string | null {
  if (!trust) return (req) => req.socket.remoteAddress ?? null
  const fn = typeof trust === 'function' ? trust
      : proxyAddr.compile(trust.split(',').map((v) => v.trim()))
  return (req) => {
    const all = proxyAddr.all(req, fn)
    return all[all.length - 1] ?? null
  }
}

interface Answer { status: number; headers: Record<string, string>; body?: unknown }

/** As the error handler answers a failure (server/plugins/errors.ts). */
function errorAnswer(err: unknown): Answer {
  if (err instanceof ApiError) return { status: err.status, headers: err.headers, body: err.toBody() }
  if (isTransient(err)) return { status: 503, headers: { 'retry-after': '1' }, body: { code: errorCodes.UNAVAILABLE, message: 'The database is busy; try again shortly', details: [] } }
  return { status: 500, headers: {}, body: { code: errorCodes.INTERNAL, message: 'Internal error', details: [] } }
}

/** Puts the fast path in front of Fastify on `app.server`, and as `app.serve` for other servers of the app. */
export function installVerifyFastPath(app: FastifyInstance, identity: Identity, config: Pick<Config, 'trustProxy' | 'accessLog'>) {
  const address = clientAddress(config.trustProxy)
  let closing = false
  app.addHook('preClose', (done) => { closing = true; done() })

  const answer = (req: IncomingMessage, res: ServerResponse, ip: string | null, started: number, a: Answer) => {
    const body = a.body ? JSON.stringify(a.body) : undefined
    res.writeHead(a.status, body === undefined
      ? { ...apiHeaders, ...a.headers }
      : { ...apiHeaders, ...a.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
    // As the access-log hook: successful checks only with ACCESS_LOG=all; the path, never a query.
    if (config.accessLog === 'all' || (config.accessLog === 'console' && a.status >= 300)) {
      app.log.info({ req: { method: req.method, url: '/api/verify', ip }, status: a.status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'request')
    }
  }

  const fast = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (closing || req.method !== 'GET') return false
    const url = req.url
    if (url !== '/api/verify' && !url?.startsWith('/api/verify?')) return false
    const started = performance.now()
    const ip = address(req)
    const ua = req.headers['user-agent']
    verifyAnswer(identity, req.headers.authorization, { ip, userAgent: typeof ua === 'string' ? ua : null }, req.headers['x-required-scope']).then(
      (a) => answer(req, res, ip, started, a),
      (err: unknown) => {
        const a = errorAnswer(err)
        if (a.status === 500) app.log.error({ err }, 'request failed')
        answer(req, res, ip, started, a)
      },
    ).catch((err: unknown) => {
      app.log.error({ err }, 'token check answer failed')
      res.destroy()
    })
    return true
  }

  const [routing] = app.server.listeners('request') as RequestListener[]
  const combined: RequestListener = (req, res) => { if (!fast(req, res)) routing(req, res) }
  app.server.removeListener('request', routing)
  app.server.on('request', combined)
  app.decorate('serve', (req: IncomingMessage, res: ServerResponse) => { if (!fast(req, res)) app.routing(req, res) })
}
