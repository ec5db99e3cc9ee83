// Child processes for the HTTP benchmarks: CPU pinning with taskset, free ports, readiness, and a
// registry so every process started is stopped at the end, even when the benchmark fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'

const cpuCount = os.availableParallelism?.() ?? os.cpus().length
export const tasksetPath = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).stdout.trim() || undefined
/** Pinning needs taskset and at least two cores (server on core 0, load generator on core 1). */
export const canPin = Boolean(tasksetPath) && cpuCount >= 2
export const pinningNote = canPin
  ? 'servers pinned to core 0 (taskset -c 0), wrk to core 1 (taskset -c 1)'
  : `UNPINNED: ${tasksetPath ? `only ${cpuCount} core(s)` : 'taskset not found'}; server and wrk share the CPU`

/** The command line for `cmd args` on one core, or unchanged when pinning is not possible. */
export function onCore(core: number, cmd: string, args: string[]): [string, string[]] {
  return canPin ? [tasksetPath!, ['-c', String(core), cmd, ...args]] : [cmd, args]
}

/** Moves every thread of a running process (and of its children) to one core. */
export function pinPid(pid: number, core: number): boolean {
  if (!canPin) return false
  const pids = [pid, ...childPids(pid)]
  return pids.every((p) => spawnSync(tasksetPath!, ['-a', '-p', '-c', String(core), String(p)], { stdio: 'ignore' }).status === 0)
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** CPU time (user + system, all threads) each process has used so far, in milliseconds. */
export function cpuSnapshot(pids: number[]): Map<number, number> {
  const out = new Map<number, number>()
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(pid, ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks) // fields 14 (utime) and 15 (stime)
    } catch {
      // ended
    }
  }
  return out
}

/** The processes' total CPU time so far, in milliseconds. */
export function cpuMs(pids: number[]): number {
  let ms = 0
  for (const v of cpuSnapshot(pids).values()) ms += v
  return ms
}

/**
 * CPU used between two snapshots by the processes alive at the second one (a process born in
 * between counts whole). A process that ended in between drops out instead of making it negative:
 * PostgreSQL backends come and go with the server's connection pool.
 */
export function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0)
  return ms
}

/** A process and its direct children (PostgreSQL: the postmaster and its backends). */
export function withChildren(pid: number): number[] {
  return [pid, ...childPids(pid)]
}

function childPids(pid: number): number[] {
  const out: number[] = []
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      // Field 4 (ppid) follows the command name, which is parenthesised and may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(e))
    } catch {
      // the process ended while we looked
    }
  }
  return out
}

// One free-port helper for tests and benchmarks.
export { freePort } from '../../tests/support/net.js'

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export interface Child {
  name: string
  proc: ChildProcess
  pid: number
  /** Output kept for the error message when the process dies early. */
  output(): string
  exited: Promise<number | null>
  stop(): Promise<void>
}

const running = new Set<Child>()

/** Starts a process with exactly `env`; it is stopped by stopAll() if nobody stops it first. */
export function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, core?: number): Child {
  const [c, a] = core === undefined ? [cmd, args] : onCore(core, cmd, args)
  const proc = spawn(c, a, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-4000)
  }
  proc.stdout!.on('data', keep)
  proc.stderr!.on('data', keep)
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  const child: Child = {
    name,
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    async stop() {
      running.delete(child)
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])
      if (!done) {
        proc.kill('SIGKILL')
        await exited
      }
    },
  }
  running.add(child)
  return child
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()))
}

/** Polls url until it answers 200; returns the milliseconds from `since` to that answer. */
export async function waitReady(child: Child, url: string, since: number, timeoutMs = 30_000): Promise<number> {
  const deadline = since + timeoutMs
  while (performance.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited with ${child.proc.exitCode}:\n${child.output()}`)
    try {
      const r = await fetch(url)
      await r.arrayBuffer()
      if (r.status === 200) return performance.now() - since
    } catch {
      // not listening yet
    }
    await sleep(5)
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output()}`)
}

/**
 * The node flags `npm start` runs the server with (package.json's start script), so the benchmarks
 * measure the server as it is started in production.
 */
export const serverNodeFlags: string[] = (() => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }
  const m = /\bnode\s+((?:--\S+\s+)*)scripts\/start\.mjs/.exec(pkg.scripts.start)
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : []
})()

/** The administrator every benchmark's server creates on its empty database. */
export const BENCH_ADMIN = { email: 'bench@example.com', password: 'bench-password-123456' }

/**
 * The environment of a benchmark's server: ours only, so nothing leaks in from the caller's shell
 * (a DATABASE_URL meant for an admin connection, say), plus `extra`.
 */
export function benchServerEnv(dataDir: string, port: number, databaseUrl: string | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1',
    ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password, LOG_LEVEL: 'warn', MAX_ACTIVE_TOKENS_PER_USER: '100000',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  }
}

/**
 * Runs a benchmark's main and always cleans up after it: every started process stopped, then
 * `release` (a cluster, a temp folder), once, also on Ctrl-C or SIGTERM (exit 130). A failure of main
 * is printed and sets exit code 1.
 */
export async function runBenchmark(main: () => Promise<void>, release: () => void): Promise<void> {
  let cleaning: Promise<void> | undefined
  const cleanup = () => (cleaning ??= stopAll().then(() => {
    try {
      release()
    } catch (err) {
      console.error('cleaning up failed:', err)
    }
  }))
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void cleanup().finally(() => process.exit(130))
    })
  }
  try {
    await main()
  } catch (err) {
    console.error(err)
    process.exitCode = 1
  } finally {
    await cleanup()
  }
}
