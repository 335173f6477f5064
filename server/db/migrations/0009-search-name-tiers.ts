// PostgreSQL: the trigram index also holds where each user stands in name order (migration 0024 took this out again),
// so a search whose matches cluster under a surname can prove, from the index alone, that nothing before the
// cluster matches, instead of reading every candidate's row to sort it. It replaces the plain trigram index.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  // A name key's first two characters as a number (each 1-36 for 0-9 and a-z, 0 for anything else or none), in
  // name order, then the numbers of the ranges of 4, 16, ... 1,024 that hold it: tier t is t * 2048 + (head >> 2t).
  await sql`
    create function roster_name_tiers(key text) returns int[] language plpgsql immutable parallel safe as $$
    declare
      head int := strpos('0123456789abcdefghijklmnopqrstuvwxyz', coalesce(nullif(substr(key, 1, 1), ''), '#')) * 37
        + strpos('0123456789abcdefghijklmnopqrstuvwxyz', coalesce(nullif(substr(key, 2, 1), ''), '#'));
    begin
      return array[head, 2048 + (head >> 2), 4096 + (head >> 4), 6144 + (head >> 6), 8192 + (head >> 8),
        10240 + (head >> 10)];
    end
    $$`.execute(db);
  await sql`create index users_search on users using gin (search_doc gin_trgm_ops, roster_name_tiers(name_key))`.execute(
    db,
  );
  await db.schema.dropIndex('users_search_trgm').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
export async function down(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create index users_search_trgm on users using gin (search_doc gin_trgm_ops)`.execute(db);
  await db.schema.dropIndex('users_search').execute();
  await sql`drop function roster_name_tiers(text)`.execute(db);
}
