// Every user change writes an event, numbered per user: the events outbox gains the user and the user's sequence
// number, and a counter table gives out the numbers (kept after the user is deleted, so numbers never repeat).
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('events').addColumn('user_id', 'integer').execute();
  await db.schema.alterTable('events').addColumn('user_seq', 'integer').execute();
  await db.schema
    .createIndex('events_account_user_seq')
    .on('events')
    .columns(['account_id', 'user_id', 'user_seq'])
    .execute();
  // No foreign key to users: a deleted user's last number must survive, or a user created later with the same id
  // (SQLite may reuse the largest id) would start again at 1 under receivers that remember the old one.
  await db.schema
    .createTable('user_event_sequences')
    .addColumn('user_id', 'integer', (col) => col.primaryKey())
    .addColumn('account_id', 'integer', (col) => col.notNull())
    .addColumn('seq', 'integer', (col) => col.notNull())
    .execute();
}

export async function down(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.dropTable('user_event_sequences').execute();
  await db.schema.dropIndex('events_account_user_seq').execute();
  await db.schema.alterTable('events').dropColumn('user_seq').execute();
  await db.schema.alterTable('events').dropColumn('user_id').execute();
}
