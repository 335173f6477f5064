// `node --import tsx bench/access.ts`: authorization decisions over HTTP with 1,000,000 users and realistic role
// mappings and licenses, on SQLite and PostgreSQL. The server runs in a child process so the load generator does
// not share its event loop; it serves from 1 and then 2 processes (ROSTER_WORKERS; BENCH_WORKERS=1,2).
// Prints markdown rows; BENCH_USERS, BENCH_DB, BENCH_SECONDS change the run.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { migrateToLatest, openDatabase } from '../server/db/index.js';
import { roleList } from '../server/db/user-facts.js';
import { startServer } from '../server/main.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { generateUsers, random } from './data.js';
import { benchDatabase } from './databases.js';
import { httpClient } from './http-client.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** The serving process counts measured (ROSTER_WORKERS): one, and one per core of the benchmark machine. */
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const BATCH = 1000;
const serving = (workers: number) => (workers === 1 ? '1 serving process' : `${workers} serving processes`);

const ACTIONS = [
  'voice_analytics:recording.read',
  'voice_analytics:transcription.read',
  'voice_analytics:recording.analyze',
  'voice_analytics:dashboard.filter',
  'chat:conversation.read',
  'chat:chat.engage',
  'call_recording:recording.play',
  'quality_management:interaction.read',
  'quality_management:report.view',
  'roster:users.manage',
];

// ---------- Server side (child process): serve the API on the database it is given. ----------

if (process.env.BENCH_ROLE === 'server') {
  const running = await startServer(
    {
      ...loadConfig({}),
      databaseUrl: process.env.BENCH_DB_URL as string,
      host: '127.0.0.1',
      port: 0,
      workers: Number(process.env.BENCH_SERVER_WORKERS),
    },
    () => {},
  );
  process.send?.({ port: Number(new URL(running.url).port) });
  process.on('message', async () => {
    await running.close();
    process.exit(0);
  });
} else {
  await main();
}

// ---------- Load side. ----------

interface Row {
  db: Dialect;
  scenario: string;
  p50: number;
  p95: number;
  p99: number;
  rate: string;
}

/** Seeds the directory, role mappings and licenses; returns an application key and the user id range. */
async function seed(url: string, dialect: Dialect) {
  const handle = openDatabase(url, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig({}), databaseUrl: url }, handle);
    const big = await ctx.accounts.create({ name: 'Big contact center', slug: 'big', owner: { username: 'owner' } });
    const accountId = big.account.id;
    let started = performance.now();
    await insertUsersInBulk(handle, accountId, generateUsers(USERS, 1));
    console.log(`  ${USERS.toLocaleString('en')} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    started = performance.now();
    const roles = await handle.db
      .selectFrom('roles')
      .select(['id', 'app', 'name'])
      .where('account_id', '=', accountId)
      .execute();
    const role = (app: string, name: string) => roles.find((r) => r.app === app && r.name === name)?.id as number;
    const at = new Date().toISOString();
    // Quality Management: most agents hold DEFAULT_AGENT, a few lead, supervise or manage; some hold extra roles.
    const mappings: [number, string][] = [
      [role('quality_management', 'DEFAULT_AGENT'), 'u.id % 100 < 80'],
      [role('quality_management', 'DEFAULT_TEAM_LEADER'), 'u.id % 100 between 80 and 84'],
      [role('quality_management', 'DEFAULT_SUPERVISOR'), 'u.id % 100 between 85 and 86'],
      [role('quality_management', 'DEFAULT_CC_MANAGER'), 'u.id % 1000 = 870'],
      [role('quality_management', 'FILE_UPLOAD'), 'u.id % 50 = 3'],
      [role('quality_management', 'CALIBRATE_EVALS'), 'u.id % 40 = 7'],
    ];
    for (const [roleId, where] of mappings) {
      await sql`insert into user_roles (account_id, user_id, role_id, created_at)
        select ${accountId}, u.id, ${roleId}, ${at} from users u where u.account_id = ${accountId} and ${sql.raw(where)}`.execute(
        handle.db,
      );
    }
    // Licenses: 90% Voice Analytics, 70% chat, 50% call recording, 85% quality management.
    const licenses: [string, string][] = [
      ['voice_analytics', 'u.id % 10 < 9'],
      ['chat', 'u.id % 10 < 7'],
      ['call_recording', 'u.id % 10 < 5'],
      ['quality_management', 'u.id % 100 < 85'],
    ];
    for (const [app, where] of licenses) {
      await sql`insert into user_licenses (account_id, user_id, app, granted_at)
        select ${accountId}, u.id, ${app}, ${at} from users u where u.account_id = ${accountId} and ${sql.raw(where)}`.execute(
        handle.db,
      );
    }
    const agg =
      dialect === 'postgres'
        ? sql`(select coalesce(json_agg(l.app order by l.app)::text, '[]') from user_licenses l where l.user_id = users.id)`
        : sql`(select coalesce(json_group_array(app), '[]') from (select app from user_licenses l where l.user_id = users.id order by app))`;
    // One in twenty has analysis switched off; chat settings vary.
    await sql`insert into user_app_settings (user_id, account_id, chat_status, chat_limit, chat_tag, analysis_enabled, updated_at)
      select u.id, ${accountId}, 'available', 3, '', case when u.id % 20 = 0 then 0 else 1 end, ${at}
      from users u where u.account_id = ${accountId} and u.id % 4 = 0`.execute(handle.db);
    // The copies on the users row that the services keep as they write (licenses column, decision facts).
    await sql`update users set license_apps = ${agg}, role_ids = ${roleList(dialect)},
      analysis_enabled = coalesce((select s.analysis_enabled from user_app_settings s where s.user_id = users.id), 1)
      where account_id = ${accountId}`.execute(handle.db);
    if (dialect === 'postgres') {
      // As autovacuum would soon after such a load: index lookups otherwise step over the rows the update replaced.
      await sql`vacuum analyze`.execute(handle.db);
      // Then the load's writes go to disk now, not during the measurements.
      await sql`checkpoint`.execute(handle.db);
    } else await sql`pragma optimize`.execute(handle.db);
    const counts = await handle.db
      .selectFrom('user_roles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    console.log(
      `  ${Number(counts.n).toLocaleString('en')} role mappings and licenses in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const owner = {
      userId: big.owner.id,
      accountId,
      username: 'owner',
      accessType: 'admin',
      isOwner: true,
    };
    const key = (await ctx.apiKeys.create(owner, 'bench')).key;
    const range = await handle.db
      .selectFrom('users')
      .select((eb) => [eb.fn.min<number>('id').as('lo'), eb.fn.max<number>('id').as('hi')])
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return { key, lo: Number(range.lo), hi: Number(range.hi) };
  } finally {
    await handle.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function startBenchServer(url: string, workers: number) {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, BENCH_ROLE: 'server', BENCH_DB_URL: url, BENCH_SERVER_WORKERS: String(workers) },
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean)],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

/** Runs `call` from CONCURRENCY loops for SECONDS; returns per-call latencies (ms) and calls per second. */
async function load(call: (i: number) => Promise<void>, seconds = SECONDS, concurrency = CONCURRENCY) {
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await call(n++);
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { times, perSecond: times.length / elapsed };
}

async function runDialect(dialect: Dialect, rows: Row[]) {
  console.log(`\n== ${dialect}: ${USERS.toLocaleString('en')} users`);
  const store = await benchDatabase(dialect, 'access');
  try {
    const { key, lo, hi } = await seed(store.url, dialect);
    for (const workers of WORKER_COUNTS) await measure(dialect, store.url, { key, lo, hi }, workers, rows);
  } finally {
    await store.stop();
  }
}

/** Single decisions, then batches, against a server of `workers` processes. */
async function measure(
  dialect: Dialect,
  url: string,
  { key, lo, hi }: { key: string; lo: number; hi: number },
  workers: number,
  rows: Row[],
) {
  const servers = serving(workers);
  console.log(`  ${servers}:`);
  const server = await startBenchServer(url, workers);
  const client = httpClient(
    `${server.url}/api/v1`,
    { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    CONCURRENCY,
  );
  const next = random(42);
  const question = () => {
    const userId = lo + Math.floor(next() * (hi - lo + 1));
    const own = next() < 0.6;
    return {
      userId,
      action: ACTIONS[Math.floor(next() * ACTIONS.length)] as string,
      resource: { ownerId: own ? userId : lo + Math.floor(next() * (hi - lo + 1)) },
    };
  };
  const post = async (path: string, payload: string) => {
    const reply = await client.send('POST', path, payload);
    if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${reply.body.slice(0, 200)}`);
    return reply.body;
  };
  try {
    // Warm up (catalog cache, connections, JIT).
    // Request bodies are made up front, so the load generator spends its time sending, not building JSON.
    const singles = Array.from({ length: 20_000 }, () => JSON.stringify(question()));
    const ask = (i: number) => post('/decisions', singles[i % singles.length] as string).then(() => {});
    await load(ask, 2);
    const single = await load(ask);
    rows.push({
      db: dialect,
      scenario: `single decision, ${CONCURRENCY} parallel keep-alive requests, ${servers}`,
      p50: percentile(single.times, 50),
      p95: percentile(single.times, 95),
      p99: percentile(single.times, 99),
      rate: `${Math.round(single.perSecond).toLocaleString('en')} decisions/s`,
    });
    console.log(`    single: ${rows.at(-1)?.rate}, p99 ${rows.at(-1)?.p99.toFixed(1)} ms`);

    const batchConcurrency = 4;
    const batches = Array.from({ length: 40 }, () =>
      JSON.stringify({ questions: Array.from({ length: BATCH }, question) }),
    );
    const askMany = async (i: number) => {
      await post('/decisions/batch', batches[i % batches.length] as string);
    };
    await load(askMany, 2, batchConcurrency);
    const batch = await load(askMany, SECONDS, batchConcurrency);
    rows.push({
      db: dialect,
      scenario: `batch of ${BATCH.toLocaleString('en')} decisions, ${batchConcurrency} parallel, ${servers}`,
      p50: percentile(batch.times, 50),
      p95: percentile(batch.times, 95),
      p99: percentile(batch.times, 99),
      rate: `${Math.round(batch.perSecond * BATCH).toLocaleString('en')} decisions/s`,
    });
    console.log(`    batch: ${rows.at(-1)?.rate}, p99 ${rows.at(-1)?.p99.toFixed(1)} ms a batch`);
  } finally {
    client.close();
    await server.stop();
  }
}

async function main() {
  const rows: Row[] = [];
  for (const dialect of DIALECTS) await runDialect(dialect, rows);
  console.log('\n| Database | Scenario | p50 | p95 | p99 | Throughput |\n|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.db} | ${r.scenario} (${USERS.toLocaleString('en')} users) | ${r.p50.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.rate} |`,
    );
  }
}
