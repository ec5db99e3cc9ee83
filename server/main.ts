// Starts the server: migrations, first admin, listen; Ctrl-C flushes usage and closes cleanly.
import { buildApp } from './app.js'
import { ensureFirstAdmin } from './bootstrap.js'
import { loadConfig } from './config.js'
import { listenTls, readTls } from './pki/tls.js'

const config = loadConfig()
const { app, services } = await buildApp(config)
await ensureFirstAdmin(services, (msg) => process.stdout.write(`${msg}\n`))
const tls = readTls(config.tls)
const tlsServer = tls ? await listenTls(app, tls, config.host, config.port) : undefined
if (!tlsServer) await app.listen({ host: config.host, port: config.port })
app.log.info(`Token Console on http${tls ? 's' : ''}://${config.host}:${config.port} (${services.db.dialect}: ${services.db.location})`)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return
    closing = true
    app.log.info(`${signal}: shutting down`)
    // With the server, the usage timer and the database closed, nothing holds the process: it ends.
    tlsServer?.close()
    tlsServer?.closeIdleConnections()
    app.close().then(
      () => { process.exitCode = 0 },
      (err) => {
        app.log.error({ err }, 'shutdown failed')
        process.exitCode = 1
      },
    )
  })
}
