// Token format: <prefix>_<30 base62 random><6 base62 CRC32>. 30 base62 chars carry 178.6 bits.
import crypto from 'node:crypto'
import zlib from 'node:zlib'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const RANDOM_LENGTH = 30
export const CHECKSUM_LENGTH = 6
export const TOKEN_PREFIXES = { API_TOKEN: 'tcp', SERVICE_API_TOKEN: 'tcs' } as const
const TOKEN_RE = /^(tcp|tcs)_([0-9A-Za-z]{36})$/

function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    // Rejection sampling: bytes >= 248 would bias the modulo, so they are dropped.
    for (const b of crypto.randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62]
    }
  }
  return out
}

function base62Fixed(n: number, width: number): string {
  let s = ''
  for (let i = 0; i < width; i++) {
    s = ALPHABET[n % 62] + s
    n = Math.floor(n / 62)
  }
  return s
}

function checksum(body: string): string {
  return base62Fixed(zlib.crc32(body) >>> 0, CHECKSUM_LENGTH)
}

export function generateToken(type: keyof typeof TOKEN_PREFIXES): string {
  const body = `${TOKEN_PREFIXES[type]}_${randomBase62(RANDOM_LENGTH)}`
  return body + checksum(body)
}

/** Shape and checksum only: rejects typos and garbage without touching the database. */
export function isWellFormedToken(token: string): boolean {
  const m = TOKEN_RE.exec(token)
  if (!m) return false
  const body = token.slice(0, token.length - CHECKSUM_LENGTH)
  return crypto.timingSafeEqual(Buffer.from(checksum(body)), Buffer.from(token.slice(-CHECKSUM_LENGTH)))
}

export function hashToken(secret: Buffer, token: string): string {
  return crypto.createHmac('sha256', secret).update(token).digest('hex')
}

export function sameHash(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'hex')
  const bb = Buffer.from(b, 'hex')
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb)
}

/** Reads Authorization: APIToken <t> (F5 style) or Bearer <t>. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^(APIToken|Bearer)\s+(\S+)\s*$/i.exec(header)
  return m ? m[2] : undefined
}
