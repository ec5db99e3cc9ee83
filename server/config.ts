// Runtime settings, read once from the environment: the only place the server reads it. Everything
// else receives its part of this Config.
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
  /** NODE_ENV=production: what /api/health reports as the environment. */
  production: boolean
  /** Console reads: their statement time limit (CONSOLE_QUERY_TIMEOUT_MS, default 2000). */
  consoleQueryTimeoutMs: number
  /** CONSOLE_READ_THREADS: SQLite read threads for console reads (default 2). */
  consoleReadThreads: number
  /**
   * How far console reads step back for token checks on a busy core: the nice value of the SQLite read
   * threads and PostgreSQL read sessions (CONSOLE_READ_NICE, 0–19, default 19: on a core saturated by
   * checks the read threads get a few percent of it, so the console slows down instead of the checks;
   * on an idle core they run at full speed). Measured with bench/mixed.ts at 100k tokens, eight console
   * readers: /api/verify kept 9% of its alone throughput at 0, 68% at 10, 87% at 19.
   */
  consoleReadNice: number
  /** The tenant CA, given as PEM text or files (CA_KEY_PEM / CA_KEY_FILE, CA_CERT_PEM / CA_CERT_FILE); unset: generated in DATA_DIR. */
  ca: { keyPem?: string; certPem?: string; keyFile?: string; certFile?: string }
  /** The cluster kubeconfigs point at (KUBE_API_SERVER, KUBE_CA_FILE, KUBE_CLUSTER_NAME); unset: kubeconfigs are off. */
  kube: { apiServer: string; caFile: string; clusterName: string } | undefined
  /** HTTPS for main.ts (TLS_CERT and TLS_KEY, PEM files); unset: plain HTTP. */
  tls: { certFile: string; keyFile: string } | undefined
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

function consoleReadNice(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 19
  const v = Number(raw)
  if (!/^\d+$/.test(raw) || v > 19) throw new Error(`CONSOLE_READ_NICE must be a whole number from 0 to 19, got "${raw}"`)
  return v
}

function kube(env: NodeJS.ProcessEnv, tenant: string): Config['kube'] {
  if (!env.KUBE_API_SERVER && !env.KUBE_CA_FILE) return undefined
  if (!env.KUBE_API_SERVER || !env.KUBE_CA_FILE) throw new Error('Set both KUBE_API_SERVER (the cluster\'s https URL) and KUBE_CA_FILE (its CA certificate, PEM), or neither')
  let url: URL
  try {
    url = new URL(env.KUBE_API_SERVER)
  } catch {
    throw new Error(`KUBE_API_SERVER must be an https:// URL, got "${env.KUBE_API_SERVER}"`)
  }
  if (url.protocol !== 'https:') throw new Error('KUBE_API_SERVER must be an https:// URL')
  return { apiServer: env.KUBE_API_SERVER, caFile: env.KUBE_CA_FILE, clusterName: env.KUBE_CLUSTER_NAME || tenant }
}

function tls(env: NodeJS.ProcessEnv): Config['tls'] {
  if (!env.TLS_CERT && !env.TLS_KEY) return undefined
  if (!env.TLS_CERT || !env.TLS_KEY) throw new Error('Set both TLS_CERT and TLS_KEY (PEM files), or neither')
  return { certFile: env.TLS_CERT, keyFile: env.TLS_KEY }
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`)
  return n
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const tenant = env.TENANT_NAME || 'default'
  return {
    host: env.HOST || '127.0.0.1',
    port: int(env.PORT, 8080, 'PORT'),
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    tokenSecret: env.TOKEN_HMAC_SECRET || undefined,
    adminEmail: env.ADMIN_EMAIL || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    tenant,
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
    production: env.NODE_ENV === 'production',
    consoleQueryTimeoutMs: int(env.CONSOLE_QUERY_TIMEOUT_MS, 2000, 'CONSOLE_QUERY_TIMEOUT_MS') || 2000,
    consoleReadThreads: int(env.CONSOLE_READ_THREADS, 2, 'CONSOLE_READ_THREADS') || 2,
    consoleReadNice: consoleReadNice(env.CONSOLE_READ_NICE),
    ca: { keyPem: env.CA_KEY_PEM || undefined, certPem: env.CA_CERT_PEM || undefined, keyFile: env.CA_KEY_FILE || undefined, certFile: env.CA_CERT_FILE || undefined },
    kube: kube(env, tenant),
    tls: tls(env),
  }
}
