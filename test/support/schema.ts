// What a database's schema is, read from its catalog, in a form two databases can be compared by: on SQLite every
// object of sqlite_master (tables, FTS5 shadow tables, indexes, triggers, views) with its SQL; on PostgreSQL the
// columns, indexes, constraints, triggers, functions, views, sequences and extensions of the database's schema.
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../server/db/index.js';

/** Kysely's own bookkeeping, which is not the application's schema. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

/** SQL text with runs of white space made one space, and none inside parentheses' edges or before commas. */
export function normalizeSql(text: string | null): string | null {
  if (text === null) return null;
  return text.replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').replace(/\s+,/g, ',').trim();
}

export interface SchemaSnapshot {
  [kind: string]: string[];
}

export async function schemaSnapshot(handle: DatabaseHandle): Promise<SchemaSnapshot> {
  return handle.dialect === 'sqlite' ? sqliteSchema(handle) : postgresSchema(handle);
}

async function sqliteSchema(handle: DatabaseHandle): Promise<SchemaSnapshot> {
  const { rows } = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
    select type, name, tbl_name, sql from sqlite_master`.execute(handle.db);
  const out: SchemaSnapshot = {};
  for (const row of rows) {
    if (MIGRATOR_TABLES.includes(row.tbl_name)) continue;
    // SQLite's counters of AUTOINCREMENT tables: made with the first such table and never dropped, not a migration's.
    if (row.name === 'sqlite_sequence') continue;
    out[row.type] ??= [];
    out[row.type]?.push(`${row.tbl_name}.${row.name}: ${normalizeSql(row.sql)}`);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

async function postgresSchema(handle: DatabaseHandle): Promise<SchemaSnapshot> {
  const db = handle.db;
  const lines = async (query: ReturnType<typeof sql<{ line: string }>>) =>
    (await query.execute(db)).rows.map((row) => normalizeSql(row.line) ?? '').sort();
  const excluded = sql.join(MIGRATOR_TABLES.map((name) => sql.lit(name)));
  return {
    columns: await lines(sql<{ line: string }>`
      select table_name || '.' || column_name
        || ' #' || row_number() over (partition by table_name order by ordinal_position) || ': ' || udt_name
        || coalesce('(' || character_maximum_length || ')', '')
        || case when is_nullable = 'NO' then ' not null' else '' end
        || coalesce(' collate ' || collation_name, '')
        || coalesce(' default ' || column_default, '')
        || case when is_identity = 'YES' then ' identity ' || identity_generation else '' end
        || case when is_generated <> 'NEVER' then ' generated ' || coalesce(generation_expression, '') else '' end
        as line
      from information_schema.columns
      where table_schema = current_schema() and table_name not in (${excluded})`),
    tables: await lines(sql<{ line: string }>`
      select c.relname || ': ' || c.relkind::text || case when c.relpersistence = 'u' then ' unlogged' else '' end
        || coalesce(' ' || array_to_string(c.reloptions, ','), '') as line
      from pg_class c
      where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and c.relname not in (${excluded})`),
    indexes: await lines(sql<{ line: string }>`
      select indexname || ': ' || indexdef as line from pg_indexes
      where schemaname = current_schema() and tablename not in (${excluded})`),
    constraints: await lines(sql<{ line: string }>`
      select r.relname || '.' || c.conname || ': ' || pg_get_constraintdef(c.oid)
        || case when c.condeferrable then ' deferrable' else '' end
        || case when c.condeferred then ' initially deferred' else '' end as line
      from pg_constraint c join pg_class r on r.oid = c.conrelid
      where c.connamespace = current_schema()::regnamespace and r.relname not in (${excluded})`),
    triggers: await lines(sql<{ line: string }>`
      select r.relname || '.' || t.tgname || ' (' || t.tgenabled::text || '): ' || pg_get_triggerdef(t.oid) as line
      from pg_trigger t join pg_class r on r.oid = t.tgrelid
      where not t.tgisinternal and r.relnamespace = current_schema()::regnamespace`),
    // Functions an extension installed (pg_trgm's) belong to the extension, listed below with its version.
    functions: await lines(sql<{ line: string }>`
      select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || '): ' || pg_get_functiondef(p.oid) as line
      from pg_proc p
      where p.pronamespace = current_schema()::regnamespace and p.prokind in ('f', 'p')
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`),
    views: await lines(sql<{ line: string }>`
      select viewname || ': ' || definition as line from pg_views where schemaname = current_schema()`),
    sequences: await lines(sql<{ line: string }>`
      select sequence_name || ': ' || data_type || ' ' || start_value || ' ' || increment as line
      from information_schema.sequences where sequence_schema = current_schema()`),
    extensions: await lines(sql<{ line: string }>`
      select extname || ' ' || extversion as line from pg_extension`),
  };
}
