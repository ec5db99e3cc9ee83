// The real server as a child process (node --import tsx server/main.ts), restartable, on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { dialect, runDir, sleep } from './run.js'
import { freePort } from '../../support/net.js'

const root = path.resolve(import.meta.dirname, '../../..')

export const ADMIN_EMAIL = 'admin@example.com'
export const ADMIN_PASSWORD = 'security-suite-admin-password-1'

/** A new database in the suite's PostgreSQL cluster; kept until the cluster goes so the scan can dump it. */
async function createDatabase(name: string): Promise<string> {
  const adminUrl = inject('pgAdminUrl')
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    await c.query(`CREATE DATABASE ${name}`)
  } finally {
    await c.end()
  }
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return u.toString()
}

/** Node arguments for a server whose retainedMiB() works: SIGUSR2 runs a full collection. */
export const GC_ON_SIGNAL = ['--expose-gc', '--import', path.join(import.meta.dirname, 'gc-on-signal.mjs')]

export class ChildServer {
  child: ChildProcess | undefined
  readonly dataDir: string
  readonly logFile: string
  port = 0
  /** The PostgreSQL database of this server (suite parts that move its clocks connect to it). */
  databaseUrl: string | undefined
  // Fixed across restarts, as an operator would, so tokens issued before a crash still verify.
  private readonly secret = crypto.randomBytes(32).toString('base64url')

  constructor(readonly name: string, private readonly env: Record<string, string> = {}, private readonly nodeArgs: string[] = []) {
    this.dataDir = path.join(runDir(), `${name}-data`)
    this.logFile = path.join(runDir(), `${name}-server.log`)
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`
  }

  get pid() {
    return this.child?.pid ?? 0
  }

  async start(): Promise<void> {
    if (!this.port) {
      this.port = await freePort()
      fs.mkdirSync(this.dataDir, { recursive: true })
      if (dialect() === 'postgres') this.databaseUrl = await createDatabase(`sec_${this.name.replace(/\W/g, '_')}_${crypto.randomBytes(3).toString('hex')}`)
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: this.dataDir,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      TOKEN_HMAC_SECRET: this.secret,
      USAGE_FLUSH_MS: '500',
      LOG_LEVEL: 'info',
      STATIC_DIR: path.join(this.dataDir, 'no-console'),
      NODE_ENV: 'production',
      ...this.env,
    }
    delete env.DATABASE_URL
    if (this.databaseUrl) env.DATABASE_URL = this.databaseUrl
    // Appended by the child itself, so lines written just before a SIGKILL are kept.
    const out = fs.openSync(this.logFile, 'a')
    const child = spawn(process.execPath, [...this.nodeArgs, '--import', 'tsx', path.join(root, 'server/main.ts')], {
      cwd: root, env, stdio: ['ignore', out, out],
    })
    fs.closeSync(out)
    this.child = child
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} server exited at start; see ${this.logFile}`)
      try {
        const res = await fetch(`${this.origin}/api/health`, { signal: AbortSignal.timeout(1000) })
        if (res.status === 200) break
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        await exited
        throw new Error(`${this.name} server did not answer /api/health within 30 s; see ${this.logFile}`)
      }
      await sleep(50)
    }
  }

  /** Sends the signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  stop() {
    return this.kill('SIGTERM')
  }

  /**
   * Resident set size after a full garbage collection: what the server retains. Needs the server
   * started with GC_ON_SIGNAL's node arguments.
   */
  async retainedMiB(): Promise<number> {
    this.child?.kill('SIGUSR2')
    // The collection runs when the event loop next turns and unmaps freed pages as it sweeps.
    await sleep(1000)
    return this.rssMiB()
  }

  /** Resident set size of the server process in MiB, from /proc. */
  rssMiB(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    return kb / 1024
  }
}
