// SQL of the pki domain: the certificates table (migration 005) beside credentials.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface CertificatesTable {
  serial: string
  credential_id: string
  fingerprint: string
  subject: string
  not_after: number
  issued_at: number
}
export type PkiDatabase = Database & { certificates: CertificatesTable }
const pkiDb = (db: Kysely<Database>) => db as unknown as Kysely<PkiDatabase>

export async function insertCertificate(trx: Kysely<Database>, credentialName: string, c: Omit<CertificatesTable, 'credential_id'>) {
  await pkiDb(trx).insertInto('certificates').values((eb) => ({
    ...c,
    credential_id: eb.selectFrom('credentials').select('id').where('name', '=', credentialName),
  })).execute()
}

/**
 * What the CRL lists: every certificate still inside its own validity whose credential no longer
 * authenticates. Revoked (dated at the revocation), ended before the certificate's notAfter by a
 * renew that shortened it or a rotation's cut-over (dated at that end), or held by a disabled owner
 * (dated at the account's last change; it leaves the list when the account is enabled again).
 * Software that checks only the CRL (nginx's ssl_crl) then refuses what this API refuses.
 */
export function revokedSerials(db: Kysely<Database>, now: number) {
  return pkiDb(db).selectFrom('certificates as x')
    .innerJoin('credentials as c', 'c.id', 'x.credential_id')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .select((eb) => [
      'x.serial',
      eb.fn.coalesce('c.revoked_at', eb.case().when('c.expires_at', '<=', now).then(eb.ref('c.expires_at')).end(), 'u.updated_at').as('revoked_at'),
    ])
    .where('x.not_after', '>', now)
    .where((eb) => eb.or([eb('c.revoked_at', 'is not', null), eb('c.expires_at', '<=', now), eb('u.disabled', '=', 1)]))
    .orderBy('x.serial')
    .execute() as Promise<{ serial: string; revoked_at: number }[]>
}

/** The newest certificate issued for a credential: its serial and the end of its validity. */
export async function latestCertificate(db: Kysely<Database>, credentialId: string): Promise<{ serial: string; notAfter: number } | undefined> {
  const row = await pkiDb(db).selectFrom('certificates').select(['serial', 'not_after']).where('credential_id', '=', credentialId)
    .orderBy('issued_at', 'desc').limit(1).executeTakeFirst()
  return row && { serial: row.serial, notAfter: Number(row.not_after) }
}
