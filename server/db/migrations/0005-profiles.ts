// Profiles (named permission sets for the admin modules), each user's profile, and brute-force lockout counters.
import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';
  const sortable = (col: ColumnDefinitionBuilder) => (pg ? col.modifyFront(sql`collate "C"`) : col);

  await db.schema
    .createTable('profiles')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => sortable(col).notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    // {"users": {"access": "some", "items": ["Sales"]}, ...}: one entry per admin module, checked by the service.
    .addColumn('modules_json', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('profiles_account_name', ['account_id', 'name'])
    .execute();

  // No foreign key: SQLite cannot drop a referencing column again; the profile service refuses to delete a profile
  // that users still have (under a lock on the profile row on PostgreSQL).
  await db.schema.alterTable('users').addColumn('profile_id', 'integer').execute();
  await db.schema.createIndex('users_account_profile').on('users').columns(['account_id', 'profile_id']).execute();
  await db.schema
    .alterTable('users')
    .addColumn('failed_sign_ins', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('users').addColumn('locked_until', timestamp).execute();
}

export async function down(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.dropIndex('users_account_profile').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('locked_until').execute();
  await db.schema.alterTable('users').dropColumn('failed_sign_ins').execute();
  await db.schema.alterTable('users').dropColumn('profile_id').execute();
  await db.schema.dropTable('profiles').ifExists().execute();
}
