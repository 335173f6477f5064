// Profiles (named permission sets for the admin modules), each user's profile, brute-force lockout counters, and
// statement-level count triggers on PostgreSQL for set-based bulk changes.
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

  if (pg) await statementTriggers(db);
}

const FACETS = ['access_type', 'status', 'enabled', 'department', 'source'];
const FACET_COLUMNS = `account_id, ${FACETS.join(', ')}`;
/** A row whose facet columns changed. */
const MOVED = `(${FACETS.map((c) => `o.${c}`).join(', ')}) is distinct from (${FACETS.map((c) => `n.${c}`).join(', ')})`;
const sameFacet = (alias: string) =>
  ['account_id', ...FACETS].map((c) => `user_facets.${c} = ${alias}.${c}`).join(' and ');

/**
 * On PostgreSQL the facet counts and pool seats were kept by row-level triggers: one update of the same counter row
 * per changed user, which a bulk change of 100,000 users turns into 100,000 versions of one row (each update walks
 * the chain of the ones before). Statement-level triggers with transition tables add up each statement's changes
 * and update every counter row once. SQLite updates rows in place, so its row-level triggers stay.
 */
async function statementTriggers(db: Db): Promise<void> {
  await sql`drop trigger if exists users_facets_update on users`.execute(db);
  await sql`drop trigger if exists users_facets_delete on users`.execute(db);
  await sql`drop trigger if exists user_licenses_seats on user_licenses`.execute(db);
  await sql
    .raw(`
    create function users_facets_delete_rows() returns trigger language plpgsql as $$
    begin
      update user_facets set n = user_facets.n - gone.n
        from (select ${FACET_COLUMNS}, count(*) as n from old_rows group by ${FACET_COLUMNS}) gone
        where ${sameFacet('gone')};
      return null;
    end $$`)
    .execute(db);
  await sql
    .raw(`
    create function users_facets_update_rows() returns trigger language plpgsql
    -- Transition tables have no statistics: without this the planner joins them by nested loops (quadratic).
    set enable_nestloop = off as $$
    begin
      insert into user_facets (${FACET_COLUMNS}, n)
        select ${FACET_COLUMNS}, sum(delta) from (
          select o.account_id, ${FACETS.map((c) => `o.${c}`).join(', ')}, -1 as delta
            from old_rows o join new_rows n on n.id = o.id where ${MOVED}
          union all
          select n.account_id, ${FACETS.map((c) => `n.${c}`).join(', ')}, 1
            from old_rows o join new_rows n on n.id = o.id where ${MOVED}
        ) moves
        group by ${FACET_COLUMNS}
        on conflict (${FACET_COLUMNS}) do update set n = user_facets.n + excluded.n;
      return null;
    end $$`)
    .execute(db);
  await sql`create trigger users_facets_delete after delete on users
    referencing old table as old_rows for each statement execute function users_facets_delete_rows()`.execute(db);
  await sql`create trigger users_facets_update after update on users
    referencing old table as old_rows new table as new_rows for each statement
    execute function users_facets_update_rows()`.execute(db);

  for (const [op, table, sign] of [
    ['insert', 'new_rows', '+'],
    ['delete', 'old_rows', '-'],
  ] as const) {
    await sql
      .raw(`
      create function user_licenses_seats_${op}() returns trigger language plpgsql as $$
      begin
        update license_pools set used = license_pools.used ${sign} changed.n
          from (select account_id, app, count(*) as n from ${table} group by account_id, app) changed
          where license_pools.account_id = changed.account_id and license_pools.app = changed.app
            and license_pools.kind = 'seats';
        return null;
      end $$`)
      .execute(db);
    await sql
      .raw(`create trigger user_licenses_seats_${op} after ${op} on user_licenses
        referencing ${op === 'insert' ? 'new' : 'old'} table as ${table} for each statement
        execute function user_licenses_seats_${op}()`)
      .execute(db);
  }
}

/** Puts back the row-level triggers of 0001 and 0002. */
async function rowTriggers(db: Db): Promise<void> {
  await sql`drop trigger if exists users_facets_update on users`.execute(db);
  await sql`drop trigger if exists users_facets_delete on users`.execute(db);
  await sql`drop trigger if exists user_licenses_seats_insert on user_licenses`.execute(db);
  await sql`drop trigger if exists user_licenses_seats_delete on user_licenses`.execute(db);
  await sql`drop function if exists users_facets_delete_rows()`.execute(db);
  await sql`drop function if exists users_facets_update_rows()`.execute(db);
  await sql`drop function if exists user_licenses_seats_insert()`.execute(db);
  await sql`drop function if exists user_licenses_seats_delete()`.execute(db);
  await sql`create trigger users_facets_delete after delete on users
    for each row execute function users_facets_sync()`.execute(db);
  await sql`create trigger users_facets_update after update of access_type, status, enabled, department, source on users
    for each row when (old.access_type is distinct from new.access_type or old.status is distinct from new.status
      or old.enabled is distinct from new.enabled or old.department is distinct from new.department
      or old.source is distinct from new.source)
    execute function users_facets_sync()`.execute(db);
  await sql`create trigger user_licenses_seats after insert or delete on user_licenses
    for each row execute function user_licenses_seats()`.execute(db);
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await rowTriggers(db);
  await db.schema.dropIndex('users_account_profile').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('locked_until').execute();
  await db.schema.alterTable('users').dropColumn('failed_sign_ins').execute();
  await db.schema.alterTable('users').dropColumn('profile_id').execute();
  await db.schema.dropTable('profiles').ifExists().execute();
}
