// Console and export reads off the event loop. better-sqlite3 is synchronous, so a slow console query
// on the main thread stops every token check; here each read runs on a read-only connection in a
// worker thread (WAL lets readers and the writer proceed together), behind a small Kysely dialect.
// A query past its time limit has its worker terminated and replaced, and the caller gets a clear error.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import {
  Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult,
} from 'kysely'
import type { Database } from './schema.js'
import { ApiError } from '../lib/errors.js'
import { csvCell } from '../lib/csv.js'

/** The worker: plain CommonJS run with eval, so it works the same under tsx, vitest and compiled JS. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driverPath)
// Console reads yield the core to token checks: this thread runs at a lower scheduling priority
// (Linux applies a nice value to the one thread whose id is given). Best effort elsewhere.
if (workerData.nice) {
  try {
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())
    require('node:os').setPriority(tid, workerData.nice)
  } catch { /* not Linux, or not permitted: run at the process's priority */ }
}
const db = new Database(workerData.file, { readonly: true, fileMustExist: true })
db.pragma('busy_timeout = 5000')
const csvCell = new Function('return ' + workerData.csvCell)()
const cache = new Map()
parentPort.on('message', (m) => {
  try {
    let st = cache.get(m.sql)
    if (!st) {
      st = db.prepare(m.sql)
      if (cache.size > 300) cache.delete(cache.keys().next().value)
      cache.set(m.sql, st)
    }
    if (!st.reader) throw new Error('the console read pool runs reads only')
    if (!m.csv) return parentPort.postMessage({ id: m.id, rows: st.all(...m.params) })
    // An export slice: formatted here, at this thread's priority, so the event loop only passes text on.
    const { columns, iso, limit, key } = m.csv
    let text = ''
    let n = 0
    let last = null
    let more = false
    for (const r of st.iterate(...m.params)) {
      if (n === limit) { more = true; break }
      for (const c of iso) r[c] = new Date(r[c]).toISOString()
      text += columns.map((c) => csvCell(r[c])).join(',') + '\\r\\n'
      last = r[key]
      n++
    }
    parentPort.postMessage({ id: m.id, csv: { text, rows: n, last, more } })
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String(e && e.message), code: e && e.code } })
  }
})`

/** How an export slice is formatted in the read thread: these columns in order, `iso` ones from epoch ms. */
export interface CsvSlice {
  columns: readonly string[]
  iso: readonly string[]
  /** Rows to format; one more is read to tell whether there are more. */
  limit: number
  /** The column whose value in the last formatted row is returned, for the next keyset page. */
  key: string
}

export interface CsvText {
  text: string
  rows: number
  last: unknown
  more: boolean
}

interface Job {
  id: number
  sql: string
  params: readonly unknown[]
  csv?: CsvSlice
  /** This job's time limit, queue wait included. */
  limitMs: number
  resolve: (result: unknown) => void
  reject: (err: Error) => void
  queuedAt: number
}

interface Slot {
  worker: Worker
  job?: Job
  timer?: NodeJS.Timeout
}

/**
 * 503 + Retry-After, not 429: the caller did nothing wrong and sent nothing too often; the server
 * could not answer in time (a busy read pool or a query over its limit), so a retry may succeed.
 */
export class ConsoleQueryTimeout extends ApiError {
  constructor(ms: number) {
    super('UNAVAILABLE', `This console query ran past its ${ms} ms limit and was stopped; narrow the filter or search and try again`, [], { 'retry-after': '1' })
  }
}

/** The time limit of one export slice, queue wait included. */
export const EXPORT_SLICE_LIMIT_MS = 30_000

export class SqliteReadPool {
  private slots: Slot[] = []
  private queue: Job[] = []
  private seq = 0
  private closed = false
  private readonly driverPath = createRequire(import.meta.url).resolve('better-sqlite3')

  constructor(
    private readonly file: string,
    private readonly size: number,
    readonly timeoutMs: number,
    /** Nice value for the worker threads (0–19; 0 leaves them at the process's priority). */
    private readonly nice = 0,
  ) {}

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, driverPath: this.driverPath, nice: this.nice, csvCell: csvCell.toString() },
      // Pages are small (a page of rows, a slice of an export); a small heap keeps the threads' memory
      // small too. A result past it ends the thread with ERR_WORKER_OUT_OF_MEMORY, answered as an error.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    })
    // Idle workers must not keep the process alive at shutdown.
    worker.unref()
    const slot: Slot = { worker }
    worker.on('message', (m: { id: number; rows?: unknown[]; csv?: CsvText; error?: { message: string; code?: string } }) => {
      const job = slot.job
      if (!job || job.id !== m.id) return
      clearTimeout(slot.timer)
      slot.job = undefined
      worker.unref()
      if (m.error) job.reject(Object.assign(new Error(m.error.message), { code: m.error.code }))
      else job.resolve(m.csv ?? m.rows!)
      this.pump()
    })
    worker.on('error', (err) => {
      const job = slot.job
      slot.job = undefined
      this.replace(slot)
      job?.reject(err)
    })
    return slot
  }

  private replace(slot: Slot) {
    clearTimeout(slot.timer)
    void slot.worker.terminate()
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    this.pump()
  }

  private pump() {
    if (this.closed) return
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.job)
      if (!slot && this.slots.length < this.size) {
        slot = this.spawn()
        this.slots.push(slot)
      }
      if (!slot) return
      const job = this.queue.shift()!
      const waited = Date.now() - job.queuedAt
      if (waited >= job.limitMs) {
        job.reject(new ConsoleQueryTimeout(job.limitMs))
        continue
      }
      slot.job = job
      slot.worker.ref()
      slot.timer = setTimeout(() => {
        // better-sqlite3 cannot interrupt a statement: end the thread that runs it.
        slot.job = undefined
        this.replace(slot)
        job.reject(new ConsoleQueryTimeout(job.limitMs))
      }, job.limitMs - waited)
      slot.worker.postMessage({ id: job.id, sql: job.sql, params: job.params, csv: job.csv })
    }
  }

  private run(sql: string, params: readonly unknown[], limitMs: number, csv?: CsvSlice): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('read pool closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.seq, sql, params, csv, limitMs, resolve, reject, queuedAt: Date.now() })
      this.pump()
    })
  }

  query(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    return this.run(sql, params, this.timeoutMs) as Promise<unknown[]>
  }

  /**
   * Runs a read and formats up to `slice.limit` of its rows as CSV lines in the read thread. A slice is
   * a bounded keyset page, so its limit is longer than a console query's: on a core saturated by token
   * checks the (lowered) read threads get little of it, and an export should slow down, not break off.
   */
  csv(sql: string, params: readonly unknown[], slice: CsvSlice): Promise<CsvText> {
    return this.run(sql, params, Math.max(this.timeoutMs, EXPORT_SLICE_LIMIT_MS), slice) as Promise<CsvText>
  }

  async close() {
    this.closed = true
    for (const j of this.queue.splice(0)) j.reject(new Error('read pool closed'))
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()))
  }
}

class PoolConnection implements DatabaseConnection {
  constructor(private readonly pool: SqliteReadPool) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return { rows: (await this.pool.query(q.sql, q.parameters)) as R[] }
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the console read pool; page with a keyset instead')
  }
}

class PoolDriver implements Driver {
  constructor(private readonly pool: SqliteReadPool) {}
  async init() {}
  async acquireConnection() { return new PoolConnection(this.pool) }
  async beginTransaction() { throw new Error('the console read pool does not run transactions') }
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() { await this.pool.close() }
}

export function sqliteReadDb(pool: SqliteReadPool): Kysely<Database> {
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new PoolDriver(pool),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  }
  return new Kysely<Database>({ dialect })
}

/** Maps PostgreSQL's statement_timeout cancel (57014) to the same clear error as the SQLite pool. */
export function mapReadError(err: unknown, timeoutMs: number): unknown {
  return (err as { code?: string })?.code === '57014' ? new ConsoleQueryTimeout(timeoutMs) : err
}

const readers = new WeakMap<object, Kysely<Database>>()
const pools = new WeakMap<object, SqliteReadPool>()

/** Registers the console reader belonging to a connection's main Kysely instance (and its SQLite read pool). */
export function registerReader(main: object, reader: Kysely<Database>, pool?: SqliteReadPool) {
  readers.set(main, reader)
  if (pool) pools.set(main, pool)
}

/** The SQLite read pool behind a main instance, for exports formatted in its threads; none on PostgreSQL. */
export function consoleReadPool(main: Kysely<Database>): SqliteReadPool | undefined {
  return pools.get(main)
}

/**
 * The Kysely instance console reads should use for a given main instance: its read pool when one
 * was opened with it, else the instance itself (a transaction, or a connection opened elsewhere).
 */
export function consoleReader(main: Kysely<Database>): Kysely<Database> {
  return readers.get(main) ?? main
}
