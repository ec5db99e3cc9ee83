// The token check's cache: recently checked credentials kept in memory (bounded, per-entry TTL) so a
// repeated check reads no database. Every change that can end or alter a token's validity removes
// its entry on this instance when the change commits, and on every other instance sharing
// PostgreSQL through LISTEN/NOTIFY sent inside the same transaction. An instance whose notification
// connection is down serves nothing from the cache until it has listened again and cleared it.
// Expiry never depends on the cache: each entry carries expires_at and every check compares it to now.
import { LRUCache } from 'lru-cache'
import type pg from 'pg'
import { sql, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { loadPg } from '../db/connection.js'
import type { Principal } from './principal.js'

export interface CachedCredential {
  id: string
  name: string
  ownerId: string
  ownerEmail: string
  expiresAt: number | null
  revokedAt: number | null
  ownerDisabled: boolean
  /** Shared by every check that hits this entry; never mutated. */
  principal: Principal
  /** Which of the credential's secrets this hash is; a previous one's expiresAt is its own end. */
  secret: 'current' | 'previous'
  /** When the current secret was issued (null for a previous one): tells usage which secret was used. */
  secretIssuedAt: number | null
  /**
   * On a previous secret's entry: the credential's current hash. Every change to a credential is
   * published under its current hash, so invalidating that also drops the previous secret's entry.
   */
  currentHash?: string
}

/** What changed: some token hashes, or '*' for changes that touch many (an account disabled). */
export type ValidityChange = readonly string[] | '*'

const CHANNEL = 'tc_check_cache'
// NOTIFY payloads are limited to 8000 bytes; a hash is 64 hex characters.
const HASHES_PER_NOTIFY = 100

export class CheckCache {
  private readonly lru: LRUCache<string, CachedCredential> | undefined
  /** False while the cross-instance notification connection is down. */
  private live = true
  /** Bumped by every invalidation: a lookup that started before one may not fill the cache. */
  private epoch = 0
  /** Current hash → the cached previous secret's hash of the same credential. */
  private readonly previousOf = new Map<string, string>()

  /** Drops expired entries once a TTL: without it they stay, unservable, until pushed out at `max`. */
  private readonly purger: NodeJS.Timeout | undefined

  constructor(opts: { max: number; ttlMs: number }) {
    this.lru = opts.ttlMs > 0 && opts.max > 0 ? new LRUCache({ max: opts.max, ttl: opts.ttlMs, ttlAutopurge: false }) : undefined
    if (this.lru) {
      const lru = this.lru
      this.purger = setInterval(() => lru.purgeStale(), Math.max(1000, opts.ttlMs))
      this.purger.unref()
    }
  }

  close() {
    clearInterval(this.purger)
  }

  get enabled() {
    return this.lru !== undefined && this.live
  }

  get size() {
    return this.lru?.size ?? 0
  }

  get(hash: string): CachedCredential | undefined {
    return this.live ? this.lru?.get(hash) : undefined
  }

  /** Call before the database read whose result may be cached. */
  ticket(): number {
    return this.epoch
  }

  set(hash: string, entry: CachedCredential, ticket: number) {
    if (!this.live || ticket !== this.epoch || !this.lru) return
    this.lru.set(hash, entry)
    if (entry.currentHash) {
      if (this.previousOf.size >= this.lru.max) {
        // Links whose entry was evicted are dropped; a link is never dropped while its entry is
        // cached, or a revoke published under the current hash would miss the previous secret.
        for (const [cur, prev] of this.previousOf) if (!this.lru.has(prev)) this.previousOf.delete(cur)
      }
      this.previousOf.set(entry.currentHash, hash)
    }
  }

  invalidate(change: ValidityChange) {
    this.epoch++
    if (change === '*') {
      this.lru?.clear()
      this.previousOf.clear()
      return
    }
    for (const h of change) {
      this.lru?.delete(h)
      const previous = this.previousOf.get(h)
      if (previous !== undefined) {
        this.lru?.delete(previous)
        this.previousOf.delete(h)
      }
    }
  }

  suspend() {
    this.live = false
    this.invalidate('*')
  }

  resume() {
    this.invalidate('*')
    this.live = true
  }
}

/**
 * Publishes validity changes: inside the writing transaction it queues a NOTIFY (PostgreSQL delivers
 * it at commit, to every instance), and after the commit it clears this instance's entries at once.
 */
export class ValidityBus {
  constructor(
    private readonly cache: CheckCache,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async publish(trx: Transaction<Database>, after: (fn: () => void) => void, change: ValidityChange) {
    if (change !== '*' && change.length === 0) return
    if (this.dialect === 'postgres') {
      const payloads = change === '*' ? ['*'] : chunk(change, HASHES_PER_NOTIFY).map((c) => c.join(','))
      for (const p of payloads) await sql`SELECT pg_notify(${CHANNEL}, ${p})`.execute(trx)
    }
    after(() => this.cache.invalidate(change))
  }
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/**
 * Listens for other instances' changes on a connection of its own. While it is not listening, the
 * cache is suspended (every check reads the database); after reconnecting it LISTENs first, then
 * clears the cache, so nothing changed while it was away can be served.
 */
export class InvalidationListener {
  private client: pg.Client | undefined
  private stopped = false
  private retryMs = 100
  private timer: NodeJS.Timeout | undefined
  private connecting: Promise<void> | undefined

  constructor(
    private readonly url: string,
    private readonly cache: CheckCache,
    private readonly log: (msg: string) => void,
  ) {}

  /** Resolves once listening (or after the first failed attempt; it keeps retrying). */
  start(): Promise<void> {
    this.cache.suspend()
    this.connecting = this.connect()
    return this.connecting
  }

  private async connect() {
    const client = new (loadPg().Client)({ connectionString: this.url })
    const lost = (why: string) => {
      if (this.client !== client) return
      this.client = undefined
      this.cache.suspend()
      client.removeAllListeners()
      client.on('error', () => {})
      client.end().catch(() => {})
      if (!this.stopped) {
        this.log(`check cache suspended: notification connection lost (${why}); reconnecting`)
        this.schedule()
      }
    }
    client.on('error', (err) => lost(err.message))
    client.on('end', () => lost('closed'))
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL) return
      this.cache.invalidate(n.payload === '*' || !n.payload ? '*' : n.payload.split(','))
    })
    try {
      await client.connect()
      this.client = client
      await client.query(`LISTEN ${CHANNEL}`)
      if (this.stopped) return void (await this.stop())
      this.retryMs = 100
      this.cache.resume()
    } catch (err) {
      if (this.client === client) lost((err as Error).message)
      else {
        client.removeAllListeners()
        client.on('error', () => {})
        client.end().catch(() => {})
        if (!this.stopped) this.schedule()
      }
    }
  }

  private schedule() {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { this.connecting = this.connect() }, this.retryMs)
    this.timer.unref()
    this.retryMs = Math.min(this.retryMs * 2, 5_000)
  }

  /** For tests and fault drills: drops the connection as a network fault would. */
  simulateLoss() {
    const c = this.client
    if (c) (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
  }

  get listening() {
    return this.client !== undefined
  }

  async stop() {
    this.stopped = true
    clearTimeout(this.timer)
    await this.connecting?.catch(() => {})
    const c = this.client
    this.client = undefined
    if (c) {
      c.removeAllListeners()
      c.on('error', () => {})
      await c.end().catch(() => {})
    }
  }
}
