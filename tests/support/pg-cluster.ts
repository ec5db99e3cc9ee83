// A throwaway PostgreSQL cluster from Debian's postgresql, on 127.0.0.1 only, removed afterwards.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pgBin } from '../../scripts/lib/backup-common.js'
import { freePort } from './net.js'

export interface Cluster {
  url: string
  stop(): void
}

export async function startCluster(): Promise<Cluster> {
  const isRoot = process.getuid?.() === 0
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-pg-'))
  const data = path.join(dir, 'data')
  // initdb and postgres refuse to run as root: run them as the postgres user Debian's package creates.
  const run = (cmd: string, args: string[]) => {
    if (isRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' })
    else execFileSync(cmd, args, { stdio: 'pipe' })
  }
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir])
  fs.chmodSync(dir, 0o700)
  run(pgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`
  run(pgBin('pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start'])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
