// Console reads step back for token checks. The SQLite read threads run at a lower
// scheduling priority (CONSOLE_READ_NICE), export slices are formatted in those threads, and console
// work on the event loop pauses in proportion to its slices while checks arrive.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../../server/config.js'
import { SqliteReadPool } from '../../server/db/read-pool.js'
import { csvCell } from '../../server/lib/csv.js'
import { CheckPressure, ConsoleGate } from '../../server/lib/check-pressure.js'
import { ApiError } from '../../server/lib/errors.js'
import SQLite from 'better-sqlite3'

/** Nice values of this process's threads, from /proc (field 19 of each task's stat). */
function threadNices(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
  })
}

function tempDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-prio-'))
  const file = path.join(dir, 'db.sqlite')
  const db = new SQLite(file)
  db.pragma('journal_mode = WAL')
  db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER, s TEXT)`)
  const ins = db.prepare('INSERT INTO t (id, at, s) VALUES (?, ?, ?)')
  ins.run(1, Date.UTC(2026, 0, 2), 'plain')
  ins.run(2, Date.UTC(2026, 0, 3), '=HYPERLINK("x")')
  ins.run(3, Date.UTC(2026, 0, 4), 'a,b "c"')
  db.close()
  return { file, dir }
}

const pools: SqliteReadPool[] = []
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

describe.runIf(process.platform === 'linux')('read threads on Linux', () => {
  it('run at the configured nice value while the event loop keeps its own', async () => {
    const { file, dir } = tempDb()
    const before = threadNices()
    expect(before.every((n) => n === before[0])).toBe(true)
    const base = before[0]
    const pool = new SqliteReadPool(file, 2, 5000, 19)
    pools.push(pool)
    await Promise.all([pool.query('SELECT 1', []), pool.query('SELECT 2', [])])
    const at19 = (xs: number[]) => xs.filter((n) => n === 19).length
    expect(at19(threadNices()) - at19(before)).toBeGreaterThanOrEqual(2)
    // This thread (the event loop) is unchanged.
    const self = fs.readFileSync('/proc/thread-self/stat', 'utf8')
    expect(Number(self.slice(self.lastIndexOf(')') + 2).split(' ')[16])).toBe(base)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe('CONSOLE_READ_NICE', () => {
  it('defaults to 19 and takes 0 to 19', () => {
    expect(loadConfig({}).consoleReadNice).toBe(19)
    expect(loadConfig({ CONSOLE_READ_NICE: '0' }).consoleReadNice).toBe(0)
    expect(loadConfig({ CONSOLE_READ_NICE: '7' }).consoleReadNice).toBe(7)
  })

  it('refuses anything else with a message naming the setting', () => {
    for (const bad of ['20', '-1', 'high', '1.5', ' 3']) {
      expect(() => loadConfig({ CONSOLE_READ_NICE: bad })).toThrow(/CONSOLE_READ_NICE must be a whole number from 0 to 19/)
    }
  })
})

describe('export slices formatted in a read thread', () => {
  it('give the same CSV as csvCell, with the last key and whether more rows follow', async () => {
    const { file, dir } = tempDb()
    const pool = new SqliteReadPool(file, 1, 5000, 0)
    pools.push(pool)
    const slice = { columns: ['id', 'at', 's'], iso: ['at'], limit: 2, key: 'id' }
    const first = await pool.csv('SELECT * FROM t ORDER BY id DESC LIMIT ?', [3], slice)
    const line = (id: number, at: number, s: string) => [id, new Date(at).toISOString(), s].map(csvCell).join(',') + '\r\n'
    expect(first).toEqual({
      text: line(3, Date.UTC(2026, 0, 4), 'a,b "c"') + line(2, Date.UTC(2026, 0, 3), '=HYPERLINK("x")'),
      rows: 2, last: 2, more: true,
    })
    expect(first.text).toContain(`"'=HYPERLINK(""x"")"`)
    const rest = await pool.csv('SELECT * FROM t WHERE id < ? ORDER BY id DESC LIMIT ?', [2, 3], slice)
    expect(rest).toEqual({ text: line(1, Date.UTC(2026, 0, 2), 'plain'), rows: 1, last: 1, more: false })
    const none = await pool.csv('SELECT * FROM t WHERE id < 0', [], slice)
    expect(none).toEqual({ text: '', rows: 0, last: null, more: false })
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('refuse a statement that writes', async () => {
    const { file, dir } = tempDb()
    const pool = new SqliteReadPool(file, 1, 5000, 0)
    pools.push(pool)
    await expect(pool.csv('DELETE FROM t', [], { columns: ['id'], iso: [], limit: 5, key: 'id' })).rejects.toThrow(/reads only|readonly/)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe('console slices on the event loop', () => {
  it('pause only while checks arrive, in proportion to the time they held the loop', () => {
    // Each app has its own pressure on its own clock: a check noted by another never counts here.
    let clock = 50_000
    const pressure = new CheckPressure({ clock: () => clock })
    new CheckPressure().noteCheck()
    // No check within the busy window: no pause.
    expect(pressure.pauseAfter(10)).toBe(0)
    expect(pressure.busy()).toBe(false)
    pressure.noteCheck()
    const t = clock
    // A 10 ms slice at the default 10% share: 90 ms of pause.
    expect(pressure.pauseAfter(10, t)).toBeCloseTo(90)
    // The share is for all console work together: a second 10 ms slice at the same moment (another
    // export) waits behind the first one's booking.
    expect(pressure.pauseAfter(10, t)).toBeCloseTo(180)
    // Never more than five seconds at once.
    expect(pressure.pauseAfter(10_000, t)).toBe(5000)
    // A slice that held the loop for 400 ms hid any check arriving meanwhile: checks seen before it
    // started still count (a bulk revoke's batch on SQLite), and it pauses.
    pressure.setShare(0.1)
    expect(pressure.pauseAfter(400, t + 400)).toBeGreaterThan(0)
    expect(pressure.pauseAfter(10, t + 400)).toBe(0)
    pressure.setShare(0.5)
    expect(pressure.pauseAfter(10, t)).toBeCloseTo(10)
    pressure.setShare(1)
    expect(pressure.pauseAfter(10, t)).toBe(0)
    expect(() => pressure.setShare(0)).toThrow(/share/)
    expect(() => new CheckPressure({ share: 1.5 })).toThrow(/share/)
    // The clock moving past the busy window ends the pressure.
    pressure.setShare(0.1)
    clock += 1000
    expect(pressure.pauseAfter(10)).toBe(0)
  })
})

describe('console requests while checks arrive', () => {
  afterEach(() => { vi.useRealTimers() })

  it('start at once without check traffic, at the set rate with it, in order, and 503 past the wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const pressure = new CheckPressure()
    const gate = new ConsoleGate(pressure, 10, 2, 1000)
    // No check within the busy window: every request starts at once.
    vi.advanceTimersByTime(1000)
    for (let i = 0; i < 5; i++) expect(gate.admit()).toBeUndefined()
    // Checks arriving: the bucket's two start at once, the next ones one per 100 ms, in arrival order.
    pressure.noteCheck()
    expect(gate.admit()).toBeUndefined()
    expect(gate.admit()).toBeUndefined()
    const started: number[] = []
    const waits = [1, 2, 3].map((n) => gate.admit()!.then(() => { started.push(n) }))
    expect(waits).toHaveLength(3)
    const keepBusy = async (ms: number) => { for (let t = 0; t < ms; t += 50) { pressure.noteCheck(); await vi.advanceTimersByTimeAsync(50) } }
    await keepBusy(100)
    expect(started).toEqual([1])
    await keepBusy(200)
    expect(started).toEqual([1, 2, 3])
    // A request that cannot start within the wait limit is refused with 503 and Retry-After.
    const many = Array.from({ length: 30 }, () => gate.admit()!.then(() => 'started', (e: unknown) => e))
    await keepBusy(1100)
    const outcomes = await Promise.all(many)
    const refused = outcomes.filter((o) => o instanceof ApiError) as ApiError[]
    expect(outcomes.filter((o) => o === 'started').length).toBeGreaterThanOrEqual(9)
    expect(refused.length).toBeGreaterThan(10)
    expect(refused[0].status).toBe(503)
    expect(refused[0].headers['retry-after']).toBe('1')
    expect(refused[0].message).toMatch(/busy answering token checks/)
  })

  it('let the waiting ones start as soon as the checks stop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const pressure = new CheckPressure()
    const gate = new ConsoleGate(pressure, 1, 1, 10_000)
    pressure.noteCheck()
    expect(gate.admit()).toBeUndefined()
    const waiting = Array.from({ length: 5 }, () => gate.admit()!)
    // 300 ms without a check: the check path is no longer busy, so the line empties at the next tick.
    await vi.advanceTimersByTimeAsync(1100)
    await expect(Promise.all(waiting)).resolves.toHaveLength(5)
  })

  it('never wait with a rate of 0 (the limit turned off)', () => {
    const pressure = new CheckPressure()
    pressure.noteCheck()
    const gate = new ConsoleGate(pressure, 0)
    for (let i = 0; i < 50; i++) expect(gate.admit()).toBeUndefined()
  })

  it('see only their own app\'s checks', () => {
    const mine = new CheckPressure()
    const gate = new ConsoleGate(mine, 1, 1, 10_000)
    // Another app in this process is under check load; this one is not.
    new CheckPressure().noteCheck()
    for (let i = 0; i < 5; i++) expect(gate.admit()).toBeUndefined()
  })
})
