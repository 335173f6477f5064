// Directory sync: each run of a connection (full or incremental, preview or real) with its counts, errors and
// progress; what a connection does with users gone from the directory, how often it runs on its own, and where its
// last incremental sync stopped; and the links from directory entries (by external id) to Roster's users and groups.
import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

const COUNTS = [
  'created',
  'updated',
  'disabled',
  'enabled',
  'deleted',
  'unchanged',
  'skipped',
  'errors',
  'groups_created',
  'groups_updated',
  'groups_deleted',
  'memberships_changed',
] as const;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';

  // disable (the default), delete or keep: what a sync does with users gone from the directory or its filter.
  await db.schema
    .alterTable('directory_connections')
    .addColumn('missing_users', 'text', (col) => col.notNull().defaultTo('disable'))
    .execute();
  // Minutes between scheduled syncs; null = on demand only.
  await db.schema.alterTable('directory_connections').addColumn('schedule_minutes', 'integer').execute();
  // The highest modifyTimestamp (uSNChanged on Active Directory) the last successful sync read: an incremental sync
  // asks for entries changed since. Null until a sync succeeds.
  await db.schema.alterTable('directory_connections').addColumn('high_water_mark', 'text').execute();
  // 1: the users it synced sign in with their directory password (an LDAP bind as their entry), not a Roster one.
  await db.schema
    .alterTable('directory_connections')
    .addColumn('password_sign_in', 'smallint', (col) => col.notNull().defaultTo(0))
    .execute();

  let runs = db.schema
    .createTable('directory_sync_runs')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('connection_id', 'integer', (col) =>
      col.notNull().references('directory_connections.id').onDelete('cascade'),
    )
    // full or incremental.
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('preview', 'smallint', (col) => col.notNull().defaultTo(0))
    // running, succeeded or failed.
    .addColumn('status', 'text', (col) => col.notNull())
    // Who started it; null = the schedule.
    .addColumn('started_by', 'integer')
    .addColumn('started_at', timestamp, (col) => col.notNull())
    // A running run's process writes it as it goes: a run whose process died stops being "running" once it is old.
    .addColumn('heartbeat_at', timestamp, (col) => col.notNull())
    .addColumn('finished_at', timestamp);
  for (const count of COUNTS) runs = runs.addColumn(count, 'integer', (col) => col.notNull().defaultTo(0));
  await runs
    .addColumn('progress_done', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('progress_total', 'integer', (col) => col.notNull().defaultTo(0))
    // JSON arrays of { dn, message }: the entries a run could not sync, and what it synced differently (flattened).
    .addColumn('errors_json', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('warnings_json', 'text', (col) => col.notNull().defaultTo('[]'))
    // Why a failed run stopped.
    .addColumn('message', 'text')
    .execute();
  await db.schema
    .createIndex('directory_sync_runs_connection')
    .on('directory_sync_runs')
    .columns(['connection_id', 'id'])
    .execute();
  // One run of a connection at a time, whichever process starts it.
  await sql`create unique index directory_sync_runs_one_running on directory_sync_runs (connection_id) where status = 'running'`.execute(
    db,
  );

  // A user a connection created or took over: matched by the entry's external id (entryUUID, objectGUID...),
  // never by a username that may have been reused; the DN is where the entry was last seen (group members are DNs).
  await db.schema
    .createTable('directory_user_links')
    .addColumn('connection_id', 'integer', (col) =>
      col.notNull().references('directory_connections.id').onDelete('cascade'),
    )
    .addColumn('external_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull().unique().references('users.id').onDelete('cascade'))
    .addColumn('dn', 'text', (col) => col.notNull())
    // The sync disabled the user (gone from the directory, or disabled there): only such a user is enabled again
    // when the entry comes back; one an admin disabled stays so.
    .addColumn('disabled_by_sync', 'smallint', (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('directory_user_links_pk', ['connection_id', 'external_id'])
    .execute();

  // A Roster group a directory group maps to, by the group's external id.
  await db.schema
    .createTable('directory_group_links')
    .addColumn('connection_id', 'integer', (col) =>
      col.notNull().references('directory_connections.id').onDelete('cascade'),
    )
    .addColumn('external_id', 'text', (col) => col.notNull())
    .addColumn('group_id', 'integer', (col) => col.notNull().unique().references('groups.id').onDelete('cascade'))
    .addColumn('dn', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('directory_group_links_pk', ['connection_id', 'external_id'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('directory_group_links').execute();
  await db.schema.dropTable('directory_user_links').execute();
  await db.schema.dropTable('directory_sync_runs').execute();
  for (const column of ['password_sign_in', 'high_water_mark', 'schedule_minutes', 'missing_users']) {
    await db.schema.alterTable('directory_connections').dropColumn(column).execute();
  }
}
