// Runtime settings, read once from the environment.
import path from 'node:path'
import proxyAddr from '@fastify/proxy-addr'

export interface Config {
  host: string
  port: number
  dataDir: string
  databaseUrl: string | undefined
  /** HMAC key for token hashes; when unset it is read from (or created in) DATA_DIR/token-secret.key. */
  tokenSecret: string | undefined
  adminEmail: string | undefined
  adminPassword: string | undefined
  tenant: string
  maxActiveTokensPerUser: number
  defaultExpirationDays: number
  maxExpirationDays: number
  sessionIdleMinutes: number
  sessionAbsoluteHours: number
  /** Origins allowed on cookie-authenticated mutations besides the request's own. */
  trustedOrigins: string[]
  usageFlushMs: number
  logLevel: string
  staticDir: string | undefined
  /** A bearer token Prometheus may scrape /metrics with. */
  metricsToken: string | undefined
  /** Token-check cache: most entries, and how long one lives (0 turns the cache off). */
  checkCacheSize: number
  checkCacheTtlMs: number
  /** Failed checks one source may make per window before its failures get 429 (0: no limit). */
  checkFailureLimit: number
  checkFailureWindowMs: number
  /** How often failed checks are written to the audit log, one row per source, credential and reason. */
  checkFailureAuditIntervalMs: number
  /** Console requests that may start per second while token checks arrive (0, the default: no limit; see ConsoleGate). */
  consoleRateUnderLoad: number
  /** Request logs: 'console' (all but successful token checks), 'all', or 'off'. */
  accessLog: 'console' | 'all' | 'off'
  /** How often the rotation cut-over job runs (ms); 0 turns it off. */
  cutoverIntervalMs: number
  /** How often the idle-token job runs (ms); 0 turns it off. */
  idleJobIntervalMs: number
  /** How often the removal job (tokens unused for two years) runs (ms); 0 turns it off. */
  removalJobIntervalMs: number
  /** How often the expiry-notice job runs (ms); 0 turns it off. */
  noticeJobIntervalMs: number
  /** Shared secret a secret scanner signs leak reports with; unset: leak reporting is off. */
  leakReportSecret: string | undefined
  /** Audit rows older than this many days are archived and pruned once a day; undefined: kept forever. */
  auditRetentionDays: number | undefined
  /** Where the retention job writes its archives (default DATA_DIR/audit-archive). */
  auditArchiveDir: string
  /** How often the webhook worker sends due deliveries (ms); 0 turns it off (tests call run()). */
  webhookIntervalMs: number
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: webhooks may go to loopback, private, unique-local and CGNAT addresses (off: public only). */
  webhookAllowPrivateTargets: boolean
  /** OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: single sign-on's first values, until an administrator saves others (server/oidc). */
  oidcIssuer: string | undefined
  oidcClientId: string | undefined
  oidcClientSecret: string | undefined
  /**
   * Fastify's trustProxy: a comma list of proxy addresses/CIDRs, or a hop count (a function); false
   * when unset. Never `true`: that would take every client's X-Forwarded-For at its word.
   */
  trustProxy: false | string | ((address: string, hop: number) => boolean)
}

function accessLog(value: string | undefined): Config['accessLog'] {
  if (!value) return 'console'
  if (value === 'console' || value === 'all' || value === 'off') return value
  throw new Error(`ACCESS_LOG must be console, all or off, got "${value}"`)
}

function trustProxy(value: string | undefined): Config['trustProxy'] {
  if (!value || value === 'false' || value === '0') return false
  if (value === 'true') {
    // Trusting every hop makes the client's own X-Forwarded-For its address: anyone could pick a new
    // one per request and step around the sign-in brake and the per-source limits on failed checks.
    throw new Error('TRUST_PROXY=true is refused: it would take any client\'s X-Forwarded-For as its address. '
      + 'Set the addresses or CIDRs of your proxies (TRUST_PROXY=10.0.0.5,10.1.0.0/16, or loopback), or how many proxies stand in front (TRUST_PROXY=1)')
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    return (_address, hop) => hop < hops
  }
  try {
    proxyAddr.compile(proxyList(value))
  } catch (err) {
    throw new Error(`TRUST_PROXY must be a hop count or a comma list of proxy addresses or CIDRs (or loopback, linklocal, uniquelocal), got "${value}": ${(err as Error).message}`)
  }
  return value
}

const proxyList = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean)

/**
 * Whether a socket's peer is one of the proxies named in TRUST_PROXY. Headers that carry
 * authentication (a client certificate the proxy verified) are believed only from these addresses:
 * a hop count says how many proxies stand in front, not which ones, so under it (or with no
 * TRUST_PROXY) nothing forwarded authenticates anyone.
 */
export function namedProxyPeer(trust: Config['trustProxy']): (peer: string | undefined) => boolean {
  if (typeof trust !== 'string') return () => false
  const named = proxyAddr.compile(proxyList(trust))
  return (peer) => peer !== undefined && named(peer, 0)
}

function auditRetentionDays(value: string | undefined): number | undefined {
  if (!value) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`AUDIT_RETENTION_DAYS must be a whole number of days, at least 1, got "${value}"`)
  return n
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`)
  return n
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST || '127.0.0.1',
    port: int(env.PORT, 8080, 'PORT'),
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    tokenSecret: env.TOKEN_HMAC_SECRET || undefined,
    adminEmail: env.ADMIN_EMAIL || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    tenant: env.TENANT_NAME || 'default',
    maxActiveTokensPerUser: int(env.MAX_ACTIVE_TOKENS_PER_USER, 100, 'MAX_ACTIVE_TOKENS_PER_USER'),
    defaultExpirationDays: int(env.DEFAULT_EXPIRATION_DAYS, 90, 'DEFAULT_EXPIRATION_DAYS'),
    maxExpirationDays: int(env.MAX_EXPIRATION_DAYS, 365, 'MAX_EXPIRATION_DAYS'),
    sessionIdleMinutes: int(env.SESSION_IDLE_MINUTES, 60, 'SESSION_IDLE_MINUTES'),
    sessionAbsoluteHours: int(env.SESSION_ABSOLUTE_HOURS, 12, 'SESSION_ABSOLUTE_HOURS'),
    trustedOrigins: (env.TRUSTED_ORIGINS || '').split(',').map((s) => s.trim()).filter(Boolean),
    usageFlushMs: int(env.USAGE_FLUSH_MS, 5000, 'USAGE_FLUSH_MS'),
    logLevel: env.LOG_LEVEL || 'info',
    staticDir: env.STATIC_DIR || undefined,
    metricsToken: env.METRICS_TOKEN || undefined,
    trustProxy: trustProxy(env.TRUST_PROXY),
    checkCacheSize: int(env.CHECK_CACHE_SIZE, 10_000, 'CHECK_CACHE_SIZE'),
    checkCacheTtlMs: int(env.CHECK_CACHE_TTL_MS, 60_000, 'CHECK_CACHE_TTL_MS'),
    checkFailureLimit: int(env.CHECK_FAILURE_LIMIT, 100, 'CHECK_FAILURE_LIMIT'),
    checkFailureWindowMs: int(env.CHECK_FAILURE_WINDOW_MS, 60_000, 'CHECK_FAILURE_WINDOW_MS'),
    checkFailureAuditIntervalMs: int(env.CHECK_FAILURE_AUDIT_INTERVAL_MS, 60_000, 'CHECK_FAILURE_AUDIT_INTERVAL_MS'),
    consoleRateUnderLoad: int(env.CONSOLE_RATE_UNDER_LOAD, 0, 'CONSOLE_RATE_UNDER_LOAD'),
    accessLog: accessLog(env.ACCESS_LOG),
    cutoverIntervalMs: int(env.CUTOVER_INTERVAL_MS, 10_000, 'CUTOVER_INTERVAL_MS'),
    idleJobIntervalMs: int(env.IDLE_JOB_INTERVAL_MS, 300_000, 'IDLE_JOB_INTERVAL_MS'),
    removalJobIntervalMs: int(env.REMOVAL_JOB_INTERVAL_MS, 6 * 3_600_000, 'REMOVAL_JOB_INTERVAL_MS'),
    noticeJobIntervalMs: int(env.NOTICE_JOB_INTERVAL_MS, 3_600_000, 'NOTICE_JOB_INTERVAL_MS'),
    leakReportSecret: env.LEAK_REPORT_SECRET || undefined,
    auditRetentionDays: auditRetentionDays(env.AUDIT_RETENTION_DAYS),
    auditArchiveDir: path.resolve(env.AUDIT_ARCHIVE_DIR || path.join(env.DATA_DIR || './data', 'audit-archive')),
    webhookIntervalMs: int(env.WEBHOOK_INTERVAL_MS, 5000, 'WEBHOOK_INTERVAL_MS'),
    webhookAllowPrivateTargets: /^(1|true|yes|on)$/i.test(env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? ''),
    oidcIssuer: env.OIDC_ISSUER || undefined,
    oidcClientId: env.OIDC_CLIENT_ID || undefined,
    oidcClientSecret: env.OIDC_CLIENT_SECRET || undefined,
  }
}
