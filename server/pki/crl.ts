// An X.509 v2 CRL (RFC 5280 §5) built with forge's ASN.1 helpers (forge has no CRL API) and signed with node:crypto.
import crypto from 'node:crypto'
import forge from 'node-forge'
import { caKeyId, caSubjectAsn1, type Ca } from './ca.js'

const { asn1 } = forge
const T = asn1.Type
const C = asn1.Class

const seq = (items: forge.asn1.Asn1[]) => asn1.create(C.UNIVERSAL, T.SEQUENCE, true, items)
const oid = (o: string) => asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(o).getBytes())
/** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. */
const time = (d: Date) => d.getUTCFullYear() < 2050
  ? asn1.create(C.UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(d))
  : asn1.create(C.UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d))

/** A non-negative INTEGER from hex, with the leading zero octet DER needs when the high bit is set. */
function integer(hex: string) {
  let h = hex.length % 2 ? `0${hex}` : hex
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = `00${h}`
  return asn1.create(C.UNIVERSAL, T.INTEGER, false, forge.util.hexToBytes(h))
}

const sha256WithRsa = () => seq([oid(forge.pki.oids.sha256WithRSAEncryption), asn1.create(C.UNIVERSAL, T.NULL, false, '')])

function extension(id: string, value: forge.asn1.Asn1) {
  return seq([oid(id), asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, asn1.toDer(value).getBytes())])
}

export interface RevokedEntry { serial: string; revokedAt: number }

/**
 * The signed CRL as PEM. `number` must grow with every new CRL (RFC 5280 §5.2.3); nextUpdate tells
 * relying parties (nginx's ssl_crl, for one) until when this list may be used.
 */
export function buildCrl(ca: Ca, revoked: RevokedEntry[], opts: { number: bigint; thisUpdate: Date; nextUpdate: Date }): string {
  // The CA's subject as its certificate has it, byte for byte: relying parties match the CRL to the CA by it.
  const issuer = caSubjectAsn1(ca)
  const keyId = caKeyId(ca)
  const extensions = [extension('2.5.29.20', integer(opts.number.toString(16)))]
  if (keyId) {
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
    extensions.push(extension('2.5.29.35', seq([asn1.create(C.CONTEXT_SPECIFIC, 0, false, keyId)])))
  }
  const tbs = seq([
    asn1.create(C.UNIVERSAL, T.INTEGER, false, String.fromCharCode(1)), // v2
    sha256WithRsa(),
    issuer,
    time(opts.thisUpdate),
    time(opts.nextUpdate),
    ...(revoked.length ? [seq(revoked.map((r) => seq([integer(r.serial), time(new Date(r.revokedAt))])))] : []),
    asn1.create(C.CONTEXT_SPECIFIC, 0, true, [seq(extensions)]),
  ])
  const tbsDer = asn1.toDer(tbs).getBytes()
  const signature = crypto.sign('sha256', Buffer.from(tbsDer, 'binary'), ca.key).toString('binary')
  const crl = seq([tbs, sha256WithRsa(), asn1.create(C.UNIVERSAL, T.BITSTRING, false, `\u0000${signature}`)])
  const b64 = Buffer.from(asn1.toDer(crl).getBytes(), 'binary').toString('base64')
  return `-----BEGIN X509 CRL-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END X509 CRL-----\n`
}
