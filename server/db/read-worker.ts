// One SQLite read thread of the console read pool (read-pool.ts): a read-only connection that runs the
// console's reads and formats export slices, at a lower scheduling priority than the event loop that
// answers token checks. Started by SqliteReadPool as a worker thread; messages carry one statement each.
import fs from 'node:fs'
import os from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { csvCell } from '../lib/csv.js'

interface Request {
  id: number
  sql: string
  params: unknown[]
  csv?: { columns: string[]; iso: string[]; limit: number; key: string }
}

const { file, nice } = workerData as { file: string; nice: number }

// Console reads yield the core to token checks: this thread runs at a lower scheduling priority
// (Linux applies a nice value to the one thread whose id is given). Best effort elsewhere.
if (nice) {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop())
    os.setPriority(tid, nice)
  } catch { /* not Linux, or not permitted: run at the process's priority */ }
}

const db = new Database(file, { readonly: true, fileMustExist: true })
db.pragma('busy_timeout = 5000')
const statements = new Map<string, Database.Statement>()

function statement(sql: string) {
  let st = statements.get(sql)
  if (!st) {
    st = db.prepare(sql)
    if (statements.size > 300) statements.delete(statements.keys().next().value!)
    statements.set(sql, st)
  }
  if (!st.reader) throw new Error('the console read pool runs reads only')
  return st
}

parentPort!.on('message', (m: Request) => {
  try {
    const st = statement(m.sql)
    if (!m.csv) {
      parentPort!.postMessage({ id: m.id, rows: st.all(...m.params) })
      return
    }
    // An export slice: formatted here, at this thread's priority, so the event loop only passes text on.
    const { columns, iso, limit, key } = m.csv
    let text = ''
    let n = 0
    let last: unknown = null
    let more = false
    for (const r of st.iterate(...m.params) as Iterable<Record<string, unknown>>) {
      if (n === limit) { more = true; break }
      for (const c of iso) r[c] = new Date(r[c] as number).toISOString()
      text += columns.map((c) => csvCell(r[c])).join(',') + '\r\n'
      last = r[key]
      n++
    }
    parentPort!.postMessage({ id: m.id, csv: { text, rows: n, last, more } })
  } catch (e) {
    const err = e as { message?: string; code?: string }
    parentPort!.postMessage({ id: m.id, error: { message: String(err?.message), code: err?.code } })
  }
})
