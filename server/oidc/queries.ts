// The single sign-on slice's reads and writes: the settings row, sign-ins under way, and the people
// single sign-on finds, links or creates.
import type { Kysely, Transaction } from 'kysely'
import type { Database, OidcLoginsTable, OidcSettingsTable } from '../db/schema.js'

export const SETTINGS_ID = 1

export const readSettingsRow = (db: Kysely<Database>) =>
  db.selectFrom('oidc_settings').selectAll().where('id', '=', SETTINGS_ID).executeTakeFirst()

export async function writeSettingsRow(trx: Transaction<Database>, row: Omit<OidcSettingsTable, 'id'>) {
  const values = { id: SETTINGS_ID, ...row }
  await trx.insertInto('oidc_settings').values(values)
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute()
}

export async function insertLogin(db: Kysely<Database>, row: OidcLoginsTable, now: number) {
  // Abandoned sign-ins go here rather than in a job: the table only grows when sign-ins start.
  await db.deleteFrom('oidc_logins').where('expires_at', '<=', now).execute()
  await db.insertInto('oidc_logins').values(row).execute()
}

/** Takes a sign-in under way out of the table: a second callback with the same cookie finds nothing. */
export async function consumeLogin(db: Kysely<Database>, idHash: string, now: number) {
  const row = await db.deleteFrom('oidc_logins').where('id_hash', '=', idHash).returningAll().executeTakeFirst()
  return row && row.expires_at > now ? row : undefined
}

export const userBySubject = (db: Kysely<Database>, subject: string) =>
  db.selectFrom('users').selectAll().where('oidc_subject', '=', subject).where('kind', '=', 'user').executeTakeFirst()

export const userByEmail = (db: Kysely<Database>, email: string) =>
  db.selectFrom('users').selectAll().where('email', '=', email).where('kind', '=', 'user').executeTakeFirst()

export async function otherEnabledAdmins(trx: Transaction<Database>, id: string) {
  const rows = await trx.selectFrom('users').select('id')
    .where('kind', '=', 'user').where('role', '=', 'admin').where('disabled', '=', 0).where('id', '!=', id).execute()
  return rows.length
}
