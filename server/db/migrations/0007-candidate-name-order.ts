// SQLite: a small index of (id, name_key), so that many search candidates can be put in name order without reading
// each user's row (the FTS index gives ids; this index gives their sort keys).
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await db.schema.createIndex('users_id_name').on('users').columns(['id', 'name_key']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await db.schema.dropIndex('users_id_name').execute();
}
