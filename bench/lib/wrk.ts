// Runs Debian's wrk (4.x, Lua scripting) on core 1 and reads back a JSON summary the script prints.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { onCore } from './proc.js'

export const WRK = '/usr/bin/wrk'

export interface WrkResult {
  requests: number
  seconds: number
  rps: number
  /** Responses outside 2xx/3xx, as wrk counts them. */
  non2xx: number
  socketErrors: number
  p50ms: number
  p99ms: number
  /** Per-status counts, only when the script was built with countStatuses. */
  statuses: Record<string, number>
}

export interface RequestEntry {
  /** Value of the Authorization header, if any. */
  authorization?: string
  body?: string
}

export interface ScriptOptions {
  method?: 'GET' | 'POST'
  path: string
  host: string
  contentType?: string
  /** Further request headers, the same on every request (a gateway's X-Required-Scope). */
  headers?: Record<string, string>
  /** Requests cycle over these, one per request, across all connections. */
  entries?: RequestEntry[]
  /** Count responses per status (costs wrk a Lua call per response; used for the flood only). */
  countStatuses?: boolean
  /** Milliseconds each connection waits before its next request (wrk's delay()), to pace a load. */
  delayMs?: number
}

const lua = (s: string) => JSON.stringify(s) // ASCII tokens, paths and base64: JSON escaping is valid Lua

/** Writes a wrk Lua script to a temp file and returns its path. */
export function writeScript(dir: string, name: string, o: ScriptOptions): string {
  const lines: string[] = []
  const entries = o.entries ?? [{}]
  lines.push('local entries = {')
  for (const e of entries) lines.push(`  { ${e.authorization ? lua(e.authorization) : 'nil'}, ${e.body !== undefined ? lua(e.body) : 'nil'} },`)
  lines.push('}')
  lines.push(`
local reqs = {}
local i = 0
function init(args)
  -- Requests are formatted once, so the per-request cost in wrk is an index and a string hand-off.
  for k, e in ipairs(entries) do
    local h = { ["Host"] = ${lua(o.host)} }
    if e[1] then h["Authorization"] = e[1] end
    ${o.contentType ? `h["Content-Type"] = ${lua(o.contentType)}` : ''}
    ${Object.entries(o.headers ?? {}).map(([k, v]) => `h[${lua(k)}] = ${lua(v)}`).join('\n    ')}
    reqs[k] = wrk.format(${lua(o.method ?? 'GET')}, ${lua(o.path)}, h, e[2])
  end
  i = math.random(#reqs) - 1
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
`)
  if (o.delayMs) lines.push(`function delay() return ${o.delayMs} end`)
  if (o.countStatuses) {
    lines.push(`
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
`)
  }
  lines.push(`
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local parts = {}
  ${o.countStatuses ? `for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  end` : ''}
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"statuses":{%s}}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ",")))
end
`)
  const file = path.join(dir, `${name}.lua`)
  fs.writeFileSync(file, lines.join('\n'))
  return file
}

/** wrk -t1 -c<connections> -d<seconds>s on core 1 with the given script. */
export async function runWrk(url: string, script: string, seconds: number, connections = 50): Promise<WrkResult> {
  const [cmd, args] = onCore(1, WRK, ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, url])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { out += b.toString() })
  // wrk stops by itself after -d; the guard only catches a hung wrk.
  const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(guard)
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '))
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${out}`)
  const j = JSON.parse(line.slice('BENCHJSON '.length)) as {
    requests: number; duration_us: number; non2xx: number; socket_errors: number; p50_us: number; p99_us: number; statuses: Record<string, number>
  }
  const secs = j.duration_us / 1e6
  return {
    requests: j.requests, seconds: secs, rps: j.requests / secs, non2xx: j.non2xx, socketErrors: j.socket_errors,
    p50ms: j.p50_us / 1000, p99ms: j.p99_us / 1000, statuses: j.statuses,
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}
