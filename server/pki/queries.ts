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

/** Serials of revoked, not yet expired certificates: what the CRL lists (revocation is the credential's). */
export function revokedSerials(db: Kysely<Database>, now: number) {
  return pkiDb(db).selectFrom('certificates as x')
    .innerJoin('credentials as c', 'c.id', 'x.credential_id')
    .select(['x.serial', 'c.revoked_at'])
    .where('c.revoked_at', 'is not', null)
    .where('x.not_after', '>', now)
    .orderBy('x.serial')
    .execute() as Promise<{ serial: string; revoked_at: number }[]>
}

/** The credential and owner a presented certificate stands for, by its SHA-256 fingerprint. */
export function credentialByFingerprint(db: Kysely<Database>, fingerprint: string) {
  return pkiDb(db).selectFrom('certificates as x')
    .innerJoin('credentials as c', 'c.id', 'x.credential_id')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .select([
      'c.id', 'c.name', 'c.type', 'c.scope', 'c.permissions', 'c.namespace_roles', 'c.created_at', 'c.expires_at',
      'c.revoked_at', 'c.owner_id', 'u.email', 'u.name as owner_name', 'u.role', 'u.kind', 'u.disabled', 'x.not_after',
    ])
    .where('x.fingerprint', '=', fingerprint)
    .executeTakeFirst()
}

/** The serial of the newest certificate issued for a credential. */
export async function latestSerial(db: Kysely<Database>, credentialId: string): Promise<string | undefined> {
  const row = await pkiDb(db).selectFrom('certificates').select('serial').where('credential_id', '=', credentialId)
    .orderBy('issued_at', 'desc').limit(1).executeTakeFirst()
  return row?.serial
}
