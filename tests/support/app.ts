// buildTestApp(): the real app on a fresh database (a temp SQLite file, or a new PostgreSQL database).
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { buildApp } from '../../server/app.js'
import { loadConfig, type Config } from '../../server/config.js'

export type TestApp = Awaited<ReturnType<typeof buildApp>> & { dataDir: string; dialect: string; close(): Promise<void> }

export async function buildTestApp(overrides: Partial<Config> = {}, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<TestApp> {
  const dialect = inject('testDb')
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-test-'))
  let databaseUrl: string | undefined
  let dropDb: (() => Promise<void>) | undefined
  if (dialect === 'postgres') {
    const adminUrl = inject('pgAdminUrl')
    const dbName = `t_${crypto.randomBytes(6).toString('hex')}`
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${dbName}`)
    await admin.end()
    const u = new URL(adminUrl)
    u.pathname = `/${dbName}`
    databaseUrl = u.toString()
    dropDb = async () => {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      try {
        // Not WITH (FORCE): killing a connection the closed pool is still ending raises an error in
        // this process. Wait for the backends to go instead.
        for (let i = 0; ; i++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${dbName}`)
            break
          } catch (err) {
            if ((err as { code?: string }).code !== '55006' || i > 100) throw err
            await new Promise((r) => setTimeout(r, 50))
          }
        }
      } finally {
        await c.end()
      }
    }
  }
  const config: Config = {
    ...loadConfig({}),
    dataDir,
    databaseUrl,
    tokenSecret: undefined,
    usageFlushMs: 60_000,
    staticDir: path.join(dataDir, 'no-console'),
    ...overrides,
  }
  const built = await buildApp(config, { logger: opts.logStream ? { level: 'info', stream: opts.logStream } : false })
  return {
    ...built,
    dataDir,
    dialect,
    async close() {
      await built.app.close()
      await dropDb?.()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * The real app on a database bulk-loaded with `npm run seed`'s loader: a first app creates the schema
 * (and whatever `prepare` adds), then `tokens` credentials are seeded, then the returned app opens the
 * same database. Closing it closes and drops both.
 */
export async function seededTestApp(tokens: number, prepare: (first: TestApp) => Promise<unknown> = async () => {}): Promise<TestApp> {
  const { seed } = await import('../../scripts/seed.js')
  const first = await buildTestApp()
  await prepare(first)
  await first.app.close()
  let databaseUrl: string | undefined
  if (first.dialect === 'postgres') {
    const u = new URL(inject('pgAdminUrl'))
    u.pathname = new URL(first.services.db.location).pathname
    databaseUrl = u.toString()
  }
  await seed(tokens, { dataDir: first.dataDir, databaseUrl, quiet: true })
  const t = await buildTestApp({ dataDir: first.dataDir, databaseUrl })
  return { ...t, async close() { await t.close(); await first.close() } }
}
