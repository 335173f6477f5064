// Access: each application's roles and composites, role mappings, licenses and pools, per-user app settings, API keys.
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
  const account = (col: ColumnDefinitionBuilder) => col.notNull().references('accounts.id').onDelete('cascade');
  const user = (col: ColumnDefinitionBuilder) => col.notNull().references('users.id').onDelete('cascade');

  await db.schema
    .createTable('roles')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('app', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => sortable(col).notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('composite', 'smallint', (col) => col.notNull().defaultTo(0))
    .addColumn('built_in', 'smallint', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('roles_account_app_name', ['account_id', 'app', 'name'])
    .execute();

  await db.schema
    .createTable('role_children')
    .addColumn('account_id', 'integer', account)
    .addColumn('role_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('child_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('role_children_pk', ['role_id', 'child_id'])
    .execute();
  await db.schema.createIndex('role_children_account').on('role_children').column('account_id').execute();
  await db.schema.createIndex('role_children_child').on('role_children').column('child_id').execute();

  // Bumped in every transaction that changes an account's roles, so each process knows when its cache is stale.
  await db.schema
    .createTable('role_catalogs')
    .addColumn('account_id', 'integer', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('user_roles')
    .addColumn('account_id', 'integer', account)
    .addColumn('user_id', 'integer', user)
    .addColumn('role_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
    .execute();
  await db.schema.createIndex('user_roles_role').on('user_roles').column('role_id').execute();

  // A pool never holds more than its size: the check refuses the seat (or minute) that would exceed it, under any
  // concurrency, because every taker updates the same pool row.
  await db.schema
    .createTable('license_pools')
    .addColumn('account_id', 'integer', account)
    .addColumn('app', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('size', 'integer', (col) => col.notNull())
    .addColumn('used', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('licensed_by_default', 'smallint', (col) => col.notNull().defaultTo(1))
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addPrimaryKeyConstraint('license_pools_pk', ['account_id', 'app'])
    .addCheckConstraint('license_pools_within_size', sql`used >= 0 and used <= size`)
    .execute();

  await db.schema
    .createTable('user_licenses')
    .addColumn('account_id', 'integer', account)
    .addColumn('user_id', 'integer', user)
    .addColumn('app', 'text', (col) => col.notNull())
    .addColumn('granted_at', timestamp, (col) => col.notNull())
    .addPrimaryKeyConstraint('user_licenses_pk', ['user_id', 'app'])
    .execute();
  await db.schema.createIndex('user_licenses_account_app').on('user_licenses').columns(['account_id', 'app']).execute();

  // Optional per-user settings; a user without a row has the defaults.
  await db.schema
    .createTable('user_app_settings')
    .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', account)
    .addColumn('chat_status', 'text', (col) => col.notNull().defaultTo('available'))
    .addColumn('chat_limit', 'integer', (col) => col.notNull().defaultTo(-1))
    .addColumn('chat_tag', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('analysis_enabled', 'smallint', (col) => col.notNull().defaultTo(1))
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', account)
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('token_hint', 'text', (col) => col.notNull())
    .addColumn('created_by', 'integer')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('last_used_at', timestamp)
    .execute();
  await db.schema.createIndex('api_keys_account').on('api_keys').column('account_id').execute();

  // The user's licensed applications, kept beside the user so every list page shows them without a join.
  await db.schema
    .alterTable('users')
    .addColumn('license_apps', 'text', (col) => col.notNull().defaultTo('[]'))
    .execute();

  // Seats follow licenses, also when a user's deletion cascades to their licenses.
  if (pg) {
    await sql
      .raw(`
      create function user_licenses_seats() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update license_pools set used = used + 1 where account_id = new.account_id and app = new.app and kind = 'seats';
        else
          update license_pools set used = used - 1 where account_id = old.account_id and app = old.app and kind = 'seats';
        end if;
        return null;
      end $$`)
      .execute(db);
    await sql`create trigger user_licenses_seats after insert or delete on user_licenses
      for each row execute function user_licenses_seats()`.execute(db);
  } else {
    await sql`create trigger user_licenses_seat_take after insert on user_licenses begin
      update license_pools set used = used + 1 where account_id = new.account_id and app = new.app and kind = 'seats';
    end`.execute(db);
    await sql`create trigger user_licenses_seat_free after delete on user_licenses begin
      update license_pools set used = used - 1 where account_id = old.account_id and app = old.app and kind = 'seats';
    end`.execute(db);
  }
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`drop trigger if exists user_licenses_seats on user_licenses`.execute(db);
    await sql`drop function if exists user_licenses_seats()`.execute(db);
  } else {
    await sql`drop trigger if exists user_licenses_seat_take`.execute(db);
    await sql`drop trigger if exists user_licenses_seat_free`.execute(db);
  }
  await db.schema.alterTable('users').dropColumn('license_apps').execute();
  for (const table of [
    'api_keys',
    'user_app_settings',
    'user_licenses',
    'license_pools',
    'user_roles',
    'role_catalogs',
    'role_children',
    'roles',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
