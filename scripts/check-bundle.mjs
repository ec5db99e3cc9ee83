// Budget: the JavaScript a first page load needs (the entry script and what index.html preloads),
// gzipped, must stay within 130 KB. Lazy route chunks are not counted: they load on navigation.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

const BUDGET = 130 * 1024
const dist = path.resolve(import.meta.dirname, '..', 'dist')
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8')
const files = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1])
if (files.length === 0) {
  console.error('No script found in dist/index.html')
  process.exit(1)
}
let total = 0
for (const f of files) {
  const size = zlib.gzipSync(fs.readFileSync(path.join(dist, f.replace(/^\//, '')))).length
  total += size
  console.log(`${(size / 1024).toFixed(1).padStart(7)} KB gz  ${f}`)
}
console.log(`${(total / 1024).toFixed(1).padStart(7)} KB gz  initial JavaScript (budget ${BUDGET / 1024} KB)`)
if (total > BUDGET) {
  console.error(`Over budget by ${((total - BUDGET) / 1024).toFixed(1)} KB`)
  process.exit(1)
}
