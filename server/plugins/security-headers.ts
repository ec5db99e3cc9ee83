// Security headers computed once at start by helmet (not rebuilt per request: on the token-check
// path that cost ~6% of a request) and set on every response. The console page gets a per-request
// style nonce instead of 'unsafe-inline': Radix's scroll lock writes a <style> carrying the nonce
// (react-style-singleton reads __webpack_nonce__, which src/main.tsx sets from the page's meta tag),
// and sonner's one constant stylesheet is allowed by its SHA-256, taken from the installed package.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'

const NONCE = '__CSP_NONCE__'

function helmetHeaders(styleSrc: string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (k: string, v: unknown) => { headers[k.toLowerCase()] = String(v) },
    removeHeader: (k: string) => { delete headers[k.toLowerCase()] },
  }
  helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc,
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    // Plain-HTTP loopback deployments must keep working; HSTS belongs to the TLS terminator.
    strictTransportSecurity: false,
  })({} as IncomingMessage, res as unknown as ServerResponse, () => {})
  return headers
}

/** Hashes of the constant stylesheets a bundled library injects (sonner's toasts). */
function injectedStyleHashes(): string[] {
  try {
    const file = createRequire(import.meta.url).resolve('sonner')
    const src = fs.readFileSync(file, 'utf8')
    const m = /__insertCSS\(("(?:[^"\\]|\\.)*")\)/.exec(src)
    if (!m) return []
    const css = JSON.parse(m[1]) as string
    // sonner appends its <style> empty and fills it after, so the empty sheet is checked too.
    return [css, ''].map((text) => `'sha256-${crypto.createHash('sha256').update(text).digest('base64')}'`)
  } catch {
    return [] // without the package the toasts lose their styles; nothing else changes
  }
}

/** Every page, file and document a browser renders: helmet's full set. */
export const documentHeaders = helmetHeaders(["'self'"])
const pageHeaders = helmetHeaders(["'self'", `'nonce-${NONCE}'`, ...injectedStyleHashes()])
const pageCsp = pageHeaders['content-security-policy']

/**
 * API answers (JSON, CSV, 204s) are never rendered as pages: the OWASP REST set is enough, and
 * writing helmet's 900 bytes of headers on every token check was its largest single cost.
 */
export const apiHeaders: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  // Nothing the API answers may be cached: create and rotate responses carry secrets.
  'cache-control': 'no-store',
}

const isApi = (url: string) => url.startsWith('/api/') && !url.startsWith('/api/docs')

/** Sends the console's index.html with a fresh style nonce in its CSP and in a meta tag. */
export function sendConsolePage(reply: FastifyReply, html: string) {
  const nonce = crypto.randomBytes(16).toString('base64')
  return reply
    .header('content-security-policy', pageCsp.replaceAll(NONCE, nonce))
    .header('cache-control', 'no-cache')
    .type('text/html; charset=utf-8')
    .send(html.replace('<head>', `<head><meta name="csp-nonce" content="${nonce}">`))
}

export default fp(async function securityHeaders(app: FastifyInstance) {
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(isApi(req.url) ? apiHeaders : documentHeaders)
    done()
  })
})
