// Part 5: the secrets scan, after every other part on this database. No token the suite was issued,
// and nothing in the token format, may be in a server log, an error body, a SQLite file or a dump of
// a PostgreSQL database. (Browser storage is covered by the Playwright journeys in e2e/.)
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { pgDump, suiteDatabases } from './support/dump.js'
import { dialect, figure, runDir, TOKEN_PATTERN } from './support/run.js'

/** Files the suite itself wrote about its requests (not the server's output): left out of the scan. */
const HARNESS = new Set(['issued-tokens.txt', 'figures.txt', 'fuzz-violations.json', 'sqlmap.log', 'sqlmap'])

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (HARNESS.has(e.name)) return []
    const p = path.join(dir, e.name)
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : []
  })
}

describe('secrets scan', () => {
  it('finds no issued token and nothing in the token format in logs, error bodies or the databases', async () => {
    const dir = runDir()
    let databases = 0
    if (dialect() === 'postgres') {
      const urls = await suiteDatabases()
      for (const url of urls) pgDump(url, `db-${new URL(url).pathname.slice(1)}`)
      databases = urls.length
    }
    const tokensFile = path.join(dir, 'issued-tokens.txt')
    const issued = new Set(fs.existsSync(tokensFile) ? fs.readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean) : [])
    const files = filesUnder(dir)
    let bytes = 0
    const hits: string[] = []
    for (const file of files) {
      // latin1 keeps every byte as one character, so binary SQLite pages scan like text.
      const text = fs.readFileSync(file).toString('latin1')
      bytes += text.length
      for (const m of text.matchAll(TOKEN_PATTERN)) {
        hits.push(`${path.relative(dir, file)} @${m.index}: ${issued.has(m[0]) ? 'an issued token' : 'a token-format string'} ${m[0].slice(0, 8)}…`)
      }
    }
    const kinds = {
      logs: files.filter((f) => f.endsWith('.log')).length,
      bodies: files.filter((f) => path.basename(f).startsWith('error-bodies-')).length,
      sqlite: files.filter((f) => /\.(db|sqlite)(-wal|-shm)?$|\.sqlite3?$/.test(f)).length,
      dumps: files.filter((f) => f.endsWith('.pgdump.sql')).length,
    }
    for (const h of hits.slice(0, 10)) console.log(`secrets[${dialect()}] ${h}`)
    figure(`secrets[${dialect()}]: ${issued.size} issued tokens looked for in ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB (${kinds.logs} server logs, ${kinds.bodies} error-body files, ${kinds.sqlite} SQLite files, ${kinds.dumps} pg_dumps${databases ? ` of ${databases} databases` : ''}): ${hits.filter((h) => h.includes('issued')).length} issued tokens found, ${hits.filter((h) => !h.includes('issued')).length} other token-format strings; browser storage is covered by the Playwright journeys (e2e/)`)
    expect(issued.size).toBeGreaterThan(100)
    expect(files.length).toBeGreaterThan(5)
    expect(hits.slice(0, 10)).toEqual([])
  })
})
