// Seed 003's measures in Prometheus form: issuance, validation by outcome with latency, revocations,
// and active tokens by type (read from the database at scrape time).
import type { Kysely } from 'kysely'
import client from 'prom-client'
import type { Database } from '../db/schema.js'
import type { CheckOutcome } from './identity.js'
import { activeByType } from '../db/credentials-repo.js'

export class Metrics {
  readonly registry = new client.Registry()
  readonly issued = new client.Counter({ name: 'tc_tokens_issued_total', help: 'Tokens issued', labelNames: ['type'] as const, registers: [this.registry] })
  readonly issueFailures = new client.Counter({ name: 'tc_token_issuance_failures_total', help: 'Token creations refused or failed', labelNames: ['reason'] as const, registers: [this.registry] })
  readonly issueLatency = new client.Histogram({
    name: 'tc_token_issuance_duration_seconds', help: 'Time to create a token', registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  })
  readonly validations = new client.Counter({ name: 'tc_token_validations_total', help: 'Token checks by outcome', labelNames: ['outcome'] as const, registers: [this.registry] })
  readonly validationLatency = new client.Histogram({
    name: 'tc_token_validation_duration_seconds', help: 'Time to check a token', labelNames: ['outcome'] as const, registers: [this.registry],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  })
  readonly revocations = new client.Counter({ name: 'tc_token_revocations_total', help: 'Tokens revoked', labelNames: ['type'] as const, registers: [this.registry] })

  constructor(db: Kysely<Database>) {
    new client.Gauge({
      name: 'tc_active_tokens', help: 'Active tokens by type', labelNames: ['type'] as const, registers: [this.registry],
      async collect() {
        // Trigger-kept counters and day buckets: a few rows read, however many tokens there are.
        const active = await activeByType(db, Date.now())
        this.reset()
        for (const t of ['API_TOKEN', 'SERVICE_API_TOKEN']) this.set({ type: t }, active[t] ?? 0)
      },
    })
    client.collectDefaultMetrics({ register: this.registry, prefix: 'tc_' })
    // prom-client names three of its gauges …_total, a suffix Prometheus keeps for counters
    // (promtool check metrics flags them): the same values under tc_nodejs_{handles,requests,resources}_active.
    for (const what of ['handles', 'requests', 'resources'] as const) {
      const original = this.registry.getSingleMetric(`tc_nodejs_active_${what}_total`)
      if (!original) continue
      this.registry.removeSingleMetric(`tc_nodejs_active_${what}_total`)
      new client.Gauge({
        name: `tc_nodejs_${what}_active`, help: `Number of active libuv ${what} (all types)`, registers: [this.registry],
        async collect() {
          const { values } = await original.get()
          this.set(values[0]?.value ?? 0)
        },
      })
    }
  }

  // Label children looked up once per outcome: a check then costs two array updates, not a label hash.
  private readonly checkChildren = new Map<CheckOutcome, { count: client.Counter.Internal; latency: client.Histogram.Internal<'outcome'> }>()

  observeCheck = (outcome: CheckOutcome, seconds: number) => {
    let c = this.checkChildren.get(outcome)
    if (!c) {
      c = { count: this.validations.labels({ outcome }), latency: this.validationLatency.labels({ outcome }) }
      this.checkChildren.set(outcome, c)
    }
    c.count.inc()
    c.latency.observe(seconds)
  }
}
