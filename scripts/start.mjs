// npm start: builds the console and the API when either is missing or older than its sources, then
// runs the compiled server in this same process, so the process npm started is the one that gets
// SIGINT/SIGTERM and shuts down cleanly (usage flushed, database closed). tsx is for development.
// package.json starts it with two V8 heap flags, measured with bench/mixed.ts (100k tokens, token checks
// and eight console readers with CSV exports): --max-semi-space-size=4 (the young generation otherwise
// grows to 3 × 16 MB under check load; RSS peak 60 MB lower, same check throughput), and
// --max-old-space-size=256, under which V8 grows the old generation by a factor of 2 instead of 4
// after each full collection (peak 229–264 MB → 132–182 MB). The live heap is 30–50 MB (every large
// answer streams in slices), so 256 MB leaves room. The benchmarks start the server with these flags.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '..')

function newest(p) {
  if (!fs.existsSync(p)) return 0
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.mtimeMs
  let t = 0
  for (const e of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, e)))
  return t
}

function stale(output, sources) {
  const out = path.join(root, output)
  return !fs.existsSync(out) || sources.some((s) => newest(path.join(root, s)) > fs.statSync(out).mtimeMs)
}

function run(label, args) {
  console.log(label)
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

// STATIC_DIR serves a console built elsewhere (or none); only the default dist/ is built here.
if (!process.env.STATIC_DIR && stale('dist/index.html', ['src', 'contract', 'public', 'index.html', 'vite.config.ts'])) {
  run('Building the console…', [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'])
}
const entry = path.join(root, 'build/server/main.js')
if (stale('build/server/main.js', ['server', 'contract', 'tsconfig.server.json'])) {
  // Types are checked by npm test; the production build only emits JavaScript.
  run('Building the server…', [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.server.json', '--noCheck'])
  fs.utimesSync(entry, new Date(), new Date())
}
await import(pathToFileURL(entry).href)
