// The HMAC key for token hashes: from TOKEN_HMAC_SECRET, or a 0600 file in DATA_DIR. Never in the database.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export function loadTokenSecret(opts: { tokenSecret?: string; dataDir: string }): Buffer {
  if (opts.tokenSecret) {
    if (opts.tokenSecret.length < 32) throw new Error('TOKEN_HMAC_SECRET must be at least 32 characters')
    return Buffer.from(opts.tokenSecret, 'utf8')
  }
  const file = path.join(opts.dataDir, 'token-secret.key')
  fs.mkdirSync(opts.dataDir, { recursive: true })
  try {
    const fd = fs.openSync(file, 'wx', 0o600)
    fs.writeSync(fd, crypto.randomBytes(32).toString('base64'))
    fs.fsyncSync(fd)
    fs.closeSync(fd)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const mode = fs.statSync(file).mode & 0o777
  if (mode & 0o077) fs.chmodSync(file, 0o600)
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')
  if (key.length < 32) throw new Error(`${file} holds a key shorter than 32 bytes`)
  return key
}
