// Copies on the users row of what an authorization decision reads besides the user: the ids of their role mappings
// (user_roles stays the record) and the voice-analytics analysis switch (user_app_settings stays the record). A
// decision then reads one row per user instead of three lookups.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('role_ids', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('users')
    .addColumn('analysis_enabled', 'smallint', (col) => col.notNull().defaultTo(1))
    .execute();
  const list =
    dialect === 'postgres'
      ? sql`(select string_agg(r.role_id::text, ',' order by r.role_id) from user_roles r where r.user_id = users.id)`
      : sql`(select group_concat(role_id) from (select r.role_id from user_roles r where r.user_id = users.id order by r.role_id))`;
  await sql`update users set role_ids = ${list} where id in (select user_id from user_roles)`.execute(db);
  await sql`update users set analysis_enabled = 0
    where id in (select user_id from user_app_settings where analysis_enabled = 0)`.execute(db);
  // PostgreSQL: pages written from now on keep 10% free, so an update of columns no index holds (these copies, the
  // licenses column, sign-in times) stays on its page (a HOT update) instead of adding an entry to every index of
  // users. Pages written before keep no room until they are rewritten (VACUUM FULL users).
  if (dialect === 'postgres') await sql`alter table users set (fillfactor = 90)`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await sql`alter table users reset (fillfactor)`.execute(db);
  await db.schema.alterTable('users').dropColumn('analysis_enabled').execute();
  await db.schema.alterTable('users').dropColumn('role_ids').execute();
}
