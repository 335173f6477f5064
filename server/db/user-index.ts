// Keeps the search index and the facet counts in step with inserted users. Inserts are indexed here, a batch
// at a time, by every code path that inserts users; updates and deletes are kept by triggers (0001 migration).
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Dialect } from './dialect.js';
import type { Database } from './schema/index.js';

export const ACCOUNT_SPAN = 4294967296; // 2^32: search rowid = account_id * 2^32 + user id

/**
 * PostgreSQL's trigram index of the search documents is made of this many partial indexes, each holding the accounts
 * of one remainder of the account id (migration 0026). A search reads the posting lists of its account's part only,
 * and the rows of its matches in other accounts are not read: one index of every account's users made the large
 * account's searches 1.3-2.0 times slower at p95 (every kind but typos) beside 1,000 accounts of 1,000 users
 * (docs/benchmarks.md).
 */
export const TRIGRAM_PARTS = 16;

/**
 * The test that tells PostgreSQL which part of the trigram index holds an account's users. The remainder is a literal:
 * the planner uses a partial index only for a query whose conditions imply the index's own.
 */
export function trigramPart(accountId: number): RawBuilder<boolean> {
  return sql<boolean>`(users.account_id % ${sql.lit(TRIGRAM_PARTS)}) = ${sql.lit(accountId % TRIGRAM_PARTS)}`;
}

/**
 * PostgreSQL after a write of many users: the users and their addresses are vacuumed and analyzed, as autovacuum would
 * do a minute or so later, and as PostgreSQL's documentation advises after a bulk load. That merges the trigram
 * indexes' pending lists (rows a GIN index takes unsorted, for every search to read through until they are merged),
 * reads the planner's statistics again and marks the pages all-visible. Left to autovacuum, the vacuum ran while the
 * first requests after the load were served, on the same two cores. Measured once after 1,000,000 users: `emails co`
 * p95 59 ms before the pending lists were merged here, 41 ms after.
 */
export async function settlePostgresIndexes(db: Kysely<Database>): Promise<void> {
  await sql`vacuum (analyze) users, user_emails`.execute(db);
}

/** How many users an account has, from its counts by facet (kept by triggers, so no scan of the users table). */
export async function accountUserCount(db: Kysely<Database>, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('user_facets')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), sql.lit(0)).as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** SQLite's full-text tables of users: the search document's, and the email addresses' (migration 0017). */
const FTS_TABLES = ['users_fts', 'user_emails_fts'];
/** SQLite's default for how many segments of a level a full-text table merges as rows come. */
const FTS_AUTOMERGE = 4;

/**
 * Within a SQLite transaction that adds at least as many users as the database had: the full-text tables take the
 * rows without merging their segments as they go (`pause`), and are merged into one segment each at the end
 * (`merge`). Left to merge as rows come, such a write leaves a merge that every later commit carries on a little at
 * a time: measured after 1,000,000 users, each single create's commit took 0.5 ms longer until the tables were merged
 * (4 s). Merging at the end is also faster for the write itself (5.4 s instead of 6 for 537,000 imported users).
 */
export const ftsMerges = {
  pause(conn: { exec(source: string): unknown }): void {
    for (const table of FTS_TABLES) conn.exec(`insert into ${table} (${table}, rank) values ('automerge', 0)`);
  },
  merge(conn: { exec(source: string): unknown }): void {
    for (const table of FTS_TABLES) {
      conn.exec(`insert into ${table} (${table}) values ('optimize')`);
      conn.exec(`insert into ${table} (${table}, rank) values ('automerge', ${FTS_AUTOMERGE})`);
    }
  },
};

export interface InsertedUser {
  id: number;
  account_id: number;
  search_doc: string;
  access_type: string;
  status: string;
  enabled: number;
  department: string;
  source: string;
}

export interface FacetDelta {
  account_id: number;
  access_type: string;
  status: string;
  enabled: number;
  department: string;
  source: string;
  n: number;
}

/** The columns user_facets counts users by (its primary key, with the account). */
export const FACET_COLUMNS = ['account_id', 'access_type', 'status', 'enabled', 'department', 'source'] as const;

/**
 * Counts inserted users by the facet columns, so a batch updates each facet row once. The rows come in one order
 * whatever order the users came in: on PostgreSQL a batch of creates locks the facet rows it counts in this order, and
 * two batches (of two serving processes) that took the same rows in opposite orders would deadlock until PostgreSQL
 * aborted one of them.
 */
export function facetDeltas(rows: Iterable<Omit<InsertedUser, 'id' | 'search_doc'>>): FacetDelta[] {
  const groups = new Map<string, FacetDelta>();
  for (const row of rows) {
    // Separated by a character no facet holds (cheaper than a JSON key: this runs for every row of an import).
    const key = `${row.account_id}\u0000${row.access_type}\u0000${row.status}\u0000${row.enabled}\u0000${row.department}\u0000${row.source}`;
    const group = groups.get(key);
    if (group) group.n += 1;
    else {
      groups.set(key, {
        account_id: row.account_id,
        access_type: row.access_type,
        status: row.status,
        enabled: row.enabled,
        department: row.department,
        source: row.source,
        n: 1,
      });
    }
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, delta]) => delta);
}

export const FACET_UPSERT_SQL = `insert into user_facets (${FACET_COLUMNS.join(', ')}, n)
  values (${FACET_COLUMNS.map(() => '?').join(', ')}, ?)
  on conflict (${FACET_COLUMNS.join(', ')}) do update set n = user_facets.n + excluded.n`;

export const searchRowid = (accountId: number, userId: number) =>
  BigInt(accountId) * BigInt(ACCOUNT_SPAN) + BigInt(userId);

type Executor = Kysely<Database> | Transaction<Database>;

/** Indexes users just inserted through Kysely (single creations, small batches). */
export async function indexInsertedUsers(executor: Executor, dialect: Dialect, rows: InsertedUser[]): Promise<void> {
  await indexSearch(executor, dialect, rows);
  await countFacets(executor, dialect, rows);
}

/** The users' search documents into SQLite's full-text index (PostgreSQL indexes the column itself). */
export async function indexSearch(executor: Executor, dialect: Dialect, rows: InsertedUser[]): Promise<void> {
  if (dialect !== 'sqlite') return;
  for (const row of rows) {
    await sql`insert into users_fts (rowid, doc) values (${row.account_id} * ${ACCOUNT_SPAN} + ${row.id}, ${row.search_doc})`.execute(
      executor,
    );
  }
}

/**
 * Counts users just inserted in the facet counts, one statement per facet row. Call it right after the insert: a later
 * update of a user in the same transaction (an invitation setting the status) moves the user between facet rows
 * through the facet triggers, which need both rows to exist.
 *
 * SQLite adds to the counts at once (one writer at a time). PostgreSQL makes sure the facet row exists (at 0, leaving
 * an existing one alone: an insert that conflicts with a row another transaction is counting in would wait for it)
 * and writes the count when the transaction commits (migration 0018), so concurrent creates in one facet (an
 * account's standard users of one department) wait for each other only while they commit.
 */
export async function countFacets(
  executor: Executor,
  dialect: Dialect,
  rows: Omit<InsertedUser, 'id' | 'search_doc'>[],
): Promise<void> {
  for (const delta of facetDeltas(rows)) {
    if (dialect === 'sqlite') {
      await executor
        .insertInto('user_facets')
        .values(delta)
        .onConflict((oc) =>
          oc.columns([...FACET_COLUMNS]).doUpdateSet((eb) => ({ n: eb('user_facets.n', '+', eb.ref('excluded.n')) })),
        )
        .execute();
      continue;
    }
    const columns = sql.join(FACET_COLUMNS.map((c) => sql.ref(c)));
    const values = sql.join(FACET_COLUMNS.map((c) => delta[c]));
    const key = FACET_COLUMNS.map((column) => sql`${sql.ref(column)} = ${delta[column]}`);
    await sql`with reserved as (
        insert into user_facets (${columns}, n)
        select ${values}, 0
        where not exists (select 1 from user_facets where ${sql.join(key, sql` and `)})
        on conflict (${columns}) do nothing
      )
      insert into user_facet_pending (${columns}, n) values (${values}, ${delta.n})`.execute(executor);
  }
}
