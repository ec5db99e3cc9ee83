// The production entry (compiled JavaScript, plain node) stops cleanly on SIGTERM and
// SIGINT: the port closes, recorded token uses are flushed, the process exits 0.
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../support/net.js'

const root = path.resolve(import.meta.dirname, '../..')
const entry = path.join(root, 'build/server/main.js')

async function startServer(dataDir: string, port: number, how: 'node' | 'npm') {
  // npm start is what the README tells people to run: npm must pass the signal to the server.
  const [cmd, args] = how === 'node' ? [process.execPath, [entry]] : ['npm', ['start', '--silent']]
  const child = spawn(cmd, args, {
    cwd: root,
    env: {
      ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '',
      ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'shutdown-test-password', USAGE_FLUSH_MS: '600000', LOG_LEVEL: 'warn',
      STATIC_DIR: path.join(dataDir, 'no-console'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) return { child, base }
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  throw new Error('server did not start')
}

// Process signals are the same on either database and the server here always uses a SQLite file:
// registered in the SQLite pass only, so the two passes (which npm test runs side by side) never
// compile build/ or start these servers at once.
describe.runIf(inject('testDb') === 'sqlite')('the compiled server', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'], { cwd: root, stdio: 'pipe' })
  }, 120_000)

  const cases = [['node', 'SIGTERM'], ['node', 'SIGINT'], ['npm', 'SIGTERM']] as const
  for (const [how, signal] of cases) {
    it(`${how === 'npm' ? 'npm start' : 'node build/server/main.js'} stops on ${signal} with token uses flushed`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-shutdown-'))
      const { child, base } = await startServer(dataDir, await freePort(), how)
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      try {
        const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'shutdown-test-password' }) })
        const cookie = login.headers.get('set-cookie')!.split(';')[0]
        const { csrf_token: csrf } = await login.json()
        const created = await fetch(`${base}/api/web/namespaces/system/api_credentials`, {
          method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf, origin: base },
          body: JSON.stringify({ name: 'shutdown-probe', expiration_days: 1 }),
        })
        const token = (await created.json()).data as string
        for (let i = 0; i < 3; i++) expect((await fetch(`${base}/api/verify`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(204)
        child.kill(signal)
        expect(await exited).toBe(0)
        await expect(fetch(`${base}/api/health`)).rejects.toThrow()
        const db = new SQLite(path.join(dataDir, 'token-console.sqlite'), { readonly: true })
        const row = db.prepare('SELECT c.last_used_at AS used, (SELECT SUM(count) FROM usage_daily u WHERE u.credential_id = c.id) AS n FROM credentials c WHERE name = ?').get('shutdown-probe') as { used: number | null; n: number }
        db.close()
        expect(row.used).not.toBeNull()
        expect(row.n).toBe(3)
      } finally {
        child.kill('SIGKILL')
        fs.rmSync(dataDir, { recursive: true, force: true })
      }
    }, 60_000)
  }
})
