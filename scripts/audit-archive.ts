// npm run audit:archive -- --older-than-days N --out DIR
// Writes the audit rows older than N days to a compressed, verified archive in DIR, records the
// checkpoint and prunes them (server/audit-retention). Reads the server's settings (DATA_DIR,
// DATABASE_URL) from the environment, and may run while the server does.
import { parseArgs } from 'node:util'
import { loadConfig } from '../server/config.js'
import { migrate, openDb } from '../server/db/connection.js'
import { AuditLog } from '../server/services/audit.js'
import { archiveAudit, ArchiveError } from '../server/audit-retention/archive.js'

const usage = 'usage: npm run audit:archive -- --older-than-days N --out DIR'

async function main(): Promise<number> {
  let values: { 'older-than-days'?: string; out?: string; help?: boolean }
  try {
    ({ values } = parseArgs({ options: { 'older-than-days': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } } }))
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    return 2
  }
  if (values.help) { console.log(usage); return 0 }
  const days = Number(values['older-than-days'])
  if (!values['older-than-days'] || !Number.isInteger(days) || days < 1 || !values.out) {
    console.error(`--older-than-days (a whole number of days, at least 1) and --out are required\n${usage}`)
    return 2
  }
  const config = loadConfig(process.env)
  const conn = openDb({ dataDir: config.dataDir, databaseUrl: config.databaseUrl })
  try {
    await migrate(conn)
    const r = await archiveAudit(conn.db, new AuditLog(conn.db, conn.dialect), { olderThanDays: days, outDir: values.out })
    if (!r.manifest) {
      console.log(`Nothing archived: ${r.reason}`)
      return 0
    }
    const m = r.manifest
    console.log(`Archived ${m.rows} audit rows (${m.first_id}–${m.last_id}, before ${m.cutoff}) to ${values.out}/${m.file} (${m.bytes} bytes, sha256 ${m.sha256}); verified, checkpointed at ${m.last_hash}, pruned.`)
    return 0
  } catch (err) {
    console.error(err instanceof ArchiveError ? `Archive refused: ${err.message}` : err)
    return 1
  } finally {
    await conn.close()
  }
}

process.exitCode = await main()
