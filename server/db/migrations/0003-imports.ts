// Imports: the persisted import jobs (status, counts, progress, problems) and each account's extension range.
import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against an unknown schema on purpose.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (col: ColumnDefinitionBuilder) =>
    pg ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const timestamp = pg ? 'timestamptz' : 'text';
  const count = (col: ColumnDefinitionBuilder) => col.notNull().defaultTo(0);
  const flag = (value: number) => (col: ColumnDefinitionBuilder) => col.notNull().defaultTo(value);

  await db.schema
    .createTable('import_jobs')
    .addColumn('id', 'integer', id)
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_by', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('format', 'text', (col) => col.notNull())
    .addColumn('file_bytes', 'bigint', count)
    // uploaded -> ready (previewed) -> running -> done | failed | cancelled
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('mode', 'text', (col) => col.notNull().defaultTo('create'))
    .addColumn('partial', 'smallint', flag(0))
    .addColumn('has_header', 'smallint', flag(0))
    .addColumn('mapping_json', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('headers_json', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('preview_json', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('problems_json', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('total_rows', 'integer', count)
    .addColumn('bad_rows', 'integer', count)
    .addColumn('problem_count', 'integer', count)
    .addColumn('to_create', 'integer', count)
    .addColumn('to_update', 'integer', count)
    .addColumn('phase', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('processed', 'integer', count)
    .addColumn('created', 'integer', count)
    .addColumn('updated', 'integer', count)
    .addColumn('skipped', 'integer', count)
    .addColumn('generated_passwords', 'integer', count)
    .addColumn('cancel_requested', 'smallint', flag(0))
    .addColumn('message', 'text', (col) => col.notNull().defaultTo(''))
    // The generated passwords, encrypted with a key derived from the importing session (never readable from the
    // database alone); cleared on the one download.
    .addColumn('secrets', pg ? 'bytea' : 'blob')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addColumn('started_at', timestamp)
    .addColumn('finished_at', timestamp)
    .addColumn('heartbeat_at', timestamp)
    .execute();
  await db.schema.createIndex('import_jobs_account').on('import_jobs').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('import_settings')
    .addColumn('account_id', 'integer', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('extension_first', 'integer', (col) => col.notNull())
    .addColumn('extension_last', 'integer', (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addCheckConstraint('import_settings_range', sql`extension_first >= 0 and extension_first <= extension_last`)
    .execute();
}

export async function down(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.dropTable('import_settings').ifExists().execute();
  await db.schema.dropTable('import_jobs').ifExists().execute();
}
