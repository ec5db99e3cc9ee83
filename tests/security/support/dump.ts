// Copies of what the database holds, for the secrets scan: SQLite files as they are on disk, and a
// pg_dump of each PostgreSQL database (data only, plain text).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { runDir } from './run.js'

export function copySqliteFiles(dataDir: string, label: string) {
  const dest = path.join(runDir(), `${label}-data`)
  fs.mkdirSync(dest, { recursive: true })
  for (const f of fs.readdirSync(dataDir)) {
    const src = path.join(dataDir, f)
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(dest, f))
  }
}

export function pgDump(databaseUrl: string, label: string): string {
  const file = path.join(runDir(), `${label}.pgdump.sql`)
  execFileSync('pg_dump', ['--data-only', '--no-owner', `--dbname=${databaseUrl}`, '-f', file], { stdio: 'pipe' })
  return file
}

/** Every database of the suite's cluster except the templates and the maintenance one. */
export async function suiteDatabases(): Promise<string[]> {
  const adminUrl = inject('pgAdminUrl')
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")
    return rows.map((r) => {
      const u = new URL(adminUrl)
      u.pathname = `/${r.datname}`
      return u.toString()
    })
  } finally {
    await c.end()
  }
}
