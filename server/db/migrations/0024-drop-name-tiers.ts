// PostgreSQL: the trigram index held, beside each search document, where its user stands in name order (migration
// 0009), so that a two-letter search whose matches start far down the name order (`mu`) could sort the few candidates
// before them from the index alone and walk the rest. On directories with real name frequencies a two-letter term
// occurs in names all along the order, that path rarely ran, and turning it off changed no query kind's times beyond
// run-to-run variation; a search past its first window now walks on instead (see docs/architecture.md, *Search
// plans*). The index is a plain trigram index again.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';
import { up as addNameTiers } from './0009-search-name-tiers.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create index users_search_trgm on users using gin (search_doc gin_trgm_ops)`.execute(db);
  await db.schema.dropIndex('users_search').execute();
  await sql`drop function roster_name_tiers(text)`.execute(db);
}

// Back to migration 0009's index, exactly as that migration made it.
export async function down(db: Db, dialect: Dialect): Promise<void> {
  await addNameTiers(db, dialect);
}
