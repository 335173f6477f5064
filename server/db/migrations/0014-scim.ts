// Provisioning through SCIM 2.0: what identity providers keep on a user beyond Roster's own fields (their
// external id, title, employee number, manager, and the rest of the SCIM attributes as given), the external id and
// a version of groups, and the bearer tokens SCIM clients sign in with (only a SHA-256 of each is kept).
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';

  await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
  await db.schema
    .alterTable('users')
    .addColumn('title', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('users')
    .addColumn('employee_number', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
  // The user's manager (a user of the same account); a manager who is deleted is simply no longer shown.
  await db.schema.alterTable('users').addColumn('manager_id', 'integer').execute();
  // The SCIM attributes Roster has no column for (displayName, nickName, addresses, other emails and phones...).
  await db.schema
    .alterTable('users')
    .addColumn('scim_json', 'text', (col) => col.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('users_account_external_id').on('users').columns(['account_id', 'external_id']).execute();
  await db.schema
    .createIndex('users_account_updated_at')
    .on('users')
    .columns(['account_id', 'updated_at', 'id'])
    .execute();
  await db.schema
    .createIndex('users_account_employee_number')
    .on('users')
    .columns(['account_id', 'employee_number'])
    .execute();
  await db.schema.createIndex('users_account_manager').on('users').columns(['account_id', 'manager_id']).execute();
  // SCIM compares userName without case; usernames are stored lower-cased, so the unique index serves `eq`.

  await db.schema.alterTable('groups').addColumn('external_id', 'text').execute();
  // Counts every change of the group or its members: the group's ETag.
  await db.schema
    .alterTable('groups')
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createIndex('groups_account_external_id')
    .on('groups')
    .columns(['account_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('scim_tokens')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('token_hint', 'text', (col) => col.notNull())
    .addColumn('created_by', 'integer')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('last_used_at', timestamp)
    .execute();
  await db.schema.createIndex('scim_tokens_account').on('scim_tokens').column('account_id').execute();
}

export async function down(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.dropTable('scim_tokens').execute();
  await db.schema.dropIndex('groups_account_external_id').execute();
  await db.schema.alterTable('groups').dropColumn('version').execute();
  await db.schema.alterTable('groups').dropColumn('external_id').execute();
  for (const index of [
    'users_account_manager',
    'users_account_employee_number',
    'users_account_updated_at',
    'users_account_external_id',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  for (const column of ['scim_json', 'manager_id', 'employee_number', 'title', 'external_id']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
