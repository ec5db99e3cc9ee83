// npm run bench: runs each benchmark as its own process, one after the other: the in-process token
// checks, the verification benchmark against the compiled server (bench/verify.ts), then
// bench/scale.ts when it exists, the mixed load by console request kind (bench/mixed.ts), bulk revoke of
// every expired credential beside token checks and creates (bench/bulk-revoke.ts), three instances on one
// PostgreSQL database (bench/instances.ts), the console's paint
// times at 1M tokens (bench/console.ts), then Lighthouse on the console (scripts/lighthouse.mjs).
// BENCH_ONLY=in-process,verify,scale,mixed,bulk-revoke,instances,writes,console,lighthouse picks parts.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const here = import.meta.dirname
const parts = [
  { name: 'in-process', file: path.join(here, 'lib/in-process.ts') },
  { name: 'verify', file: path.join(here, 'verify.ts') },
  { name: 'scale', file: path.join(here, 'scale.ts') },
  { name: 'mixed', file: path.join(here, 'mixed.ts') },
  { name: 'bulk-revoke', file: path.join(here, 'bulk-revoke.ts') },
  { name: 'instances', file: path.join(here, 'instances.ts') },
  { name: 'writes', file: path.join(here, 'writes.ts') },
  { name: 'console', file: path.join(here, 'console.ts') },
  { name: 'lighthouse', file: path.join(here, '../scripts/lighthouse.mjs'), args: ['--build'] },
]
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim())

let failed = 0
let current: ReturnType<typeof spawn> | undefined
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The child cleans up its own servers on the signal; we wait for it to end.
  process.on(signal, () => current?.kill(signal))
}
for (const part of parts) {
  if (only && !only.includes(part.name)) continue
  if (!fs.existsSync(part.file)) continue
  console.log(`\n=== ${part.name} (${path.relative(process.cwd(), part.file)}) ===\n`)
  current = spawn(process.execPath, ['--import', 'tsx', part.file, ...(part.args ?? [])], { stdio: 'inherit' })
  const code = await new Promise<number | null>((resolve) => current!.on('exit', (c, sig) => resolve(sig ? 1 : c)))
  current = undefined
  if (code !== 0) {
    failed++
    console.error(`${part.name} failed (exit ${code})`)
  }
}
process.exitCode = failed ? 1 : 0
