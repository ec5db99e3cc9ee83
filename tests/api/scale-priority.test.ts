// Issue 8 item 6: console reads step back for token checks. The SQLite read threads run at a lower
// scheduling priority (CONSOLE_READ_NICE), export slices are formatted in those threads, and console
// work on the event loop pauses in proportion to its slices while checks arrive.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { consoleReadNice } from '../../server/db/connection.js'
import { SqliteReadPool } from '../../server/db/read-pool.js'
import { csvCell } from '../../server/lib/csv.js'
import { noteCheck, pauseAfter, setConsoleLoopShare } from '../../server/lib/check-pressure.js'
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
  delete process.env.CONSOLE_READ_NICE
  setConsoleLoopShare(0.1)
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
    expect(consoleReadNice()).toBe(19)
    process.env.CONSOLE_READ_NICE = '0'
    expect(consoleReadNice()).toBe(0)
    process.env.CONSOLE_READ_NICE = '7'
    expect(consoleReadNice()).toBe(7)
  })

  it('refuses anything else with a message naming the setting', () => {
    for (const bad of ['20', '-1', 'high', '1.5', ' 3']) {
      process.env.CONSOLE_READ_NICE = bad
      expect(() => consoleReadNice()).toThrow(/CONSOLE_READ_NICE must be a whole number from 0 to 19/)
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
    const now = performance.now()
    // No check within the busy window: no pause.
    expect(pauseAfter(10, now + 10_000)).toBe(0)
    noteCheck()
    const t = performance.now()
    // A 10 ms slice at the default 10% share: 90 ms of pause.
    expect(pauseAfter(10, t)).toBeCloseTo(90)
    // Never more than a second at once.
    expect(pauseAfter(1000, t)).toBe(1000)
    setConsoleLoopShare(0.5)
    expect(pauseAfter(10, t)).toBeCloseTo(10)
    setConsoleLoopShare(1)
    expect(pauseAfter(10, t)).toBe(0)
    expect(() => setConsoleLoopShare(0)).toThrow(/share/)
  })
})
