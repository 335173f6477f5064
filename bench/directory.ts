// The directory benchmark (`npm run bench` runs it first): one account of BENCH_USERS people (1,000,000 by default)
// and BENCH_SMALL_ACCOUNTS accounts of BENCH_SMALL_USERS (1,000 of 1,000) in one database, on SQLite and PostgreSQL,
// with names, emails, phones and departments of realistic frequencies (bench/people). Search queries are drawn from
// each account's own people, every one asked once in a shuffled order (the first request after the seed is measured
// too), and reported per kind; then list pages (sorted, filtered, deep, last), each path once. The Roster server runs
// in a process of its own; this script seeds the database and is the load generator. BENCH_DB, BENCH_QUERIES and
// BENCH_SMALL_QUERIES (queries per kind) change the run; it prints a markdown table.
import { sql } from 'kysely';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../server/db/index.js';
import { startServer } from '../server/main.js';
import { encodeCursorValues } from '../server/search/order.js';
import { type BulkUser, insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { foldText } from '../shared/search-text.js';
import { signedInClient } from '../test/support/server.js';
import { generatePeople, random } from './data.js';
import { benchDatabase } from './databases.js';
import { DEPARTMENTS_BY_SIZE } from './people/generate.js';
import { letterRuns, QUERY_KINDS, type Query, sampleQueries } from './people/queries.js';
import { childProcess } from './processes.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const SMALL_ACCOUNTS = Number(process.env.BENCH_SMALL_ACCOUNTS ?? 1000);
const SMALL_USERS = Number(process.env.BENCH_SMALL_USERS ?? 1000);
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const SMALL_QUERIES = Number(process.env.BENCH_SMALL_QUERIES ?? 100);
/** Small accounts whose admins search (their queries are spread over them). */
const SEARCHED_SMALL_ACCOUNTS = Math.min(SMALL_ACCOUNTS, 20);
/** People of the large account the queries are drawn from (a uniform sample of the stream). */
const SAMPLE = 20_000;
const PASSWORD = 'Bench-pass-2026!';
const NO_MATCH: Query['kind'] = 'no match (a typo)';

interface Row {
  db: Dialect;
  scenario: string;
  p50: number;
  p95: number;
  p99: number;
  note: string;
}
const results: Row[] = [];
const facts: string[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

type Api = (path: string) => Promise<Response>;

interface Asked {
  path: string;
  label: string;
  api: Api;
}

interface Answer {
  asked: Asked;
  ms: number;
  total: number;
}

/** Asks every path once, in the given order, and returns each answer's time and reported total. */
async function askOnce(list: Asked[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const asked of list) {
    const start = performance.now();
    const response = await asked.api(asked.path);
    const body = await response.text();
    const ms = performance.now() - start;
    if (response.status !== 200) throw new Error(`${asked.path}: ${response.status} ${body.slice(0, 200)}`);
    answers.push({ asked, ms, total: Number(/"total":(\d+)/.exec(body)?.[1] ?? Number.NaN) });
  }
  return answers;
}

/** One row per label, in `labels` order. */
function report(dialect: Dialect, prefix: string, answers: Answer[], labels: readonly string[]) {
  for (const label of labels) {
    const mine = answers.filter((a) => a.asked.label === label);
    if (mine.length === 0) continue;
    const times = mine.map((a) => a.ms).sort((a, b) => a - b);
    const none = mine.filter((a) => a.total === 0).length;
    const found = !mine[0]?.asked.path.includes('q=')
      ? ''
      : label === NO_MATCH
        ? `; ${mine.length - none} found someone`
        : `; ${none} found nobody`;
    const row = {
      db: dialect,
      scenario: `${prefix}: ${label}`,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      p99: percentile(times, 99),
      note: `${mine.length} ${found ? 'queries' : 'pages'}, each once${found}`,
    };
    results.push(row);
    console.log(
      `  ${row.scenario}: p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms (${row.note})`,
    );
    if (process.env.BENCH_VERBOSE)
      for (const a of [...mine].sort((x, y) => y.ms - x.ms).slice(0, 3))
        console.log(`    slow: ${a.ms.toFixed(1)} ms ${decodeURIComponent(a.asked.path)} (${a.total})`);
  }
}

function shuffled<T>(list: T[], seed: number): T[] {
  const next = random(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Passes `source` through, keeping a uniform sample of `size` people and the data's shape in `stats`. */
function* sampled(source: Iterable<BulkUser & { locale?: string }>, sample: BulkUser[], size: number, stats: Stats) {
  const next = random(99);
  let seen = 0;
  for (const user of source) {
    seen++;
    if (sample.length < size) sample.push(user);
    else {
      const at = Math.floor(next() * seen);
      if (at < size) sample[at] = user;
    }
    stats.surnames.set(user.lastName ?? '', (stats.surnames.get(user.lastName ?? '') ?? 0) + 1);
    stats.locales.add(user.locale ?? '');
    for (const run of letterRuns(user)) stats.letterRuns.add(run);
    const domain = user.email?.split('@')[1] ?? '';
    stats.domains.set(domain, (stats.domains.get(domain) ?? 0) + 1);
    yield user;
  }
}

interface Stats {
  surnames: Map<string, number>;
  locales: Set<string>;
  domains: Map<string, number>;
  /** Every run of letters in the large account's search documents (a typo query must match none of them). */
  letterRuns: Set<string>;
}

const searchPath = (text: string) => `/users?q=${encodeURIComponent(text)}&limit=25`;

async function countMatches(handle: DatabaseHandle, accountId: number, term: string): Promise<number> {
  const find = handle.dialect === 'sqlite' ? sql`instr(search_doc, ${term}) > 0` : sql`strpos(search_doc, ${term}) > 0`;
  const row = await handle.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where(find.$castTo<boolean>())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface Owner {
  slug: string;
  oneTimePassword: string;
}

/** Seeds the accounts; returns their owners, the people queries are drawn from and the list pages to ask. */
async function seed(url: string, dialect: Dialect) {
  const handle = openDatabase(url, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig({}), databaseUrl: url }, handle);
    const big = await ctx.accounts.create({ name: 'Big contact center', slug: 'big', owner: { username: 'owner' } });
    const sample: BulkUser[] = [];
    const stats: Stats = { surnames: new Map(), locales: new Set(), domains: new Map(), letterRuns: new Set() };
    const started = performance.now();
    await insertUsersInBulk(handle, big.account.id, sampled(generatePeople(USERS, 1), sample, SAMPLE, stats));
    const bigSeconds = (performance.now() - started) / 1000;
    const searched = new Map<number, BulkUser[]>();
    const every = Math.max(1, Math.floor(SMALL_ACCOUNTS / SEARCHED_SMALL_ACCOUNTS));
    const small: (Owner & { people: BulkUser[] })[] = [];
    const smallStarted = performance.now();
    for (let i = 0; i < SMALL_ACCOUNTS; i++) {
      const account = await ctx.accounts.create({ name: `Small center ${i}`, owner: { username: 'owner' } });
      const people = [...generatePeople(SMALL_USERS, 1000 + i)];
      await insertUsersInBulk(handle, account.account.id, people);
      if (i % every === 0 && small.length < SEARCHED_SMALL_ACCOUNTS) {
        small.push({ slug: account.account.slug, oneTimePassword: account.oneTimePassword, people });
        searched.set(account.account.id, people);
      }
    }
    const smallSeconds = (performance.now() - smallStarted) / 1000;
    // What autovacuum does after a bulk load: statistics, and the visibility map that lets index-only scans skip
    // the table. Then a checkpoint writes the load's pages out, so the first query is not measured while the server
    // writes gigabytes in the background.
    if (dialect === 'postgres') {
      await sql`vacuum analyze`.execute(handle.db);
      // A server named by ROSTER_BENCH_PG_URL may not let the benchmark's role run it (superuser or pg_checkpoint).
      await sql`checkpoint`
        .execute(handle.db)
        .catch((error: Error) => console.log(`  (no checkpoint: ${error.message})`));
    } else await sql`pragma optimize`.execute(handle.db);
    console.log(
      `  seeded ${USERS.toLocaleString('en')} users in ${bigSeconds.toFixed(1)} s, ${SMALL_ACCOUNTS} accounts of ${SMALL_USERS} in ${smallSeconds.toFixed(1)} s`,
    );
    results.push({
      db: dialect,
      scenario: `seed ${USERS.toLocaleString('en')} users`,
      p50: bigSeconds * 1000,
      p95: NaN,
      p99: NaN,
      note: `${Math.round(USERS / bigSeconds).toLocaleString('en')} users/s`,
    });
    const bySurname = [...stats.surnames.values()].sort((a, b) => b - a);
    const byDomain = [...stats.domains.entries()].sort((a, b) => b[1] - a[1]);
    facts.push(
      `${dialect}: the large account has ${stats.surnames.size.toLocaleString('en')} distinct surnames (the most common ${(((bySurname[0] ?? 0) / USERS) * 100).toFixed(2)}%, the median one held by ${bySurname[Math.floor(bySurname.length / 2)]}), ${stats.locales.size} locales, ${byDomain.length} email domains (${byDomain
        .slice(0, 3)
        .map(([d, n]) => `${d} ${((n / USERS) * 100).toFixed(1)}%`)
        .join(', ')}, the smallest held by ${byDomain.at(-1)?.[1]})`,
    );

    const broad = ['e', 'a', 'an', 'er', 'com', 'ar', 'in', 'son'];
    const broadCounts = await Promise.all(broad.map((t) => countMatches(handle, big.account.id, foldText(t))));
    const broadTerms = broad.filter((_, i) => (broadCounts[i] ?? 0) > USERS / 10);
    const lists = await listPaths(handle, big.account.id);
    return { big, small, sample, broadTerms, letterRuns: stats.letterRuns, lists };
  } finally {
    await handle.close();
  }
}

/** Sorted and filtered list pages of the large account: first pages, deep pages (by cursor) and last pages. */
async function listPaths(handle: DatabaseHandle, accountId: number) {
  const sorts = [
    { sort: 'name', key: sql`name_key` },
    { sort: 'email', key: sql`email` },
    { sort: 'department', key: sql`department` },
    { sort: 'createdAt', key: sql`created_at` },
  ];
  const filters = [
    { filter: '', where: sql`1 = 1` },
    { filter: '&status=active', where: sql`status = 'active'` },
    { filter: '&status=inactive', where: sql`status = 'inactive'` },
    { filter: '&accessType=standard', where: sql`access_type = 'standard'` },
    { filter: '&enabled=true', where: sql`enabled = 1` },
    {
      filter: `&department=${encodeURIComponent(DEPARTMENTS_BY_SIZE[2] as string)}`,
      where: sql`department = ${DEPARTMENTS_BY_SIZE[2]}`,
    },
  ];
  const first: string[] = [];
  const last: string[] = [];
  const deep: string[] = [];
  const next = random(17);
  for (const s of sorts)
    for (const order of ['asc', 'desc'])
      for (const f of filters) {
        const base = `/users?sort=${s.sort}&order=${order}${f.filter}&limit=25`;
        first.push(base);
        last.push(`${base}&last=true`);
        // A page deep in the list, somewhere between a tenth and nine tenths of it.
        const matching = await sql<{
          n: number;
        }>`select count(*) as n from users where account_id = ${accountId} and ${f.where}`.execute(handle.db);
        const at = Math.floor(Number(matching.rows[0]?.n ?? 0) * (0.1 + 0.8 * next()));
        const row = await sql<{
          k: string | number;
          id: number;
        }>`select ${s.key} as k, id from users where account_id = ${accountId} and ${f.where} order by ${s.key} ${sql.raw(order)}, id ${sql.raw(order)} limit 1 offset ${at}`.execute(
          handle.db,
        );
        const hit = row.rows[0];
        if (hit) deep.push(`${base}&cursor=${encodeCursorValues([hit.k, hit.id], 'next')}`);
      }
  return { first, deep, last };
}

/**
 * Sends a request once more when the connection it went out on was closed without an answer (`other side closed`):
 * the server closes a kept-open connection after 5 s idle, and the load generator, whose heap holds the seed's
 * data, can pause that long collecting it, then reuse the connection just as the server closes it. The server read
 * nothing from it. Two of four PostgreSQL runs of a million users stopped so while signing in to the small accounts.
 */
async function onceMoreIfClosed<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return send();
  }
}

async function signIn(url: string, owner: Owner): Promise<Api> {
  const pending = await onceMoreIfClosed(() => signedInClient(url, owner.slug, 'owner', owner.oneTimePassword));
  await onceMoreIfClosed(() =>
    pending.api('/auth/change-password', {
      method: 'POST',
      body: { currentPassword: owner.oneTimePassword, newPassword: PASSWORD },
    }),
  );
  const { api } = await onceMoreIfClosed(() => signedInClient(url, owner.slug, 'owner', PASSWORD));
  return (path: string) => api(path);
}

async function runDialect(dialect: Dialect) {
  console.log(
    `\n== ${dialect}: ${USERS.toLocaleString('en')} users + ${SMALL_ACCOUNTS} accounts of ${SMALL_USERS.toLocaleString('en')}`,
  );
  const store = await benchDatabase(dialect, 'directory');
  try {
    const data = await seed(store.url, dialect);
    const server = childProcess(import.meta.url, 'server', { BENCH_DB_URL: store.url });
    try {
      const url = `http://127.0.0.1:${await server.ready}`;
      const big = await signIn(url, { slug: 'big', oneTimePassword: data.big.oneTimePassword });
      const large = sampleQueries(data.sample, QUERIES, 7, { letterRuns: data.letterRuns }).map((q) => ({
        path: searchPath(q.text),
        label: q.kind,
        api: big,
      }));
      const small: Asked[] = [];
      for (const [i, account] of data.small.entries()) {
        const api = await signIn(url, account);
        const perKind = Math.max(1, Math.round(SMALL_QUERIES / data.small.length));
        for (const q of sampleQueries(account.people, perKind, 100 + i))
          small.push({ path: searchPath(q.text), label: q.kind, api });
      }
      // Kinds interleaved as people would ask them; the large account's first query is the server's first search.
      report(dialect, 'large account', await askOnce(shuffled(large, 3)), QUERY_KINDS);
      report(dialect, `small accounts (${data.small.length} searched)`, await askOnce(shuffled(small, 4)), QUERY_KINDS);

      const broadLabel = `term matching >10% of users (${data.broadTerms.join(', ')})`;
      const broad = data.broadTerms.map((t) => ({ path: searchPath(t), label: broadLabel, api: big }));
      report(dialect, 'large account', await askOnce(broad), [broadLabel]);
      const lists = [
        ...shuffled(data.lists.first, 5).map((path) => ({ path, label: 'list, sorted + filtered, page 1', api: big })),
        ...shuffled(data.lists.deep, 6).map((path) => ({
          path,
          label: 'list, sorted + filtered, deep page',
          api: big,
        })),
        ...shuffled(data.lists.last, 7).map((path) => ({
          path,
          label: 'list, sorted + filtered, last page',
          api: big,
        })),
      ];
      report(dialect, 'large account', await askOnce(lists), [
        'list, sorted + filtered, page 1',
        'list, sorted + filtered, deep page',
        'list, sorted + filtered, last page',
      ]);
    } finally {
      await server.stop();
    }
  } finally {
    await store.stop();
  }
}

async function main() {
  for (const dialect of DIALECTS) await runDialect(dialect);
  const cell = (n: number) => (Number.isNaN(n) ? '' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(1)} ms`);
  console.log('\n| Database | Scenario | p50 | p95 | p99 | Note |\n|---|---|---|---|---|---|');
  for (const r of results)
    console.log(`| ${r.db} | ${r.scenario} | ${cell(r.p50)} | ${cell(r.p95)} | ${cell(r.p99)} | ${r.note} |`);
  for (const fact of facts) console.log(`\n${fact}`);
}

/** The Roster server, as it runs in production, in this process (forked by the load generator). */
async function serveRoster() {
  const running = await startServer(
    { ...loadConfig({}), databaseUrl: process.env.BENCH_DB_URL as string, host: '127.0.0.1', port: 0 },
    () => {},
  );
  process.send?.({ port: Number(new URL(running.url).port) });
  process.on('message', async () => {
    await running.close();
    process.exit(0);
  });
}

if (process.env.BENCH_ROLE === 'server') await serveRoster();
else await main();
