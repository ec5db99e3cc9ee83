// The in-app notification centre (one row per recipient) and the expiry-notice
// marks: one row per credential, expiry and threshold, whose primary key makes a threshold noticed
// once even when two instances run the pass (insert-or-ignore in the notice's transaction). The
// expiry is part of the key so a renewed token is noticed again before its new expiry.
import type { Kysely } from 'kysely'

export const notifications = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('credential_name', 'text')
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('read_at', 'bigint')
      .execute()
    // Unread list and count: (user_id, read_at IS NULL) then newest first.
    await db.schema.createIndex('notifications_unread_idx').on('notifications').columns(['user_id', 'read_at', 'created_at']).execute()
    // The full list, newest first, paged on (created_at, id).
    await db.schema.createIndex('notifications_user_idx').on('notifications').columns(['user_id', 'created_at', 'id']).execute()
    await db.schema
      .createTable('notice_marks')
      .addColumn('credential_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('threshold', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('notice_marks_pk', ['credential_id', 'expires_at', 'threshold'])
      .execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('notice_marks').execute()
    await db.schema.dropTable('notifications').execute()
  },
}
