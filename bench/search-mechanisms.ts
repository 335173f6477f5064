// What each search mechanism is worth: the large account's searches asked of the search module with one mechanism
// turned off at a time, every variant asked the same searches in rotation, in one process (an A/B of the mechanisms,
// not the speed targets, which bench/directory.ts measures over HTTP with each query asked once).
//
//   BENCH_SEARCH_URL=<database> node --import tsx bench/search-mechanisms.ts
//
// The database is the one bench/directory.ts builds (its account `big`); without one (or without that account), the
// script seeds BENCH_USERS realistic people (1,000,000) into a new one first. BENCH_PER_KIND searches of each kind
// (100), BENCH_VARIANTS names the variants (all of the database's). A variant that needs an index the migrations no
// longer make (PostgreSQL's one trigram index of every account) builds it before the searches and drops it after; it
// differs from `all` only where other accounts share the tables, as in bench/directory.ts's database.
import { sql } from 'kysely';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../server/db/index.js';
import type { Actor } from '../server/policy.js';
import { DEFAULT_TUNING, type SearchTuning } from '../server/search/contract.js';
import { UserList } from '../server/search/list.js';
import { type BulkUser, insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { generatePeople, random } from './data.js';
import { benchDatabase } from './databases.js';
import { QUERY_KINDS, sampleQueries } from './people/queries.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const PER_KIND = Number(process.env.BENCH_PER_KIND ?? 100);

type Adapter = UserList['search'] & Record<string, unknown>;
/** Turns off a mechanism of the scope an adapter's search returns. */
const withoutScope = (field: string) => (adapter: Adapter) => {
  const search = adapter.search.bind(adapter);
  adapter.search = async (request) => Object.assign(await search(request), { [field]: undefined });
};
/** A window plan without its window: the sort index walked until the page fills, however far that is. */
const walkUntilFilled = (adapter: Adapter) => {
  adapter.window = async (reader, after, n) => {
    const q = reader.ordered(reader.from(reader.scope.where(reader.db.selectFrom('users')), after));
    return { rows: await reader.run(q, n), filled: true };
  };
};
/**
 * PostgreSQL: a search reading one trigram index of every account's users, as before migration 0026, instead of its
 * account's part. The index is built for the run (and dropped after it); the account is then pinned without its part.
 */
const oneTrigramIndex = (adapter: Adapter) => {
  adapter.inAccount = (accountId, pinned) =>
    pinned ? sql<boolean>`(users.account_id + 0) = ${accountId}` : sql<boolean>`users.account_id = ${accountId}`;
};
const VARIANTS: Record<
  string,
  {
    tuning?: Partial<SearchTuning>;
    patch?: (adapter: Adapter) => void;
    /** An index of users the variant reads, built for the run. */
    index?: { name: string; definition: string };
    dialect?: string;
  }
> = {
  all: {},
  // Both databases.
  'no window (walk until the page fills)': { patch: walkUntilFilled },
  'no candidates-first plan': { tuning: { selectiveCandidates: 0 } },
  // SQLite.
  'no name order from the (id name_key) index': { patch: withoutScope('idsInNameOrder') },
  'no next window': { tuning: { nextWindows: false }, dialect: 'sqlite' },
  // PostgreSQL.
  'one trigram index': {
    patch: oneTrigramIndex,
    index: { name: 'users_search_trgm', definition: 'using gin (search_doc gin_trgm_ops)' },
    dialect: 'postgres',
  },
  'no sample': { tuning: { sampleMinUsers: Number.MAX_SAFE_INTEGER } },
  'no walk on': { tuning: { walkedPerSorted: 0 } },
  // Without the row test, the window is walked as on SQLite (its bound first) and there is no walk on.
  'no one-query walk': { patch: withoutScope('hitTest') },
  // A count still stops at once when the window alone passed the cap.
  'no walking on to count': { tuning: { denseCountBudget: 0 } },
  'no totals from the departments': { tuning: { departmentTotals: false }, dialect: 'postgres' },
  'no word-start table': { tuning: { wordStartTable: false }, dialect: 'postgres' },
};

async function seeded(handle: DatabaseHandle): Promise<number> {
  await migrateToLatest(handle);
  const found = await handle.db.selectFrom('accounts').select('id').where('slug', '=', 'big').executeTakeFirst();
  if (found) return found.id;
  const ctx = createContext({ ...loadConfig({}), databaseUrl: '' }, handle);
  const big = await ctx.accounts.create({ name: 'Big contact center', slug: 'big', owner: { username: 'owner' } });
  console.log(`seeding ${USERS.toLocaleString('en')} users`);
  await insertUsersInBulk(handle, big.account.id, generatePeople(USERS, 1));
  if (handle.dialect === 'postgres') await sql`vacuum analyze`.execute(handle.db);
  return big.account.id;
}

const owned = process.env.BENCH_SEARCH_URL ? null : await benchDatabase('sqlite', 'search-mechanisms');
const url = process.env.BENCH_SEARCH_URL ?? owned?.url ?? '';
const handle = openDatabase(url, { poolSize: 4 });
/** Indexes built for variants, dropped at the end. */
const built: string[] = [];
try {
  const accountId = await seeded(handle);
  const actor: Actor = { userId: 0, accountId, username: 'bench', accessType: 'admin', isOwner: true };
  const names =
    process.env.BENCH_VARIANTS?.split(',') ??
    Object.keys(VARIANTS).filter((name) => (VARIANTS[name]?.dialect ?? handle.dialect) === handle.dialect);
  for (const name of names) {
    const index = VARIANTS[name]?.index;
    if (index) {
      console.log(`building the index of variant "${name}"`);
      // One left by a run that was stopped before it dropped it.
      await sql`drop index if exists ${sql.id(index.name)}`.execute(handle.db);
      await sql`create index ${sql.id(index.name)} on users ${sql.raw(index.definition)}`.execute(handle.db);
      built.push(index.name);
    }
  }
  const lists = new Map<string, UserList>();
  for (const name of names) {
    const variant = VARIANTS[name];
    if (!variant) throw new Error(`No variant ${name}: ${Object.keys(VARIANTS).join(', ')}`);
    const list = new UserList(handle, () => new Date(), { ...DEFAULT_TUNING, ...variant.tuning });
    variant.patch?.(list.search as Adapter);
    await list.readSearchSample(accountId);
    lists.set(name, list);
  }
  // The queries come from a sample of the people the account was seeded with, in a shuffled order.
  const sample: BulkUser[] = [];
  const pick = random(99);
  let seen = 0;
  for (const person of generatePeople(USERS, 1)) {
    seen++;
    if (sample.length < 20_000) sample.push(person);
    else {
      const at = Math.floor(pick() * seen);
      if (at < 20_000) sample[at] = person;
    }
  }
  const queries = sampleQueries(sample, PER_KIND, 7);
  const shuffle = random(5);
  for (let k = queries.length - 1; k > 0; k--) {
    const j = Math.floor(shuffle() * (k + 1));
    [queries[k], queries[j]] = [queries[j] as (typeof queries)[number], queries[k] as (typeof queries)[number]];
  }
  // A warm-up with other queries, so the first kinds do not pay for a cold cache alone.
  const first = lists.get(names[0] as string) as UserList;
  for (const query of sampleQueries(sample, 20, 1234)) await first.list(actor, { q: query.text, limit: 25 });
  const times = new Map<string, number[]>();
  for (const [i, query] of queries.entries()) {
    // Each query asks the variants in a rotated order, so none is always first to read a page.
    const order = [...names.slice(i % names.length), ...names.slice(0, i % names.length)];
    for (const name of order) {
      const started = performance.now();
      await (lists.get(name) as UserList).list(actor, { q: query.text, limit: 25 });
      const key = `${name}\u0000${query.kind}`;
      times.set(key, [...(times.get(key) ?? []), performance.now() - started]);
    }
  }
  console.log(`${handle.dialect}, ${PER_KIND} searches of each kind, p50 / p95 / p99 in ms`);
  console.log(`| Query kind | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---').join('|')}|`);
  for (const kind of QUERY_KINDS) {
    const cells = names.map((name) => {
      const sorted = (times.get(`${name}\u0000${kind}`) ?? []).sort((a, b) => a - b);
      const at = (p: number) => (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN).toFixed(1);
      return `${at(0.5)} / ${at(0.95)} / ${at(0.99)}`;
    });
    console.log(`| ${kind} | ${cells.join(' | ')} |`);
  }
} finally {
  for (const index of built) await sql`drop index ${sql.id(index)}`.execute(handle.db);
  await handle.close();
  await owned?.stop();
}
