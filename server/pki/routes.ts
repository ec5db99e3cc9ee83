// The pki domain as one Fastify plugin: the tenant CA, GET /api/pki/ca.pem and /api/pki/crl.pem, and
// client-certificate sign-in (TLS to this server, or a verified certificate a trusted proxy forwards).
import type { TLSSocket } from 'node:tls'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import type { Services } from '../app.js'
import { ApiError } from '../lib/errors.js'
import { auditContext, refusedToken } from '../plugins/auth.js'
import { namedProxyPeer } from '../config.js'
import { caExists, caSettings, fingerprintOf, loadCa } from './ca.js'
import { API_CERTIFICATE_TYPES, PkiService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    pki: PkiService
  }
}

/** nginx: `proxy_set_header X-Client-Cert $ssl_client_escaped_cert; proxy_set_header X-Client-Verify $ssl_client_verify;` */
export const FORWARDED_CERT_HEADER = 'x-client-cert'
export const FORWARDED_VERIFY_HEADER = 'x-client-verify'

const refused = () => new ApiError('UNAUTHENTICATED', 'The client certificate is unknown, expired or revoked')

export default fp(async function pkiPlugin(app: FastifyInstance, opts: { services: Services }) {
  const s = opts.services
  const settings = caSettings(s.config)
  // A CA that is given or already on disk is loaded (and checked) now, so a bad one stops the start;
  // a new one is generated on first use, so starting on an empty DATA_DIR stays fast.
  const ca = caExists(settings) ? loadCa(settings) : undefined
  const fromNamedProxy = namedProxyPeer(s.config.trustProxy)
  const pki = new PkiService(s.db.db, () => ca ?? loadCa(settings), s.secret, s.config.tenant)
  s.credentials.certificates = pki
  app.decorate('pki', pki)

  // Called by the auth plugin for requests without an Authorization header.
  app.decorate('clientCertificatePrincipal', async (req: FastifyRequest) => {
    let der: Buffer | undefined
    const socket = req.raw.socket as Partial<TLSSocket>
    if (socket.encrypted) {
      // The handshake verified the chain against this CA (requestCert, ca: [our CA]) when authorized.
      if (socket.authorized) der = socket.getPeerCertificate?.()?.raw
    } else if (fromNamedProxy(req.raw.socket.remoteAddress) && req.headers[FORWARDED_VERIFY_HEADER] === 'SUCCESS') {
      // Only a proxy named in TRUST_PROXY, seen as this socket's peer, may vouch for a certificate:
      // the certificate itself is public, and its private key was proven to the proxy, not to us.
      const forwarded = req.headers[FORWARDED_CERT_HEADER]
      if (typeof forwarded === 'string' && forwarded) {
        let pem: string | undefined
        try {
          pem = decodeURIComponent(forwarded)
        } catch { /* not URL-escaped PEM: refused below */ }
        der = pem ? pki.verifyForwarded(pem) : undefined
        if (!der) throw refused()
      }
    }
    if (!der) return null
    // The token check's path: cached, counted per source when refused (429 past the limit), use recorded.
    const r = await s.identity.checkCertificate(pki.hashOf(fingerprintOf(der)), auditContext(req), API_CERTIFICATE_TYPES)
    if (!r.ok) throw r.retryAfter !== undefined || r.reason === 'not_yet_valid' || r.reason === 'address_not_allowed' ? refusedToken(r.retryAfter, r, req.ip) : refused()
    return r.principal
  })

  // PEM text, not JSON: a string with its own content type goes out as it is.
  const pem = { 200: z.string().describe('PEM text') }
  app.get('/api/pki/ca.pem', {
    config: { auth: 'none' },
    schema: { tags: ['pki'], summary: 'The tenant CA certificate (PEM), for ssl_client_certificate or a Kubernetes API server', response: pem },
  }, async (_req, reply) => reply.type('application/x-pem-file').send(pki.ca.certPem))

  app.get('/api/pki/crl.pem', {
    config: { auth: 'none' },
    schema: { tags: ['pki'], summary: 'The CRL of revoked certificates (PEM), re-signed on every change', response: pem },
  }, async (_req, reply) => reply.type('application/x-pem-file').send(await pki.crlPem()))
}, { name: 'pki' })
