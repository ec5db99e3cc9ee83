// Certificate credentials: issue (sign in the create transaction, bundle after commit), the CRL, and
// the keyed hash a presented client certificate is checked by (Identity.checkCertificate).
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { NamespaceRole } from '../../contract/credentials.js'
import type { CertificateIssuer, CertificateSpec } from '../services/credentials.js'
import { invalid } from '../lib/errors.js'
import { issueClientCertificate, newKeyPair, pkcs12, type Ca, type Issued } from './ca.js'
import { buildCrl } from './crl.js'
import { insertCertificate, latestCertificate, revokedSerials } from './queries.js'

export interface CertificateOwner { email: string; role: string | null; namespaceRoles: NamespaceRole[] }

/** How one credential type turns an issued certificate into its one-time `data`. */
export interface CertificateFormat {
  /** Throws a clear 400 when the request or the server's settings cannot make this type. */
  check(spec: CertificateSpec): void
  subject(owner: CertificateOwner, spec: CertificateSpec): { commonName: string; organizations: string[] }
  render(issued: Issued, ca: Ca, spec: CertificateSpec): string
  /** Days when the request gives none, if shorter than the tenant's default (never longer). */
  defaultExpirationDays?: number
}

const CRL_LIFETIME_MS = 24 * 3_600_000
/** The certificate types that sign in to this API. */
export const API_CERTIFICATE_TYPES: ReadonlySet<string> = new Set(['API_CERTIFICATE', 'SERVICE_API_CERTIFICATE'])

export class PkiService implements CertificateIssuer {
  private readonly formats = new Map<string, CertificateFormat>()
  private crl: { key: string; pem: string; at: number } | undefined
  private crlNumber = 0n

  private loadedCa: Ca | undefined

  /** The CA, loaded (or, on a new DATA_DIR, generated: an RSA-3072 key takes a while) on first use. */
  get ca(): Ca {
    return (this.loadedCa ??= this.loadCa())
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly loadCa: () => Ca,
    private readonly secret: Buffer,
    tenant: string,
  ) {
    const p12: CertificateFormat = {
      check: (spec) => {
        if (!spec.password) throw invalid('A certificate needs spec.password (service credentials: password): it protects the PKCS#12 bundle and is never stored', 'password')
      },
      subject: (owner) => ({ commonName: owner.email, organizations: [tenant] }),
      render: (issued, ca, spec) => pkcs12(issued, ca, spec.password!, issued.subject),
    }
    this.addFormat(['API_CERTIFICATE', 'SERVICE_API_CERTIFICATE'], p12)
  }

  addFormat(types: string[], format: CertificateFormat) {
    for (const t of types) this.formats.set(t, format)
  }

  handles(type: string) {
    return this.formats.has(type)
  }

  defaultExpirationDays(type: string) {
    return this.formats.get(type)?.defaultExpirationDays
  }

  certificateOf(credentialId: string) {
    return latestCertificate(this.db, credentialId)
  }

  /** token_hash of a certificate credential: keyed like token hashes, over a value no token can have. */
  hashOf(fingerprint: string) {
    return crypto.createHmac('sha256', this.secret).update(`x509:${fingerprint}`).digest('hex')
  }

  async prepare(type: string, spec: CertificateSpec) {
    const format = this.formats.get(type)!
    format.check(spec)
    const keys = await newKeyPair()
    let issued: Issued | undefined
    return {
      sign: (owner: CertificateOwner, expiresAt: number) => {
        issued = issueClientCertificate(this.ca, keys, format.subject(owner, spec), expiresAt)
        return { tokenHash: this.hashOf(issued.fingerprint), last4: issued.serial.slice(-4), serial: issued.serial }
      },
      record: async (trx: Kysely<Database>, credentialName: string, now: number) => {
        const i = issued!
        await insertCertificate(trx, credentialName, { serial: i.serial, fingerprint: i.fingerprint, subject: i.subject, not_after: i.notAfter, issued_at: now })
      },
      data: () => format.render(issued!, this.ca, spec),
    }
  }

  /**
   * The CRL, re-signed whenever the set of revoked serials differs from the last one signed (so every
   * revoke, bulk revoke or re-activate, on any instance, shows in the next read) and at half its lifetime.
   */
  async crlPem(now = Date.now()): Promise<string> {
    const rows = await revokedSerials(this.db, now)
    const key = rows.map((r) => `${r.serial}:${r.revoked_at}`).join(',')
    if (this.crl && this.crl.key === key && now - this.crl.at < CRL_LIFETIME_MS / 2) return this.crl.pem
    // CRL numbers grow across restarts too: milliseconds of issue, bumped when two land in one ms.
    this.crlNumber = BigInt(now) > this.crlNumber ? BigInt(now) : this.crlNumber + 1n
    const pem = buildCrl(this.ca, rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at })), {
      number: this.crlNumber, thisUpdate: new Date(now), nextUpdate: new Date(now + CRL_LIFETIME_MS),
    })
    this.crl = { key, pem, at: now }
    return pem
  }

  /** A PEM certificate forwarded by a proxy: parsed and checked against this CA here too. */
  verifyForwarded(pem: string, now = Date.now()): Buffer | undefined {
    let x: crypto.X509Certificate
    try {
      x = new crypto.X509Certificate(pem)
    } catch {
      return undefined
    }
    if (!x.checkIssued(this.ca.cert) || !x.verify(this.ca.cert.publicKey)) return undefined
    if (Date.parse(x.validFrom) > now || Date.parse(x.validTo) <= now) return undefined
    return x.raw
  }
}
