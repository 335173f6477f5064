// PostgreSQL: the name sort's index also carries the search document, so a search that walks the list in name
// order tests each row from the index alone instead of reading it from the table. It replaces the plain index.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create index users_account_name_doc on users (account_id, name_key, id) include (search_doc)`.execute(db);
  await db.schema.dropIndex('users_account_name').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await db.schema.createIndex('users_account_name').on('users').columns(['account_id', 'name_key', 'id']).execute();
  await db.schema.dropIndex('users_account_name_doc').execute();
}
