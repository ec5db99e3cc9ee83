// npm run audit:verify -- DIR
// Verifies audit archives offline: each file against its manifest (sha256, rows, the hash chain
// inside it) and the archives against each other. Prints where the chain ends: the live log's
// checkpoint (GET /api/audit/verify) must name that row and hash.
import { parseArgs } from 'node:util'
import { ArchiveError, verifyArchiveDir } from '../server/audit-retention/archive.js'

async function main(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} })
  if (positionals.length !== 1) {
    console.error('usage: npm run audit:verify -- DIR')
    return 2
  }
  try {
    const r = await verifyArchiveDir(positionals[0])
    for (const a of r.archives) console.log(a.rows ? `ok  ${a.file}: rows ${a.first_id}–${a.last_id} (${a.rows})` : `--  ${a.file}`)
    console.log(`Intact: ${r.rows} rows ending at row ${r.last_id}, hash ${r.last_hash}`)
    console.log('The live log must continue from there: GET /api/audit/verify names its checkpoint.')
    return 0
  } catch (err) {
    console.error(err instanceof ArchiveError ? `NOT intact: ${err.message}` : err)
    return 1
  }
}

process.exitCode = await main()
