// The directory benchmark (`npm run bench` runs it first): seeds 1,000,000 users (plus 10 small accounts) on SQLite and PostgreSQL and measures the
// user list and search through the HTTP API. Prints a markdown table; BENCH_USERS and BENCH_DB change the run.
import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import { createApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../server/db/index.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { encodeCursorValues } from '../server/services/users.js';
import { foldText } from '../shared/search-text.js';
import { signedInClient } from '../test/support/server.js';
import { DEPARTMENTS, FIRST_NAMES, generateUsers, LAST_NAMES, random } from './data.js';
import { benchDatabase } from './databases.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const PASSWORD = 'Bench-pass-2026!';

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

async function measure(
  dialect: Dialect,
  scenario: string,
  paths: string[],
  call: (path: string) => Promise<Response>,
  note = '',
) {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS + 20; i++) {
    const path = paths[i % paths.length] as string;
    const start = performance.now();
    const response = await call(path);
    const body = await response.text();
    const ms = performance.now() - start;
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${body.slice(0, 200)}`);
    if (i >= 20) times.push(ms);
  }
  const slowest = times
    .map((ms, i) => ({ ms, path: paths[(i + 20) % paths.length] as string }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3);
  if (process.env.BENCH_VERBOSE)
    for (const s of slowest) console.log(`    slow: ${s.ms.toFixed(1)} ms ${decodeURIComponent(s.path)}`);
  times.sort((a, b) => a - b);
  const row = {
    db: dialect,
    scenario,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    note,
  };
  results.push(row);
  console.log(
    `  ${scenario}: p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms ${note}`,
  );
}

const ascii = (value: string) => foldText(value).replace(/[^a-z]/g, '');

function searchQueries() {
  const next = random(7);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  const one: string[] = [];
  const two: string[] = [];
  const three: string[] = [];
  const twoLetter: string[] = [];
  for (let i = 0; i < 60; i++) {
    const first = ascii(pick(FIRST_NAMES));
    const last = ascii(pick(LAST_NAMES));
    const dept = ascii(pick(DEPARTMENTS));
    one.push(
      [
        first.slice(0, 3 + (i % 4)),
        last.slice(0, 4),
        `@${pick(['acme', 'globex', 'gmail', 'hooli', 'tyrell'])}`,
        dept.slice(0, 5),
      ][i % 4] as string,
    );
    two.push(`${first.slice(0, 2)} ${last.slice(0, 3)}`);
    three.push(`${first.slice(0, 3)} ${last.slice(0, 3)} ${dept.slice(0, 3)}`);
    twoLetter.push(i % 2 ? first.slice(0, 2) : last.slice(0, 2));
  }
  return { one, two, three, twoLetter };
}

async function countMatches(handle: DatabaseHandle, accountId: number, terms: string[]): Promise<number> {
  let q = handle.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId);
  for (const term of terms) q = q.where(sql<boolean>`strpos(search_doc, ${term}) > 0`.$castTo<boolean>());
  if (handle.dialect === 'sqlite') {
    q = handle.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId);
    for (const term of terms) q = q.where(sql<boolean>`instr(search_doc, ${term}) > 0`.$castTo<boolean>());
  }
  return Number((await q.executeTakeFirstOrThrow()).n);
}

async function runDialect(dialect: Dialect) {
  console.log(`\n== ${dialect}: ${USERS.toLocaleString('en')} users`);
  const store = await benchDatabase(dialect, 'directory');
  const handle = openDatabase(store.url, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig({}), databaseUrl: store.url }, handle);
    for (let i = 0; i < 10; i++) {
      const small = await ctx.accounts.create({ name: `Small center ${i}`, owner: { username: 'owner' } });
      await insertUsersInBulk(handle, small.account.id, generateUsers(100, 100 + i));
    }
    const big = await ctx.accounts.create({ name: 'Big contact center', slug: 'big', owner: { username: 'owner' } });
    const started = performance.now();
    await insertUsersInBulk(handle, big.account.id, generateUsers(USERS, 1));
    const seedSeconds = (performance.now() - started) / 1000;
    // What autovacuum does after a bulk load: statistics, and the visibility map that lets index-only scans skip
    // the table (PostgreSQL 13+ vacuums insert-only tables too). Then a checkpoint writes the load's pages out, so the
    // first scenario is not measured while the server writes gigabytes in the background.
    if (dialect === 'postgres') {
      await sql`vacuum analyze`.execute(handle.db);
      // A server named by ROSTER_BENCH_PG_URL may not let the benchmark's role run it (superuser or pg_checkpoint).
      await sql`checkpoint`
        .execute(handle.db)
        .catch((error: Error) => console.log(`  (no checkpoint: ${error.message})`));
    } else await sql`pragma optimize`.execute(handle.db);
    console.log(`  seeded in ${seedSeconds.toFixed(1)} s`);
    results.push({
      db: dialect,
      scenario: `seed ${USERS.toLocaleString('en')} users`,
      p50: seedSeconds * 1000,
      p95: NaN,
      p99: NaN,
      note: `${Math.round(USERS / seedSeconds).toLocaleString('en')} users/s`,
    });

    const app = createApp(ctx);
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    // Pauses between scenarios (finding deep cursors) must not close the client's keep-alive connection.
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 120_000;
    await new Promise((r) => server.once('listening', r));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const pending = await signedInClient(url, 'big', 'owner', big.oneTimePassword);
    await pending.api('/auth/change-password', {
      method: 'POST',
      body: { currentPassword: big.oneTimePassword, newPassword: PASSWORD },
    });
    const { api } = await signedInClient(url, 'big', 'owner', PASSWORD);
    const get = (path: string) => api(path);

    const q = searchQueries();
    const broad = ['com', 'an', 'e', 'ar', 'son'];
    const broadCounts = await Promise.all(broad.map((t) => countMatches(handle, big.account.id, [foldText(t)])));
    facts.push(
      `${dialect}: broad terms ${broad.map((t, i) => `"${t}" ${broadCounts[i]?.toLocaleString('en')}`).join(', ')} matches`,
    );
    const search = (terms: string[]) => terms.map((t) => `/users?q=${encodeURIComponent(t)}&limit=25`);
    await measure(dialect, 'search, 1 term (3-6 letters)', search(q.one), get);
    await measure(dialect, 'search, 2 terms ("jo smi")', search(q.two), get);
    await measure(dialect, 'search, 3 terms (first last dept)', search(q.three), get);
    await measure(dialect, 'search, 2-letter term', search(q.twoLetter), get);
    const broadPaths = search(broad.filter((_, i) => (broadCounts[i] ?? 0) > 100_000));
    const sample = (await (await get(broadPaths[0] as string)).json()) as { total: number; totalExact: boolean };
    const reported = `${sample.totalExact ? '' : 'at least '}${sample.total.toLocaleString('en')}`;
    await measure(dialect, 'search, term matching >100k users', broadPaths, get, `(total reported as ${reported})`);

    const lists = [
      { sort: 'name', order: 'asc', filter: 'status=active', key: sql`name_key`, where: sql`status = 'active'` },
      {
        sort: 'email',
        order: 'desc',
        filter: 'accessType=standard',
        key: sql`email`,
        where: sql`access_type = 'standard'`,
      },
      { sort: 'department', order: 'asc', filter: 'enabled=true', key: sql`department`, where: sql`enabled = 1` },
      {
        sort: 'createdAt',
        order: 'desc',
        filter: 'status=inactive',
        key: sql`created_at`,
        where: sql`status = 'inactive'`,
      },
    ];
    const firstPages = lists.map((l) => `/users?sort=${l.sort}&order=${l.order}&${l.filter}&limit=25`);
    await measure(dialect, 'list, sorted + filtered, page 1', firstPages, get);
    const deepPages: string[] = [];
    for (const l of lists) {
      for (const offset of [250_000, 400_000, 500_000, 600_000]) {
        const at = Math.min(offset, Math.floor(USERS / 2));
        const row = await sql<{
          k: string | number;
          id: number;
        }>`select ${l.key} as k, id from users where account_id = ${big.account.id} and ${l.where} order by ${l.key} ${sql.raw(l.order)}, id ${sql.raw(l.order)} limit 1 offset ${at}`.execute(
          handle.db,
        );
        const hit = row.rows[0];
        if (hit)
          deepPages.push(
            `/users?sort=${l.sort}&order=${l.order}&${l.filter}&limit=25&cursor=${encodeCursorValues([hit.k, hit.id], 'next')}`,
          );
      }
    }
    await measure(dialect, 'list, sorted + filtered, deep page (~row 250k-600k)', deepPages, get);
    await measure(
      dialect,
      'list, last page',
      lists.map((l) => `/users?sort=${l.sort}&order=${l.order}&${l.filter}&limit=25&last=true`),
      get,
    );
    await new Promise((r) => server.close(r));
  } finally {
    await handle.close();
    await store.stop();
  }
}

for (const dialect of DIALECTS) await runDialect(dialect);

const cell = (n: number) => (Number.isNaN(n) ? '' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(1)} ms`);
console.log('\n| Database | Scenario | p50 | p95 | p99 | Note |\n|---|---|---|---|---|---|');
for (const r of results)
  console.log(`| ${r.db} | ${r.scenario} | ${cell(r.p50)} | ${cell(r.p95)} | ${cell(r.p99)} | ${r.note} |`);
for (const fact of facts) console.log(`\n${fact}`);
