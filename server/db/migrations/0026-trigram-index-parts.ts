// PostgreSQL: the trigram index of the search documents becomes 16 partial indexes, one for each remainder of the
// account id divided by 16 (see TRIGRAM_PARTS). With one index of every account's users, a search read the posting
// lists of its trigrams in every account, then the table rows of their matches in other accounts only to drop them
// for their account: beside 1,000 accounts of 1,000 users, the large account's searches took 1.3-2.0 times as long at
// p95 (every kind but typos) as from a part of the index that holds it and about 60 of the small accounts
// (docs/benchmarks.md). Each user is in one part, so a write updates one index, as before.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Db = Kysely<any>;

/** Fixed here, not read from TRIGRAM_PARTS: a migration makes the indexes of its own time. */
const PARTS = 16;

export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  for (let part = 0; part < PARTS; part++) {
    await sql`create index ${sql.id(`users_search_trgm_${part}`)} on users using gin (search_doc gin_trgm_ops)
      where (account_id % ${sql.lit(PARTS)}) = ${sql.lit(part)}`.execute(db);
  }
  await db.schema.dropIndex('users_search_trgm').execute();
}

export async function down(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create index users_search_trgm on users using gin (search_doc gin_trgm_ops)`.execute(db);
  for (let part = 0; part < PARTS; part++) await db.schema.dropIndex(`users_search_trgm_${part}`).execute();
}
