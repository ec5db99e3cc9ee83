// Webhook signing secrets: generated once, shown once, stored AES-256-GCM encrypted under a key derived
// (HKDF-SHA-256) from the server's token secret, with the webhook id as associated data so a stored
// secret cannot be moved to another row. And the signature scheme receivers check (see README.md).
import crypto from 'node:crypto'

const VERSION = 'v1'

export function deriveKey(serverSecret: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'token-console webhook secrets v1', 32))
}

export function newSigningSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`
}

export function encryptSecret(key: Buffer, webhookId: string, secret: string): string {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(webhookId, 'utf8'))
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`
}

export function decryptSecret(key: Buffer, webhookId: string, stored: string): string {
  const [version, data] = stored.split(':', 2)
  if (version !== VERSION || !data) throw new Error('unknown webhook secret format')
  const raw = Buffer.from(data, 'base64')
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
  decipher.setAAD(Buffer.from(webhookId, 'utf8'))
  decipher.setAuthTag(raw.subarray(12, 28))
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
}

/** `sha256=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`, as in the x-token-console-signature header. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}
