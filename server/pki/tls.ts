// HTTPS for main.ts: TLS_CERT and TLS_KEY (files), asking every client for a certificate of the
// tenant CA without requiring one (sessions and tokens still work); the auth plugin decides.
import fs from 'node:fs'
import https from 'node:https'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'

export interface TlsFiles { cert: string; key: string }

export function readTls(tls: Config['tls']): TlsFiles | undefined {
  if (!tls) return undefined
  return { cert: fs.readFileSync(tls.certFile, 'utf8'), key: fs.readFileSync(tls.keyFile, 'utf8') }
}

/** Serves the app over TLS on host:port; closing the returned server (then the app) stops it. */
export async function listenTls(app: FastifyInstance, tls: TlsFiles, host: string, port: number): Promise<https.Server> {
  await app.ready()
  const server = https.createServer({
    cert: tls.cert, key: tls.key, ca: [app.pki.ca.certPem],
    requestCert: true, rejectUnauthorized: false,
  }, (req, res) => app.serve(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  return server
}
