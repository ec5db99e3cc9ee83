// Where a security-suite run keeps what the secrets scan reads afterwards, and how parts report figures.
import fs from 'node:fs'
import path from 'node:path'
import { inject } from 'vitest'

/** The token format: a prefix and 36 base62 characters (30 random + 6 checksum). */
export const TOKEN_PATTERN = /tc[ps]_[0-9A-Za-z]{36}/g

export function dialect(): 'sqlite' | 'postgres' {
  return inject('testDb') === 'postgres' ? 'postgres' : 'sqlite'
}

/** One folder per database per run: server logs, data dirs, error bodies, issued tokens, dumps. */
export function runDir(): string {
  const root = process.env.SECURITY_RUN_DIR ?? path.resolve('.tmp/security-run')
  const dir = path.join(root, dialect())
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/** Prints a part's figure line and keeps it for the script's summary. */
export function figure(line: string) {
  console.log(line)
  fs.appendFileSync(path.join(runDir(), 'figures.txt'), `${line}\n`)
}

/** Every token the suite was given, so the scan can look for each one. */
export function recordTokens(tokens: Iterable<string>) {
  const list = [...tokens]
  if (list.length) fs.appendFileSync(path.join(runDir(), 'issued-tokens.txt'), list.join('\n') + '\n')
}

/** Error bodies (never 2xx bodies: create answers carry the secret by design). */
export class BodyLog {
  private fd: number
  constructor(part: string) {
    this.fd = fs.openSync(path.join(runDir(), `error-bodies-${part}.txt`), 'a')
  }
  add(status: number, body: string) {
    if (status >= 200 && status < 300) return
    fs.writeSync(this.fd, `${status} ${body.slice(0, 4096)}\n`)
  }
  close() {
    fs.closeSync(this.fd)
  }
}

export const intEnv = (name: string, fallback: number) => {
  const v = process.env[name]
  return v === undefined || v === '' ? fallback : Number(v)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Nearest-rank percentile of latencies in ms. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** Runs fn over items with at most `limit` at a time. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  })
  await Promise.all(lanes)
  return out
}
