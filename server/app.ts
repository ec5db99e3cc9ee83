// Builds the Fastify app with its services; used by main.ts and by the tests.
import path from 'node:path'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import { migrate, openDb, type Db } from './db/connection.js'
import { loadTokenSecret } from './lib/secret.js'
import { registerErrorHandler } from './plugins/errors.js'
import authPlugin from './plugins/auth.js'
import { CheckPressure, ConsoleGate } from './lib/check-pressure.js'
import inputGuard from './plugins/input-guard.js'
import openapiPlugin, { completeDocument, openapiTransform } from './plugins/openapi.js'
import securityHeaders from './plugins/security-headers.js'
import staticConsole from './plugins/static.js'
import { AuditLog } from './services/audit.js'
import { CredentialService } from './services/credentials.js'
import { Identity } from './services/identity.js'
import { Sessions } from './services/sessions.js'
import { UsageRecorder } from './services/usage.js'
import { UserService } from './services/users.js'
import { authRoutes } from './routes/auth.js'
import { credentialRoutes } from './routes/credentials.js'
import { metaRoutes } from './routes/meta.js'
import { userRoutes } from './routes/users.js'
import { authorizationServerMetadataRoute, verifyRoutes } from './routes/verify.js'
import { installVerifyFastPath } from './routes/verify-fast-path.js'
import { usageRoutes } from './routes/usage.js'
import { auditRoutes } from './routes/audit.js'
import { inventoryRoutes } from './routes/inventory.js'
import { metricsRoutes } from './routes/metrics.js'
import { consoleRoutes } from './console/routes.js'
import { Metrics } from './services/metrics.js'
import { CheckCache, InvalidationListener, ValidityBus } from './services/check-cache.js'
import { FailedChecks } from './services/check-failures.js'
import { PolicyService, defaultSettings } from './policy/service.js'
import { policyRoutes } from './policy/routes.js'
import { IdleJob } from './policy/idle-job.js'
import { RemovalJob } from './lifecycle/removal-job.js'
import { LifecycleService } from './lifecycle/service.js'
import { lifecycleRoutes } from './lifecycle/routes.js'
import { BulkRevokes } from './bulk-revoke/service.js'
import { bulkRevokeRoutes } from './bulk-revoke/routes.js'
import { LeakService } from './leaks/service.js'
import { leakRoutes } from './leaks/routes.js'
import { RotationService } from './rotation/service.js'
import { rotationRoutes } from './rotation/routes.js'
import pkiPlugin from './pki/routes.js'
import { kubeRoutes } from './kube/routes.js'
import { scimRoutes } from './scim/routes.js'
import { NotificationService } from './notifications/service.js'
import { notificationRoutes } from './notifications/routes.js'
import { ExpiryNoticeJob } from './notifications/expiry-job.js'
import { WebhookOutbox } from './webhooks/outbox.js'
import { deriveKey } from './webhooks/crypto.js'
import { WebhookService } from './webhooks/service.js'
import { webhookRoutes } from './webhooks/routes.js'
import { AuditRetentionJob } from './audit-retention/job.js'
import oidcRoutes from './oidc/routes.js'
import { MemoryRateCounter, SharedRateCounter } from './limits/rate-counter.js'
import { limitRoutes } from './limits/routes.js'
import { LimitService } from './limits/service.js'
import { OidcService, oidcSecretKey } from './oidc/service.js'
import { PermissionCatalogService } from './permissions/service.js'
import { permissionRoutes } from './permissions/routes.js'

export interface Services {
  config: Config
  db: Db
  audit: AuditLog
  sessions: Sessions
  identity: Identity
  usage: UsageRecorder
  credentials: CredentialService
  users: UserService
  secret: Buffer
  metrics: Metrics
  checkCache: CheckCache
  failedChecks: FailedChecks
  invalidationListener: InvalidationListener | undefined
  policy: PolicyService
  rotation: RotationService
  idleJob: IdleJob
  /** Removes credentials unused for two years, leaving tombstones (server/lifecycle). */
  removalJob: RemovalJob
  notifications: NotificationService
  noticeJob: ExpiryNoticeJob
  /** Outgoing webhooks: enqueue(trx, event) inside the transaction of the change it reports. */
  webhooks: WebhookOutbox
  /** Bulk revoke of every expired credential, in batches with progress (server/bulk-revoke). */
  bulkRevokes: BulkRevokes
  /** Whether token checks are arriving, and how long console work on the event loop steps back for them. */
  pressure: CheckPressure
  /** Archives and prunes audit rows past AUDIT_RETENTION_DAYS once a day; undefined when unset. */
  auditRetention: AuditRetentionJob | undefined
}

const CHECK_ROUTES = new Set(['/api/verify', '/api/oauth2/introspect', '/api/web/custom/namespaces/:namespace/whoami'])
/** Routes whose successful calls are token checks a gateway makes per request: not access-logged by default. */
const isCheckRoute = (url: string | undefined) => url !== undefined && CHECK_ROUTES.has(url)

/** Logs the path only: a query string could carry a secret someone pasted where it does not belong. */
const reqSerializer = (req: { method: string; url: string; ip?: string }) => ({
  method: req.method,
  url: req.url.split('?')[0],
  ip: req.ip,
})

export async function buildApp(config: Config, opts: { logger?: FastifyServerOptions['logger']; db?: Db } = {}) {
  const db = opts.db ?? openDb({
    dataDir: config.dataDir, databaseUrl: config.databaseUrl,
    reads: { timeoutMs: config.consoleQueryTimeoutMs, threads: config.consoleReadThreads, nice: config.consoleReadNice },
  })
  await migrate(db)
  const secret = loadTokenSecret({ tokenSecret: config.tokenSecret, dataDir: config.dataDir })

  const app: FastifyInstance = Fastify({
    // Whatever logger a caller passes, requests are logged through the redacting serializer.
    logger: opts.logger === false ? false : {
      level: config.logLevel,
      ...(typeof opts.logger === 'object' ? opts.logger : {}),
      serializers: { req: reqSerializer },
    },
    trustProxy: config.trustProxy,
    // Two JSON lines per request cost a token check ~17% of its throughput; access logs come from
    // the onResponse hook below instead, which skips successful token checks unless ACCESS_LOG=all.
    logController: new LogController({ disableRequestLogging: true }),
    // The gateway checks log nothing when they succeed: they share the server's logger instead of
    // building a child per request (their errors still go through the error handler's log).
    childLoggerFactory: (logger, bindings, opts, raw) =>
      raw.url === '/api/verify' || raw.url === '/api/oauth2/introspect' ? logger : logger.child(bindings, opts),
    bodyLimit: 64 * 1024,
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  const audit = new AuditLog(db.db, db.dialect)
  const sessions = new Sessions(db.db, secret, config.sessionIdleMinutes * 60_000, config.sessionAbsoluteHours * 3_600_000)
  const usage = new UsageRecorder(db.db, config.usageFlushMs, (err) => app.log.error({ err }, 'usage flush failed'), db.dialect)
  const checkCache = new CheckCache({ max: config.checkCacheSize, ttlMs: config.checkCacheTtlMs })
  const validity = new ValidityBus(checkCache, db.dialect)
  const listener = db.dialect === 'postgres' && config.databaseUrl && checkCache.enabled
    ? new InvalidationListener(config.databaseUrl, checkCache, (msg) => app.log.warn(msg))
    : undefined
  await listener?.start()
  const failedChecks = new FailedChecks(audit, {
    limit: config.checkFailureLimit, windowMs: config.checkFailureWindowMs, intervalMs: config.checkFailureAuditIntervalMs,
  }, (err) => app.log.error({ err }, 'writing failed checks to the audit log failed'))
  failedChecks.start()
  const pressure = new CheckPressure()
  // One instance on SQLite counts quotas in memory; instances sharing PostgreSQL count in it.
  const rates = db.dialect === 'postgres' ? new SharedRateCounter(db.db) : new MemoryRateCounter()
  const identity = new Identity(db.db, secret, sessions, audit, usage, checkCache, failedChecks, pressure, rates)
  const metrics = new Metrics(db.db)
  identity.observeCheck = metrics.observeCheck
  // The environment's limits are the policy's first values; after that the stored policy rules.
  const policy = new PolicyService(db.db, audit, validity, defaultSettings(config))
  await policy.init()
  const credentials = new CredentialService(db.db, db.dialect, secret, audit, { tenant: config.tenant, current: () => policy.current() }, validity)
  const rotation = new RotationService(db.db, db.dialect, audit, validity, credentials, usage, (err) => app.log.error({ err }, 'rotation cut-over failed'))
  const notifications = new NotificationService(db.read, audit)
  const services: Services = {
    config, db, audit, sessions, identity, usage, secret, metrics, checkCache, failedChecks, invalidationListener: listener,
    pressure, credentials, users: new UserService(db.db, audit, validity, db.dialect), policy, rotation,
    auditRetention: config.auditRetentionDays === undefined ? undefined
      : new AuditRetentionJob(db.db, db.dialect, audit, { olderThanDays: config.auditRetentionDays, outDir: config.auditArchiveDir }, (err) => app.log.error({ err }, 'audit retention pass failed')),
    notifications,
    noticeJob: new ExpiryNoticeJob(db.db, db.dialect, audit, usage, notifications, (err) => app.log.error({ err }, 'expiry notice job failed')),
    idleJob: new IdleJob(db.db, db.dialect, audit, validity, policy, usage, (err) => app.log.error({ err }, 'idle job failed')),
    removalJob: new RemovalJob(db.db, db.dialect, audit, validity, usage, (err) => app.log.error({ err }, 'removal job failed')),
    webhooks: new WebhookOutbox(db.db, deriveKey(secret), (err) => app.log.error({ err }, 'webhook delivery pass failed'), {
      allowPrivateTargets: config.webhookAllowPrivateTargets, log: (detail, msg) => app.log.warn(detail, msg),
    }),
    bulkRevokes: new BulkRevokes(db.db, { audit, validity }, pressure, (err) => app.log.error({ err }, 'bulk revoke batch failed'), policy),
  }
  // Notices: the owner hears of others' actions on their token through the audit hook; expiry
  // notices also go to the webhook outbox.
  notifications.onNotice = (trx, events) => services.webhooks.enqueue(trx, events)
  audit.onAppend = notifications.fromAudit
  usage.start()
  rotation.start(config.cutoverIntervalMs)
  services.idleJob.start(config.idleJobIntervalMs)
  services.removalJob.start(config.removalJobIntervalMs)
  services.noticeJob.start(config.noticeJobIntervalMs)
  services.webhooks.start(config.webhookIntervalMs)
  services.auditRetention?.start(86_400_000)

  registerErrorHandler(app)
  await app.register(securityHeaders)
  await app.register(inputGuard)
  await app.register(cookie)
  await app.register(formbody)
  await app.register(openapiPlugin)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Token Console API', version: '1.0.0', description: 'F5 XC-compatible credential API, console sessions and users.' },
      components: {
        securitySchemes: {
          APIToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'APIToken <token> or Bearer <token>' },
          session: { type: 'apiKey', in: 'cookie', name: 'tc_session' },
        },
      },
      security: [{ APIToken: [] }, { session: [] }],
    },
    transform: openapiTransform,
    transformObject: completeDocument,
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true })
  await app.register(authPlugin, { identity, sessions, trustedOrigins: config.trustedOrigins, consoleGate: new ConsoleGate(pressure, config.consoleRateUnderLoad) })

  app.get('/api/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger())
  authRoutes(app, services)
  credentialRoutes(app, services)
  userRoutes(app, services)
  metaRoutes(app, services)
  verifyRoutes(app, services)
  authorizationServerMetadataRoute(app)
  usageRoutes(app, services)
  auditRoutes(app, services)
  inventoryRoutes(app, services)
  metricsRoutes(app, services)
  consoleRoutes(app, services)
  await app.register(policyRoutes, { policy })
  await app.register(lifecycleRoutes, { lifecycle: new LifecycleService(db.read) })
  await app.register(rotationRoutes, { credentials, rotation })
  await app.register(leakRoutes, { leaks: new LeakService(db.db, secret, config.leakReportSecret, audit, validity) })
  await app.register(pkiPlugin, { services })
  await app.register(kubeRoutes, { services })
  await app.register(scimRoutes, { services, validity })
  await app.register(webhookRoutes, { webhooks: new WebhookService(db.db, audit, services.webhooks, deriveKey(secret)) })
  await app.register(notificationRoutes, { notifications })
  await app.register(permissionRoutes, { catalog: new PermissionCatalogService(db.db, db.read, audit, validity) })
  await app.register(bulkRevokeRoutes, { bulkRevokes: services.bulkRevokes })
  await app.register(limitRoutes, { limits: new LimitService(db.db, audit, validity, credentials, identity) })
  await app.register(oidcRoutes, {
    oidc: new OidcService(db.db, audit, sessions, validity, oidcSecretKey(secret),
      { issuer: config.oidcIssuer, clientId: config.oidcClientId, clientSecret: config.oidcClientSecret }, (detail, msg) => app.log.warn(detail, msg)),
    sessionMaxAgeSeconds: Math.floor(config.sessionAbsoluteHours * 3600),
  })

  await app.register(staticConsole, { staticDir: config.staticDir ?? path.resolve('dist') })

  if (config.accessLog !== 'off') {
    app.addHook('onResponse', (req, reply, done) => {
      if (config.accessLog === 'console' && reply.statusCode < 300 && req.principal?.via !== 'session' && isCheckRoute(req.routeOptions.url)) return done()
      req.log.info({ req, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request')
      done()
    })
  }

  app.addHook('onClose', async () => {
    await services.bulkRevokes.stop()
    await listener?.stop()
    checkCache.close()
    await rotation.stop()
    await services.idleJob.stop()
    await services.removalJob.stop()
    await services.noticeJob.stop()
    await services.webhooks.stop()
    await services.auditRetention?.stop()
    await failedChecks.stop()
    await usage.stop()
    await db.close()
  })
  // Last, so Fastify's request listener is in place to be put behind it.
  installVerifyFastPath(app, identity, config)
  return { app, services }
}
