// Where `login` keeps the server URL and token: $XDG_CONFIG_HOME/token-console/credentials.json
// (or ~/.config/…), the file mode 0600 and its folder 0700, like other CLIs' credential files.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'

export const storedSchema = z.object({ server: z.string().url(), token: z.string().min(1) })
export type Stored = z.infer<typeof storedSchema>

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config')
  return path.join(base, 'token-console', 'credentials.json')
}

export function save(stored: Stored, file = configFile()) {
  const dir = path.dirname(file)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  // mkdir's mode applies only to a folder it creates: one that already existed (made by hand or by
  // another tool with the default umask) is tightened on every save, so others cannot list it.
  if (fs.statSync(dir).mode & 0o077) {
    try {
      fs.chmodSync(dir, 0o700)
    } catch (err) {
      throw new CliError(`${dir} is open to other users and could not be made 0700 (${(err as Error).message}); run chmod 700 on it`)
    }
  }
  // Written to a fresh 0600 file and renamed over the old one, so the token is never readable by others.
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  fs.renameSync(tmp, file)
}

export function load(file = configFile()): Stored {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw new CliError(`Not signed in: run \`token-console login --server <url>\` first (${file})`)
  }
  const mode = fs.statSync(file).mode & 0o077
  if (mode) throw new CliError(`${file} is readable by other users; run chmod 600 on it`)
  return storedSchema.parse(JSON.parse(text))
}

/** A failure to report in one line on stderr, exit status 1. */
export class CliError extends Error {}
