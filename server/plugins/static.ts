// The built console: hashed assets precompressed (.br/.gz chosen by Accept-Encoding) and cached for a
// year, other files as they are, and index.html (with its per-page CSP nonce) for the console's own
// routes. Everything else is the one 404 answer, the API's error body: a discovery probe
// (/.well-known/openid-configuration), a scanner's /x.php or a mistyped API path must not get the
// page with 200, which tells a client the resource exists. Wrapped with fastify-plugin so the
// not-found handler applies to the whole app.
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import { errorCodes } from '../../contract/errors.js'
import { sendConsolePage } from './security-headers.js'

/**
 * The first path segment of every page of the console's router (src/app/router.tsx), '' being '/'.
 * A reload or a link lands on one of these; tests/api/edges.test.ts keeps the two lists in step.
 */
export const CONSOLE_ROUTES: readonly string[] = [
  '', 'sign-in', 'tokens', 'credentials', 'service-credentials', 'rotation', 'policy', 'users', 'webhooks',
  'inventory', 'notifications', 'audit', 'dashboard', 'identity', 'permissions',
]
const consoleRoutes = new Set(CONSOLE_ROUTES)

/** A console page's path: its first segment is one of the router's. */
export function isConsolePath(pathname: string): boolean {
  return consoleRoutes.has(pathname.split('/')[1] ?? '')
}

export default fp(async function staticConsole(app: FastifyInstance, opts: { staticDir: string }) {
  const root = opts.staticDir
  const hasConsole = fs.existsSync(path.join(root, 'index.html'))
  if (hasConsole) {
    // serve: false: no route per file; assets go through the route below so they get the immutable header.
    await app.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false, preCompressed: true })
    app.get('/assets/*', { config: { auth: 'none' }, schema: { hide: true } }, (req, reply) => {
      // File names carry a content hash: a changed file is a new URL, so browsers may keep these for a year.
      reply.header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding')
      return reply.sendFile((req.params as { '*': string })['*'], path.join(root, 'assets'))
    })
  }
  let consolePage: string | undefined
  app.setNotFoundHandler((req, reply) => {
    const pathname = req.url.split('?')[0]
    if ((req.method === 'GET' || req.method === 'HEAD') && hasConsole && !pathname.startsWith('/api/')) {
      const file = pathname.slice(1)
      // A missing hashed asset is an old or wrong URL: a plain 404, never the page, never cached.
      if (file.startsWith('assets/')) return reply.removeHeader('cache-control').removeHeader('vary').code(404).type('text/plain; charset=utf-8').send('Not found')
      if (file && !file.includes('..') && file !== 'index.html') {
        const full = path.join(root, file)
        if (fs.existsSync(full) && fs.statSync(full).isFile()) return reply.header('cache-control', 'public, max-age=3600').sendFile(file)
      }
      if (isConsolePath(pathname)) {
        consolePage ??= fs.readFileSync(path.join(root, 'index.html'), 'utf8')
        return sendConsolePage(reply, consolePage)
      }
    }
    return reply.status(404).send({ code: errorCodes.NOT_FOUND, message: `No route ${req.method} ${pathname}`, details: [] })
  })
})
