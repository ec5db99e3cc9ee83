// /metrics for Prometheus (admins, auditors, or the METRICS_TOKEN bearer) and a JSON summary for the
// console's dashboard, derived from the audit log and daily usage so it survives restarts.
import crypto from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { metricsSummarySchema } from '../../contract/metrics.js'
import { errorBodySchema } from '../../contract/errors.js'
import { ApiError, unauthenticated } from '../lib/errors.js'
import { DAY_MS } from '../lib/time.js'
import { tokenFromAuthorization } from '../lib/tokens.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { can, requirePermission, type Principal } from '../services/principal.js'
import { SESSION_COOKIE } from '../services/sessions.js'
import type { Services } from '../app.js'
import { consoleReader } from '../db/read-pool.js'
import { activeByType } from '../db/credentials-repo.js'

const CREATE = /^\/api\/web\/namespaces\/:namespace\/(api|service)_credentials$/
const REVOKE = /^\/api\/web\/namespaces\/(:namespace|system)\/(revoke|bulk_revoke)\/(api|service)_credentials$/
const failureReason: Record<number, string> = { 400: 'invalid', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'name_taken', 429: 'limit' }

export function metricsRoutes(app: FastifyInstance, s: Services) {
  const m = s.metrics
  const r = app.withTypeProvider<ZodTypeProvider>()

  // Callback-style hooks that leave at once for anything but a POST: every token check passes here.
  app.addHook('onResponse', (req, reply, done) => {
    const url = req.method === 'POST' ? req.routeOptions.url ?? '' : ''
    if (url && CREATE.test(url)) {
      const type = url.includes('service_') ? 'SERVICE_API_TOKEN' : 'API_TOKEN'
      if (reply.statusCode === 200) {
        m.issued.inc({ type })
        m.issueLatency.observe(reply.elapsedTime / 1000)
      } else m.issueFailures.inc({ reason: failureReason[reply.statusCode] ?? 'error' })
    }
    done()
  })
  app.addHook('onSend', (req, reply, payload, done) => {
    const match = req.method === 'POST' ? REVOKE.exec(req.routeOptions.url ?? '') : null
    if (match && reply.statusCode === 200 && typeof payload === 'string') {
      const type = match[3] === 'service' ? 'SERVICE_API_TOKEN' : 'API_TOKEN'
      const n = match[2] === 'bulk_revoke' ? ((JSON.parse(payload) as { credentials_marked_for_deletion?: string[] }).credentials_marked_for_deletion?.length ?? 0) : 1
      if (n) m.revocations.inc({ type }, n)
    }
    done(null, payload)
  })

  async function scraper(req: FastifyRequest): Promise<'metrics-token' | Principal> {
    const bearer = tokenFromAuthorization(req.headers.authorization)
    const expected = s.config.metricsToken
    if (bearer && expected && bearer.length === expected.length && crypto.timingSafeEqual(Buffer.from(bearer), Buffer.from(expected))) return 'metrics-token'
    if (bearer) {
      const res = await s.identity.checkToken(bearer, auditContext(req))
      if (!res.ok) throw unauthenticated()
      return res.principal
    }
    const sid = req.cookies[SESSION_COOKIE]
    const session = sid ? await s.identity.fromSession(sid) : undefined
    if (!session) throw unauthenticated()
    return session.principal
  }

  app.get('/metrics', { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
    const who = await scraper(req)
    if (who !== 'metrics-token' && !can(who, 'audit:read')) throw new ApiError('PERMISSION_DENIED', 'Metrics are for administrators, auditors and the METRICS_TOKEN bearer')
    reply.header('content-type', m.registry.contentType)
    return m.registry.metrics()
  })

  r.get('/api/metrics/summary', {
    schema: { tags: ['metrics'], summary: 'Issuance, revocation and check figures over the last hours and days', response: { 200: metricsSummarySchema, 401: errorBodySchema, 403: errorBodySchema } },
  }, async (req) => {
    requirePermission(requirePrincipal(req), 'audit:read')
    const now = Date.now()
    const hourMs = 3_600_000
    const db = consoleReader(s.db.db)
    const bucket = (start: number) => ({ start: new Date(start).toISOString(), issued: 0, revoked: 0, refused_checks: 0, failed_logins: 0 })
    const hourStart = Math.floor(now / hourMs) * hourMs
    const dayStart = Math.floor(now / DAY_MS) * DAY_MS
    const hourly = Array.from({ length: 24 }, (_, i) => bucket(hourStart - (23 - i) * hourMs))
    const daily = Array.from({ length: 14 }, (_, i) => bucket(dayStart - (13 - i) * DAY_MS))
    const key = (action: string) => action === 'credential.create' ? 'issued' : action.includes('revoke') ? 'revoked' : action === 'login_failed' ? 'failed_logins' : 'refused_checks'
    // Hourly roll-ups kept by a trigger on the audit log: at most 14 × 24 × 6 rows, whatever the log's size.
    const firstHour = Math.floor((dayStart - 13 * DAY_MS) / hourMs)
    const firstDay = new Date(dayStart - 13 * DAY_MS).toISOString().slice(0, 10)
    // Independent reads, side by side on the read pool; today's uses are flushed first.
    const [rolled, uses, active] = await Promise.all([
      db.selectFrom('audit_hourly').select(['hour', 'action', 'n']).where('hour', '>=', firstHour)
        .where('action', 'in', ['credential.create', 'credential.revoke', 'credential.bulk_revoke', 'credential.use_denied', 'credential.check_failed', 'login_failed'])
        .execute(),
      s.usage.flush().then(() => db.selectFrom('usage_day_totals').select(['day', 'n']).where('day', '>=', firstDay).execute()),
      activeByType(s.db.db, now),
    ])
    for (const e of rolled) {
      const k = key(e.action) as 'issued'
      const at = Number(e.hour) * hourMs
      const n = Number(e.n)
      const h = Math.floor((at - (hourStart - 23 * hourMs)) / hourMs)
      if (h >= 0 && h < 24) hourly[h][k] += n
      const d = Math.floor((at - (dayStart - 13 * DAY_MS)) / DAY_MS)
      if (d >= 0 && d < 14) daily[d][k] += n
    }
    const byDay = new Map(uses.map((u) => [u.day, Number(u.n)]))
    const validations_daily = daily.map((d) => ({ day: d.start.slice(0, 10), count: byDay.get(d.start.slice(0, 10)) ?? 0 }))
    const sum = (k: 'issued' | 'revoked' | 'refused_checks' | 'failed_logins') => hourly.reduce((acc, b) => acc + b[k], 0)
    const activeOf = (t: string) => active[t] ?? 0
    return {
      generated_at: new Date(now).toISOString(),
      active_tokens: { API_TOKEN: activeOf('API_TOKEN'), SERVICE_API_TOKEN: activeOf('SERVICE_API_TOKEN') },
      hourly, daily, validations_daily,
      totals_24h: { issued: sum('issued'), revoked: sum('revoked'), refused_checks: sum('refused_checks'), failed_logins: sum('failed_logins'), validations: (byDay.get(new Date(now).toISOString().slice(0, 10)) ?? 0) },
    }
  })
}
