// An import of a text file remembers the encoding its file was read in (detected, or chosen by the admin).
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('import_jobs').addColumn('encoding', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('import_jobs').dropColumn('encoding').execute();
}
