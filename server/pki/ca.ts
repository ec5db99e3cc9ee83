// The tenant's certificate authority: its key and certificate live in DATA_DIR (key mode 0600) or
// come from the environment, never from the database. Issues client certificates signed with node:crypto.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import forge from 'node-forge'
import type { Config } from '../config.js'

export interface CaSettings {
  dataDir: string
  tenant: string
  /** PEM text, or a file holding it (CA_KEY_PEM / CA_KEY_FILE, CA_CERT_PEM / CA_CERT_FILE). */
  keyPem?: string
  certPem?: string
  keyFile?: string
  certFile?: string
}

export interface Ca {
  keyPem: string
  certPem: string
  cert: crypto.X509Certificate
  key: crypto.KeyObject
}

export function caSettings(config: Pick<Config, 'ca' | 'dataDir' | 'tenant'>): CaSettings {
  return { dataDir: config.dataDir, tenant: config.tenant, ...config.ca }
}

const SHA256_RSA = forge.pki.oids.sha256WithRSAEncryption

/** A positive 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function randomSerialHex(): string {
  const b = crypto.randomBytes(16)
  b[0] = (b[0]! & 0x7f) | 0x10
  return b.toString('hex')
}

/**
 * Subject attributes as UTF8String (RFC 5280 §4.1.2.6: DirectoryString, UTF8String for new
 * certificates). forge writes PrintableString unless told, and PrintableString has no `@`, `_` or
 * anything beyond ASCII letters, digits and ` '()+,-./:=?`: Go (kubectl, kube-apiserver, Terraform)
 * and Python's cryptography refuse the whole certificate when a value breaks that, as an email does.
 */
function utf8Name(attrs: Array<{ name: string; value: string }>) {
  return attrs.map((a) => ({ ...a, valueTagClass: forge.asn1.Type.UTF8 as number }))
}

/** The TBSCertificate's fields by position (RFC 5280 §4.1): [0] version is present in every v3 certificate. */
const TBS_ISSUER = 3

/**
 * The CA certificate's subject Name exactly as its DER has it. Issued certificates and the CRL carry
 * these bytes as their issuer: Go finds a certificate's parent by comparing the raw issuer with the raw
 * subject, so re-encoding (another string type, or forge's UTF-8 handling of a parsed value) would
 * break the chain even where the text reads the same.
 */
export function caSubjectAsn1(ca: Ca): forge.asn1.Asn1 {
  const der = forge.util.createBuffer(ca.cert.raw.toString('binary'))
  const tbs = (forge.asn1.fromDer(der).value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[]
  const versioned = tbs[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC
  return tbs[versioned ? 5 : 4]!
}

/**
 * Signs a forge certificate's TBS with node:crypto (forge's JS RSA is ~50× slower) and returns the PEM.
 * `issuer`, when given, replaces the issuer Name forge would encode (see caSubjectAsn1).
 */
function signCertificate(cert: forge.pki.Certificate, key: crypto.KeyObject, issuer?: forge.asn1.Asn1): string {
  cert.siginfo.algorithmOid = SHA256_RSA
  cert.signatureOid = SHA256_RSA
  // getTBSCertificate is public in forge but missing from its types.
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert)
  if (issuer) (tbs.value as forge.asn1.Asn1[])[TBS_ISSUER] = issuer
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary')
  cert.tbsCertificate = tbs
  cert.signature = crypto.sign('sha256', der, key).toString('binary')
  return forge.pki.certificateToPem(cert)
}

function createCa(tenant: string): { keyPem: string; certPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 3072 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())
  cert.serialNumber = randomSerialHex()
  const now = Date.now()
  cert.validity.notBefore = new Date(now - 60_000)
  cert.validity.notAfter = new Date(now + 10 * 365 * 86_400_000)
  const subject = utf8Name([{ name: 'commonName', value: `Token Console CA (${tenant})` }, { name: 'organizationName', value: tenant }])
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: signCertificate(cert, privateKey) }
}

/** What ASN.1 PrintableString can hold (X.680 §41.4). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/

/**
 * Whether the CA's subject has a PrintableString that is not one: earlier versions wrote every value as
 * PrintableString, so a tenant name like `acme_corp` gave a CA that Go and Python refuse outright.
 */
function hasBrokenPrintable(certPem: string): boolean {
  return forge.pki.certificateFromPem(certPem).subject.attributes
    .some((a) => (a.valueTagClass as number | undefined) === forge.asn1.Type.PRINTABLESTRING && !PRINTABLE.test(String(a.value)))
}

/**
 * The same CA certificate (key, serial, validity, extensions) with its name as UTF8String, signed again
 * with its own key. RSA signatures are deterministic, so every instance sharing this DATA_DIR makes the
 * same bytes. Certificates it signed before keep verifying (same key; OpenSSL and nginx compare names
 * by content); Go never accepted them, since their issuer carries the broken value.
 */
function reencodeCa(certPem: string, key: crypto.KeyObject): string {
  const cert = forge.pki.certificateFromPem(certPem)
  const name = utf8Name(cert.subject.attributes.map((a) => ({ name: a.name ?? a.type ?? '', type: a.type, value: String(a.value) })))
  cert.setSubject(name)
  cert.setIssuer(name)
  return signCertificate(cert, key)
}

function writeOnce(file: string, text: string, mode: number) {
  try {
    const fd = fs.openSync(file, 'wx', mode)
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
}

/** Reads the CA from the environment or DATA_DIR; on first start creates it there (like token-secret.key). */
/** Whether a CA is configured or already kept in DATA_DIR (as opposed to one still to be created). */
export function caExists(s: CaSettings): boolean {
  return Boolean(s.keyPem || s.certPem || s.keyFile || s.certFile) || fs.existsSync(path.join(s.dataDir, 'ca-key.pem'))
}

export function loadCa(s: CaSettings): Ca {
  let keyPem = s.keyPem ?? (s.keyFile ? fs.readFileSync(s.keyFile, 'utf8') : undefined)
  let certPem = s.certPem ?? (s.certFile ? fs.readFileSync(s.certFile, 'utf8') : undefined)
  if ((keyPem === undefined) !== (certPem === undefined)) throw new Error('Give both the CA key and the CA certificate (CA_KEY_* and CA_CERT_*), or neither')
  if (keyPem === undefined) {
    const keyFile = path.join(s.dataDir, 'ca-key.pem')
    const certFile = path.join(s.dataDir, 'ca-cert.pem')
    fs.mkdirSync(s.dataDir, { recursive: true })
    if (!fs.existsSync(keyFile)) {
      const created = createCa(s.tenant)
      // The certificate first: a crash between the two writes leaves no key without its certificate.
      fs.rmSync(certFile, { force: true })
      writeOnce(certFile, created.certPem, 0o644)
      writeOnce(keyFile, created.keyPem, 0o600)
    }
    if (fs.statSync(keyFile).mode & 0o077) fs.chmodSync(keyFile, 0o600)
    keyPem = fs.readFileSync(keyFile, 'utf8')
    certPem = fs.readFileSync(certFile, 'utf8')
    // Only the CA made here is rewritten; one given by the environment is the operator's to replace.
    if (hasBrokenPrintable(certPem)) {
      certPem = reencodeCa(certPem, crypto.createPrivateKey(keyPem))
      const tmp = `${certFile}.${process.pid}.tmp`
      fs.writeFileSync(tmp, certPem, { mode: 0o644 })
      fs.renameSync(tmp, certFile)
    }
  }
  const cert = new crypto.X509Certificate(certPem!)
  const key = crypto.createPrivateKey(keyPem)
  if (!cert.checkPrivateKey(key)) throw new Error('The CA key does not belong to the CA certificate')
  if (!cert.ca) throw new Error('The CA certificate is not a CA (basicConstraints cA is not set)')
  return { keyPem, certPem: cert.toString(), cert, key }
}

export interface Issued {
  serial: string
  certPem: string
  keyPem: string
  /** SHA-256 of the DER certificate, lowercase hex. */
  fingerprint: string
  subject: string
  notAfter: number
}

export interface KeyPair { privateKey: crypto.KeyObject; publicKeyPem: string }

/** The slow part of issuing (an RSA key), done before any transaction opens. */
export async function newKeyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }>((resolve, reject) =>
    crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))))
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

/** A TLS client certificate (clientAuth) for subject CN=commonName, O=each of organizations. */
export function issueClientCertificate(ca: Ca, keys: KeyPair, subject: { commonName: string; organizations: string[] }, notAfter: number): Issued {
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem)
  const serial = randomSerialHex()
  cert.serialNumber = serial
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(notAfter)
  cert.setSubject(utf8Name([{ name: 'commonName', value: subject.commonName }, ...subject.organizations.map((o) => ({ name: 'organizationName', value: o }))]))
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    ...(caKeyId(ca) ? [{ name: 'authorityKeyIdentifier', keyIdentifier: caKeyId(ca) }] : []),
  ])
  const certPem = signCertificate(cert, ca.key, caSubjectAsn1(ca))
  const x = new crypto.X509Certificate(certPem)
  return {
    serial, certPem, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint: fingerprintOf(x.raw), subject: x.subject.replace(/\n/g, ', '), notAfter: Date.parse(x.validTo),
  }
}

/** The CA's subjectKeyIdentifier as a binary string (for authorityKeyIdentifier), if it has one. */
export function caKeyId(ca: Ca): string | undefined {
  const ext = forge.pki.certificateFromPem(ca.certPem).getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined
  return ext?.subjectKeyIdentifier ? forge.util.hexToBytes(ext.subjectKeyIdentifier) : undefined
}

export function fingerprintOf(der: Buffer): string {
  return crypto.createHash('sha256').update(der).digest('hex')
}

/** The password-protected PKCS#12 bundle (key, certificate, CA), base64: what create returns once. */
export function pkcs12(issued: Issued, ca: Ca, password: string, friendlyName: string): string {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(issued.keyPem),
    [forge.pki.certificateFromPem(issued.certPem), forge.pki.certificateFromPem(ca.certPem)],
    password,
    { algorithm: 'aes256', friendlyName },
  )
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64')
}
