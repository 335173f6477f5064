// `node --import tsx bench/sign-in.ts`: password sign-ins and mail, on SQLite and PostgreSQL.
// 1. A storm of password sign-ins (argon2id, OWASP parameters) against one serving process, while another client
//    asks for its session every 20 ms: sign-ins per second, and that client's latency (the event loop must not block).
// 2. An import of 10,000 users with invitations, beside the same import without: the time the invitations add.
// 3. Those 10,000 invitations delivered through an SMTP server in its own process: mails per second.
// The Roster server, the SMTP server and this load generator are three processes. BENCH_DB, BENCH_SECONDS,
// BENCH_CONCURRENCY, BENCH_INVITES change the run; it prints markdown rows.
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { migrateToLatest, openDatabase } from '../server/db/index.js';
import { startServer } from '../server/main.js';
import { hashPassword } from '../server/services/passwords.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { FIRST_NAMES, generateUsers, LAST_NAMES, random } from './data.js';
import { benchDatabase } from './databases.js';
import { childProcess } from './processes.js';

const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const INVITES = Number(process.env.BENCH_INVITES ?? 10_000);
const SIGN_IN_USERS = 500;
const PASSWORD = 'Storm-of-sign-ins-2026';
const ADMIN_PASSWORD = 'Bench-admin-pass-2026';

// ---------- Load side. ----------

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The owner's account with SIGN_IN_USERS users who share one argon2id password hash (each check costs the same). */
async function seed(url: string) {
  const handle = openDatabase(url, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig({}), databaseUrl: url }, handle);
    const created = await ctx.accounts.create({ name: 'Bench', slug: 'bench', owner: { username: 'owner' } });
    const accountId = created.account.id;
    const users = [...generateUsers(SIGN_IN_USERS, 7)].map((user) => ({
      ...user,
      enabled: true,
      accessType: 'standard',
    }));
    await insertUsersInBulk(handle, accountId, users);
    const hash = await hashPassword(PASSWORD);
    const ownerHash = await hashPassword(ADMIN_PASSWORD);
    const rows = await handle.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('account_id', '=', accountId)
      .execute();
    const at = new Date().toISOString();
    await handle.db
      .insertInto('user_credentials')
      .values(
        rows
          .filter((row) => row.username !== 'owner')
          .map((row) => ({ user_id: row.id, password_hash: hash, temporary: 0, updated_at: at })),
      )
      .execute();
    await handle.db
      .updateTable('user_credentials')
      .set({ password_hash: ownerHash, temporary: 0 })
      .where('user_id', '=', created.owner.id)
      .execute();
    await handle.db
      .updateTable('users')
      .set({ required_actions: '[]', email: 'owner@example.com' })
      .where('id', '=', created.owner.id)
      .execute();
    return users.map((user) => user.username);
  } finally {
    await handle.close();
  }
}

async function signIn(base: string, username: string, password: string) {
  const reply = await fetch(`${base}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'bench', username, password }),
  });
  if (reply.status !== 200) throw new Error(`sign-in of ${username}: ${reply.status} ${await reply.text()}`);
  const session = (await reply.json()) as { csrfToken: string };
  return { cookie: (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: session.csrfToken };
}

/** A CSV of `count` new users with emails and languages from realistic name lists. */
function inviteeCsv(count: number, seed: number): string {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  const languages = ['', 'en', 'es', 'pt-BR', 'it', 'de', 'fr'];
  const lines = ['Username,Full Name,Email,Language'];
  for (let i = 1; i <= count; i++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local = `${first}.${last}`
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z.]+/g, '');
    lines.push(`inv${seed}.${i}.${local},"${first} ${last}",${local}.${seed}.${i}@example.com,${pick(languages)}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

async function importUsers(base: string, headers: Record<string, string>, csv: string, sendInvitations: boolean) {
  const started = performance.now();
  const uploaded = await fetch(`${base}/imports?name=invitees.csv`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: csv,
  });
  const job = (await uploaded.json()) as { id: number };
  if (!uploaded.ok) throw new Error(JSON.stringify(job));
  const start = await fetch(`${base}/imports/${job.id}/start`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'create', sendInvitations }),
  });
  if (!start.ok) throw new Error(await start.text());
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const reply = await fetch(`${base}/imports/${job.id}`, { headers }).catch(() => null);
    if (!reply?.ok) continue;
    const now = (await reply.json()) as { status: string; message: string };
    if (now.status === 'running') continue;
    if (now.status !== 'done') throw new Error(now.message);
    return (performance.now() - started) / 1000;
  }
}

async function runDialect(dialect: Dialect, rows: string[]) {
  console.log(`\n== ${dialect}`);
  const store = await benchDatabase(dialect, 'sign-in');
  const server = childProcess(import.meta.url, 'server', { BENCH_DB_URL: store.url });
  const smtp = childProcess(import.meta.url, 'smtp');
  try {
    const usernames = await seed(store.url);
    const base = `http://127.0.0.1:${await server.ready}/api/v1`;
    const smtpPort = await smtp.ready;
    const owner = await signIn(base, 'owner', ADMIN_PASSWORD);
    const headers = { cookie: owner.cookie, 'x-csrf-token': owner.csrf };

    // 1. The storm, and a client who keeps working through it.
    const probeTimes: number[] = [];
    let signIns = 0;
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    const probe = (async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const reply = await fetch(`${base}/session`, { headers: { cookie: owner.cookie } });
        await reply.arrayBuffer();
        probeTimes.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let n = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          await signIn(base, usernames[n++ % usernames.length] as string, PASSWORD);
          signIns++;
        }
      }),
    );
    await probe;
    const perSecond = signIns / ((performance.now() - started) / 1000);
    probeTimes.sort((a, b) => a - b);
    rows.push(
      `| ${dialect} | password sign-ins, ${CONCURRENCY} at a time, 1 serving process | ${perSecond.toFixed(1)}/s | | | argon2id m=19456 t=2 p=1 |`,
      `| ${dialect} | another client's GET /session during the storm | ${ms(percentile(probeTimes, 50))} | ${ms(percentile(probeTimes, 95))} | ${ms(percentile(probeTimes, 99))} | ${probeTimes.length} requests |`,
    );
    console.log(rows.slice(-2).join('\n'));

    // 2. Imports of INVITES users, without and with invitations (mail stays in the outbox: no mail server yet).
    const plain = await importUsers(base, headers, inviteeCsv(INVITES, 1), false);
    const invited = await importUsers(base, headers, inviteeCsv(INVITES, 2), true);
    rows.push(
      `| ${dialect} | import ${INVITES.toLocaleString('en')} users, no invitations | ${plain.toFixed(2)} s | | | |`,
      `| ${dialect} | import ${INVITES.toLocaleString('en')} users, invitations queued in its transaction | ${invited.toFixed(2)} s | | | ${(invited - plain).toFixed(2)} s for the ${INVITES.toLocaleString('en')} tokens and mails |`,
    );
    console.log(rows.slice(-2).join('\n'));

    // 3. A mail server appears: the outbox goes out through it.
    const t = performance.now();
    const saved = await fetch(`${base}/mail/settings`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        smtp: { host: '127.0.0.1', port: smtpPort, security: 'none', from: 'roster@example.com' },
      }),
    });
    if (!saved.ok) throw new Error(await saved.text());
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const { received } = await smtp.ask<{ received: number }>('count');
      if (received >= INVITES) break;
      if (performance.now() - t > 600_000) throw new Error(`only ${received} mails arrived in 10 minutes`);
    }
    const seconds = (performance.now() - t) / 1000;
    rows.push(
      `| ${dialect} | deliver ${INVITES.toLocaleString('en')} invitations through SMTP | ${seconds.toFixed(2)} s | | | ${(INVITES / seconds).toFixed(0)} mails/s |`,
    );
    console.log(rows.at(-1));
  } finally {
    await server.stop().catch(() => {});
    await smtp.stop().catch(() => {});
    await store.stop();
  }
}

async function main() {
  const rows = ['| Database | Scenario | p50 / rate | p95 | p99 | Note |', '|---|---|---|---|---|---|'];
  for (const dialect of DIALECTS) await runDialect(dialect, rows);
  console.log(`\n${rows.join('\n')}`);
}

// ---------- Child processes: the Roster server, and an SMTP server that accepts and counts. ----------

async function serveRoster() {
  const running = await startServer(
    {
      ...loadConfig({}),
      databaseUrl: process.env.BENCH_DB_URL as string,
      host: '127.0.0.1',
      port: 0,
      // The storm comes from one address: the per-address limit counts failures only, and these all succeed.
      signInAddressLimit: 1_000_000,
    },
    () => {},
  );
  process.send?.({ port: Number(new URL(running.url).port) });
  process.on('message', async () => {
    await running.close();
    process.exit(0);
  });
}

function serveSmtp() {
  let received = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received++;
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', (message) => {
    if (message === 'count') process.send?.({ received });
    else server.close(() => process.exit(0));
  });
}

if (process.env.BENCH_ROLE === 'server') await serveRoster();
else if (process.env.BENCH_ROLE === 'smtp') serveSmtp();
else await main();
