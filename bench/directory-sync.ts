// `node --import tsx bench/directory-sync.ts`: issue 18's directory sync targets, on SQLite and PostgreSQL. A real
// OpenLDAP slapd is loaded offline (slapadd) with BENCH_SYNC_USERS people (100,000 by default, bench/people's
// realistic names of 25 locales, accents and escaped commas in their DNs) and BENCH_SYNC_GROUPS groups (1,000; two
// levels, a few of 5,000-20,000 members, most of a few dozen, everyone in one to three). Roster runs in a process of
// its own on a fresh database: the connection is made through the API (StartTLS, a service account that reads page
// by page), a full sync is started through the API and followed until it ends, while a load generator in a third
// process asks the API a steady stream of reads (user list pages, searches drawn from the people, user reads), each
// once. Then BENCH_SYNC_CHANGES entries change in the directory (ldapmodify: 90% renamed, moved to another
// department or given another phone, 5% deleted, 5% added, a tenth of the changed moving between groups) and an
// incremental sync is timed. Every run's counts are checked against what the generator made. It prints a table of
// each measurement against its target.
import { sql } from 'kysely';
import { loadConfig } from '../server/config.js';
import type { Dialect } from '../server/db/dialect.js';
import { openDatabase } from '../server/db/index.js';
import { startServer } from '../server/main.js';
import type { BulkUser } from '../server/services/user-bulk-insert.js';
import { GROUPS_DN, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD } from '../test/support/ldif.js';
import { signedInClient } from '../test/support/server.js';
import { startSlapd } from '../test/support/slapd.js';
import { random } from './data.js';
import { benchDatabase } from './databases.js';
import { buildDirectory, directoryChanges, type LdapPerson } from './directory-ldif.js';
import { sampleQueries } from './people/queries.js';
import { childProcess } from './processes.js';

const USERS = Number(process.env.BENCH_SYNC_USERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_SYNC_GROUPS ?? 1000);
const CHANGES = Number(process.env.BENCH_SYNC_CHANGES ?? 1000);
/** Read requests a second the load generator aims at while the full sync runs (one at a time). */
const RATE = Number(process.env.BENCH_SYNC_RATE ?? 5);
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
/** A folder: the Roster server's CPU profile is written there (`--cpu-prof`). */
const PROFILE = process.env.BENCH_SYNC_PROFILE;
const PASSWORD = 'Bench-pass-2026!';
const CONNECTION = 'Corporate directory';
const TARGETS = {
  full: { sqlite: 60, postgres: 120 } as Record<Dialect, number>,
  incremental: 5,
  p99: 100,
};

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const n = (value: number) => value.toLocaleString('en');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  db: Dialect;
  measurement: string;
  value: string;
  target: string;
  met: boolean | null;
}
const rows: Row[] = [];
const notes: string[] = [];

type Api = Awaited<ReturnType<typeof signedInClient>>['api'];

interface RunBody {
  id: number;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  progress: { done: number; total: number };
  errors: { dn: string; message: string }[];
  warnings: { dn: string; message: string }[];
  message: string | null;
}

/** Starts a sync through the API and follows it to its end; logs its progress every few seconds. */
async function sync(api: Api, connectionId: number, kind: 'full' | 'incremental') {
  const started = performance.now();
  const response = await api(`/directory-connections/${connectionId}/sync`, { method: 'POST', body: { kind } });
  if (response.status !== 202) throw new Error(`sync: ${response.status} ${await response.text()}`);
  const { run } = (await response.json()) as { run: RunBody };
  let logged = 0;
  let last = '';
  for (;;) {
    const reply = await api(`/directory-connections/${connectionId}/runs/${run.id}`);
    const body = (await reply.json()) as RunBody;
    const ms = performance.now() - started;
    if (body.status !== 'running') {
      console.log(`  ${kind} sync ${body.status} after ${seconds(ms)}: ${JSON.stringify(body.counts)}`);
      if (body.status !== 'succeeded') throw new Error(`the ${kind} sync failed: ${body.message}`);
      return { ms, run: body };
    }
    const now = `${body.progress.done}/${body.progress.total}`;
    if (ms - logged > 5000 && now !== last) {
      console.log(`    ${seconds(ms)}: progress ${now}, created ${body.counts.created}`);
      logged = ms;
      last = now;
    }
    await sleep(100);
  }
}

function check(what: string, actual: number, expected: number) {
  if (actual !== expected) throw new Error(`${what}: ${n(actual)}, expected ${n(expected)}`);
}

async function runDialect(dialect: Dialect) {
  console.log(`\n== ${dialect}: ${n(USERS)} directory users, ${n(GROUPS)} groups`);
  let began = performance.now();
  const directory = buildDirectory(USERS, GROUPS, 1);
  const sizes = directory.groups.map((g) => g.members.size + g.children.length).sort((a, b) => b - a);
  console.log(
    `  generated in ${seconds(performance.now() - began)}: ${n(directory.memberships)} memberships, LDIF ${(directory.ldif.length / 1e6).toFixed(0)} MB; largest groups ${sizes.slice(0, 5).map(n).join(', ')}, median ${sizes[Math.floor(sizes.length / 2)]}`,
  );
  began = performance.now();
  const slapd = await startSlapd(directory.ldif, { maxSize: 4 * 1024 ** 3, indexes: ['modifyTimestamp eq'] });
  const loadMs = performance.now() - began;
  console.log(`  slapadd and slapd start: ${seconds(loadMs)}`);
  notes.push(
    `${dialect}: directory of ${n(USERS)} people and ${n(GROUPS)} groups (${n(directory.memberships)} memberships, largest groups ${sizes.slice(0, 5).map(n).join(', ')}, median ${sizes[Math.floor(sizes.length / 2)]}); slapadd and start ${seconds(loadMs)}`,
  );
  const store = await benchDatabase(dialect, 'directory-sync');
  const server = childProcess(
    import.meta.url,
    'server',
    { BENCH_DB_URL: store.url },
    PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
  );
  server.proc.once('exit', (code, signal) => {
    if (code !== 0) console.log(`  the Roster server exited: ${code ?? signal}`);
  });
  const account = new Promise<{ slug: string; ownerUsername: string; oneTimePassword: string }>((resolve) =>
    server.proc.on('message', (m) => {
      if ((m as { account?: unknown }).account) resolve((m as { account: never }).account);
    }),
  );
  const loader = childProcess(import.meta.url, 'load');
  try {
    const url = `http://127.0.0.1:${await server.ready}`;
    const first = await account;
    const pending = await signedInClient(url, first.slug, first.ownerUsername, first.oneTimePassword);
    await pending.api('/auth/change-password', {
      method: 'POST',
      body: { currentPassword: first.oneTimePassword, newPassword: PASSWORD },
    });
    const { api } = await signedInClient(url, first.slug, first.ownerUsername, PASSWORD);
    const created = await api('/directory-connections', {
      method: 'POST',
      body: {
        name: CONNECTION,
        url: slapd.url,
        startTls: true,
        caCertificate: slapd.certificate,
        bindDn: SERVICE_DN,
        bindPassword: SERVICE_PASSWORD,
        usersBaseDn: PEOPLE_DN,
        groupsBaseDn: GROUPS_DN,
        vendor: 'openldap',
      },
    });
    if (created.status !== 201) throw new Error(`connection: ${created.status} ${await created.text()}`);
    const connectionId = ((await created.json()) as { id: number }).id;

    // The load generator's searches, drawn from the directory's people.
    const next = random(31);
    const sample: BulkUser[] = Array.from({ length: Math.min(20_000, USERS) }, () => {
      const p = directory.people[Math.floor(next() * directory.people.length)] as LdapPerson;
      return {
        username: p.uid,
        firstName: p.givenName,
        lastName: p.sn,
        email: p.mail,
        phone: p.phone ?? undefined,
        department: p.department ?? undefined,
      };
    });
    const queries = sampleQueries(sample, 200, 37).map((q) => q.text);
    await loader.ready;
    loader.proc.send({
      type: 'start',
      url,
      slug: first.slug,
      username: first.ownerUsername,
      password: PASSWORD,
      queries,
    });
    await new Promise((resolve) => loader.proc.once('message', resolve));

    // 1. The full sync into the empty account, with the API read meanwhile.
    const full = await sync(api, connectionId, 'full');
    const load = await loader.ask<{ samples: Sample[] }>('report');
    check('full sync: users created', full.run.counts.created ?? 0, USERS);
    check('full sync: groups created', full.run.counts.groupsCreated ?? 0, GROUPS);
    check('full sync: memberships', full.run.counts.membershipsChanged ?? 0, directory.memberships);
    check('full sync: errors', full.run.counts.errors ?? 0, 0);
    const handle = openDatabase(store.url, { poolSize: 1 });
    const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
      Number((await query.execute(handle.db)).rows[0]?.n);
    try {
      check(
        'users in Roster from the directory',
        await count(sql<{ n: number }>`select count(*) as n from users where source = ${CONNECTION}`),
        USERS,
      );
      check('groups in Roster', await count(sql<{ n: number }>`select count(*) as n from groups`), GROUPS);
      check(
        'memberships in Roster',
        await count(sql<{ n: number }>`select count(*) as n from group_members`),
        directory.memberships,
      );
    } finally {
      await handle.close();
    }
    const fullTarget = TARGETS.full[dialect];
    rows.push({
      db: dialect,
      measurement: `full sync, ${n(USERS)} users and ${n(GROUPS)} groups into an empty account`,
      value: `${seconds(full.ms)} (${n(Math.round(USERS / (full.ms / 1000)))} users/s; ${n(directory.memberships)} memberships)`,
      target: `≤ ${fullTarget} s`,
      met: full.ms <= fullTarget * 1000,
    });
    const failed = load.samples.filter((s) => s.status !== 200);
    for (const s of failed.slice(0, 5))
      console.log(`  a read failed after ${s.ms.toFixed(0)} ms: ${s.status} ${s.error ?? ''}`);
    // A failed read counts with the time it took to fail.
    const times = load.samples.map((s) => s.ms).sort((a, b) => a - b);
    const p99 = percentile(times, 99);
    const kinds = ['list', 'search', 'read'].map((kind) => {
      const mine = load.samples
        .filter((s) => s.kind === kind)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      return `${kind} ${mine.length}: p50 ${percentile(mine, 50).toFixed(1)} / p99 ${percentile(mine, 99).toFixed(1)} ms`;
    });
    console.log(`  during the full sync: ${times.length} reads; ${kinds.join('; ')}`);
    rows.push({
      db: dialect,
      measurement: `API reads during the full sync, p50 / p95 / p99 (${n(times.length)} requests: ${load.samples.filter((s) => s.kind === 'list').length} list pages, ${load.samples.filter((s) => s.kind === 'search').length} searches, ${load.samples.filter((s) => s.kind === 'read').length} user reads)`,
      value: `${percentile(times, 50).toFixed(1)} / ${percentile(times, 95).toFixed(1)} / ${p99.toFixed(1)} ms (max ${(times.at(-1) ?? 0).toFixed(0)} ms${failed.length > 0 ? `; ${failed.length} failed` : ''})`,
      target: `p99 ≤ ${TARGETS.p99} ms, none failed`,
      met: p99 <= TARGETS.p99 && failed.length === 0,
    });

    // 2. A day's changes, then an incremental sync.
    const changes = directoryChanges(
      directory,
      {
        modify: Math.round(CHANGES * 0.9),
        remove: Math.round(CHANGES * 0.05),
        add: Math.round(CHANGES * 0.05),
        moves: Math.round(CHANGES * 0.1),
      },
      2,
    );
    began = performance.now();
    await slapd.ldapmodify(changes.ldif);
    console.log(`  ldapmodify: ${seconds(performance.now() - began)}`);
    const incremental = await sync(api, connectionId, 'incremental');
    check('incremental: created', incremental.run.counts.created ?? 0, changes.added);
    check('incremental: updated', incremental.run.counts.updated ?? 0, changes.modified);
    check('incremental: disabled', incremental.run.counts.disabled ?? 0, changes.removed);
    check('incremental: memberships', incremental.run.counts.membershipsChanged ?? 0, changes.membershipChanges);
    check('incremental: errors', incremental.run.counts.errors ?? 0, 0);
    rows.push({
      db: dialect,
      measurement: `incremental sync of ${n(changes.modified + changes.removed + changes.added)} changed entries in a ${n(USERS)}-user directory`,
      value: `${seconds(incremental.ms)} (${changes.modified} updated, ${changes.added} created, ${changes.removed} disabled, ${changes.membershipChanges} memberships; ${incremental.run.counts.unchanged} read unchanged)`,
      target: `≤ ${TARGETS.incremental} s`,
      met: incremental.ms <= TARGETS.incremental * 1000,
    });
  } finally {
    await loader.stop().catch(() => undefined);
    await server.stop().catch(() => undefined);
    await slapd.stop();
    await store.stop();
  }
}

async function main() {
  for (const dialect of DIALECTS) await runDialect(dialect);
  console.log('\n| Database | Measurement | Value | Target | Met |\n|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.db} | ${r.measurement} | ${r.value} | ${r.target} | ${r.met === null ? '' : r.met ? 'met' : '**not met**'} |`,
    );
  for (const note of notes) console.log(`\n${note}`);
}

/** The Roster server, as `roster serve` runs it, in this process (forked by the benchmark). */
async function serveRoster() {
  const running = await startServer(
    { ...loadConfig({}), databaseUrl: process.env.BENCH_DB_URL as string, host: '127.0.0.1', port: 0 },
    () => {},
  );
  process.send?.({ port: Number(new URL(running.url).port) });
  process.send?.({ account: running.firstAccount });
  process.on('message', async () => {
    await running.close();
    process.exit(0);
  });
}

interface Sample {
  kind: 'list' | 'search' | 'read';
  ms: number;
  /** 0: no answer (the connection was closed). */
  status: number;
  error?: string;
}

/**
 * The load generator: signs in as the owner and asks, one request at a time and at most RATE a second, user list
 * pages (each sort and filter's first page, then the pages after them by cursor), searches (each text once) and
 * reads of users the answers named (each user once), until asked for its report.
 */
function serveLoad() {
  let running = true;
  const samples: Sample[] = [];
  let done: Promise<void> = Promise.resolve();
  process.on('message', (message) => {
    const m = message as
      | { type: 'start'; url: string; slug: string; username: string; password: string; queries: string[] }
      | string;
    if (typeof m === 'object' && m.type === 'start') {
      done = generate(m);
      return;
    }
    if (m === 'report') {
      running = false;
      void done.then(() => process.send?.({ samples }));
      return;
    }
    process.exit(0);
  });
  process.send?.({ port: 0 });

  async function generate(options: {
    url: string;
    slug: string;
    username: string;
    password: string;
    queries: string[];
  }) {
    const { api } = await signedInClient(options.url, options.slug, options.username, options.password);
    process.send?.({ signedIn: true });
    const sorts = ['name', 'email', 'department', 'createdAt'].flatMap((sort) =>
      ['asc', 'desc'].flatMap((order) =>
        ['', '&status=active', '&enabled=true', '&accessType=standard'].map(
          (filter) => `/users?sort=${sort}&order=${order}${filter}&limit=25`,
        ),
      ),
    );
    const lists = [...sorts];
    const queries = [...options.queries];
    const seen = new Set<number>();
    const readable: number[] = [];
    const interval = 1000 / RATE;
    let turn = 0;
    let nextAt = performance.now();
    while (running) {
      while (running && performance.now() < nextAt) await sleep(Math.min(50, nextAt - performance.now()));
      if (!running) break;
      nextAt = Math.max(performance.now(), nextAt + interval);
      const slot = turn++ % 5;
      let kind: Sample['kind'];
      let path: string;
      if (slot === 4 && readable.length > 0) {
        kind = 'read';
        path = `/users/${readable.pop()}`;
      } else if (slot % 2 === 1 && queries.length > 0) {
        kind = 'search';
        path = `/users?q=${encodeURIComponent(queries.shift() as string)}&limit=25`;
      } else {
        kind = 'list';
        path = lists.length > 0 ? (lists.shift() as string) : (sorts[turn % sorts.length] as string);
      }
      const started = performance.now();
      let response: Response;
      let body: string;
      try {
        response = await api(path);
        body = await response.text();
      } catch (error) {
        // The server closed the connection (a keep-alive connection it timed out while the request was on its way).
        samples.push({
          kind,
          ms: performance.now() - started,
          status: 0,
          error: String((error as Error).cause ?? error),
        });
        continue;
      }
      samples.push({ kind, ms: performance.now() - started, status: response.status });
      if (response.status !== 200 || kind === 'read') continue;
      const page = JSON.parse(body) as { items: { id: number }[]; nextCursor: string | null };
      for (const item of page.items.slice(0, 3))
        if (!seen.has(item.id)) {
          seen.add(item.id);
          readable.push(item.id);
        }
      if (kind === 'list' && page.nextCursor) {
        const base = path.replace(/&cursor=[^&]*/, '');
        lists.push(`${base}&cursor=${encodeURIComponent(page.nextCursor)}`);
      }
    }
  }
}

if (process.env.BENCH_ROLE === 'server') await serveRoster();
else if (process.env.BENCH_ROLE === 'load') serveLoad();
else await main();
