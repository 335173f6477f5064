// `node --import tsx bench/provisioning.ts`: SCIM 2.0 as identity providers call it, on SQLite and PostgreSQL.
// In an account of BENCH_USERS users (1,000,000 by default): `filter=userName eq` and `filter=emails co` first pages,
// each query asked once with values drawn from the account's own users; SCIM creates over HTTP (users per second, 8
// at a time); PATCHes adding 1,000 members to groups of 10,000; webhook deliveries per second to a receiver, and the
// API's latency while an endpoint that never answers is being retried. The Roster server and the webhook receiver
// run in processes of their own; this script is the load generator. BENCH_DB, BENCH_QUERIES and BENCH_EVENTS change
// the run; it prints markdown rows. The users are `generatePeople`'s: names, and so addresses, by real frequencies.
import { createServer } from 'node:http';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { migrateToLatest, openDatabase } from '../server/db/index.js';
import { startServer } from '../server/main.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { generatePeople, random } from './data.js';
import { benchDatabase } from './databases.js';
import { httpClient } from './http-client.js';
import { childProcess } from './processes.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const CREATES = Number(process.env.BENCH_CREATES ?? 3000);
const GROUPS = 3;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
/** Internal addresses are refused for webhooks unless the operator allows them: the receiver is on loopback. */
const ALLOW_PRIVATE = { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '1' };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

/** The account, its users and a SCIM token; returns the token and every user's username and email. */
async function seed(url: string, receiverPort: number) {
  const handle = openDatabase(url, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig(ALLOW_PRIVATE), databaseUrl: url }, handle);
    const created = await ctx.accounts.create({ name: 'Bench', slug: 'bench', owner: { username: 'owner' } });
    const accountId = created.account.id;
    const users = [...generatePeople(USERS, 11)];
    const started = performance.now();
    await insertUsersInBulk(handle, accountId, users);
    console.log(`  seeded ${USERS} users in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const owner = { userId: created.owner.id, accountId, username: 'owner', accessType: 'admin', isOwner: true };
    const token = await ctx.scimTokens.create(owner, 'Bench IdP');
    await ctx.webhooks.create(owner, { url: `http://127.0.0.1:${receiverPort}/live`, eventTypes: ['user.updated'] });
    const ids = await handle.db
      .selectFrom('users')
      .select('id')
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    return {
      accountId,
      owner,
      token: token.token,
      usernames: users.map((u) => u.username),
      emails: users.map((u) => u.email as string),
      ids: ids.map((r) => String(r.id)),
    };
  } finally {
    await handle.close();
  }
}

async function runDialect(dialect: Dialect, rows: string[]) {
  const store = await benchDatabase(dialect, 'provisioning');
  const receiver = childProcess(import.meta.url, 'receiver');
  const receiverPort = await receiver.ready;
  const data = await seed(store.url, receiverPort);
  const server = childProcess(import.meta.url, 'server', { BENCH_DB_URL: store.url, ...ALLOW_PRIVATE });
  try {
    const port = await server.ready;
    const scim = httpClient(`http://127.0.0.1:${port}/scim/v2`, {
      authorization: `Bearer ${data.token}`,
      'content-type': 'application/scim+json',
    });
    const get = (path: string) => scim.send('GET', path);
    const next = random(5);
    const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
    const row = (scenario: string, times: number[], note: string) => {
      times.sort((a, b) => a - b);
      const f = (v: number) => `${v.toFixed(1)} ms`;
      rows.push(
        `| ${dialect} | ${scenario} | ${f(percentile(times, 50))} | ${f(percentile(times, 95))} | ${f(percentile(times, 99))} | ${note} |`,
      );
    };

    // Each query once: a user someone provisions is looked up by userName; a support engineer searches emails.
    const eq: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const name = pick(data.usernames);
      const reply = await get(`/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`);
      if (reply.status !== 200 || !reply.body.includes('"totalResults":1'))
        throw new Error(`userName eq ${name}: ${reply.body.slice(0, 200)}`);
      eq.push(reply.ms);
    }
    row('`filter=userName eq "…"`', eq, `${QUERIES} usernames of the account, each asked once`);
    const co: number[] = [];
    let matched = 0;
    for (let i = 0; i < QUERIES; i++) {
      const email = pick(data.emails);
      const local = email.split('@')[0] as string;
      const length = 4 + Math.floor(next() * 3);
      const start = Math.floor(next() * Math.max(1, local.length - length));
      const fragment = local.slice(start, start + length);
      const reply = await get(`/Users?count=25&filter=${encodeURIComponent(`emails co "${fragment}"`)}`);
      if (reply.status !== 200) throw new Error(`emails co ${fragment}: ${reply.body.slice(0, 200)}`);
      matched += Number(/"totalResults":(\d+)/.exec(reply.body)?.[1] ?? 0);
      co.push(reply.ms);
    }
    row(
      '`filter=emails co "…"`, first page of 25',
      co,
      `4-6 letters from inside ${QUERIES} users' emails, each once; ${Math.round(matched / QUERIES)} matches on average, exact totals`,
    );

    // Creates, 8 at a time.
    const createStarted = performance.now();
    let made = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = worker; i < CREATES; i += 8) {
          const reply = await scim.send(
            'POST',
            '/Users',
            JSON.stringify({
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
              userName: `scim.new.${i}@contoso.com`,
              externalId: `ext-${i}`,
              name: { givenName: 'New', familyName: `Person ${i}` },
              emails: [{ value: `scim.new.${i}@contoso.com`, type: 'work', primary: true }],
              active: true,
            }),
          );
          if (reply.status !== 201) throw new Error(`create ${i}: ${reply.status} ${reply.body.slice(0, 200)}`);
          made++;
        }
      }),
    );
    const rate = made / ((performance.now() - createStarted) / 1000);
    rows.push(
      `| ${dialect} | SCIM creates over HTTP | ${rate.toFixed(0)} users/s | | | ${CREATES} users, 8 requests at a time |`,
    );

    // Groups of 10,000 members, then 1,000 more in one PATCH.
    const patches: number[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const members = data.ids.slice(g * 11_000, g * 11_000 + 11_000);
      const created = await scim.send(
        'POST',
        '/Groups?excludedAttributes=members',
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: `Bench group ${g}`,
          members: members.slice(0, 10_000).map((value) => ({ value })),
        }),
      );
      const group = JSON.parse(created.body) as { id: string };
      const reply = await scim.send(
        'PATCH',
        `/Groups/${group.id}?excludedAttributes=members`,
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: members.slice(10_000).map((value) => ({ value })) }],
        }),
      );
      if (reply.status !== 200) throw new Error(`group patch: ${reply.status} ${reply.body.slice(0, 200)}`);
      patches.push(reply.ms);
    }
    row('PATCH: add 1,000 members to a group of 10,000', patches, `${GROUPS} groups`);

    await webhooks(dialect, store.url, data, receiver, rows, async (label) => {
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const name = pick(data.usernames);
        const reply = await get(`/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`);
        if (reply.status !== 200) throw new Error(`userName eq ${name}: ${reply.status}`);
        times.push(reply.ms);
      }
      row(`\`filter=userName eq "…"\` ${label}`, times, `${QUERIES} other usernames, each once`);
    });
    scim.close();
  } finally {
    await receiver.stop();
    await server.stop();
    await store.stop();
  }
}

/**
 * EVENTS changes written to the outbox at once (as a bulk action writes them), delivered to the live endpoint: events
 * per second from the write to the receiver's count. Then an endpoint that accepts connections and never answers is
 * subscribed to another event type, 2,000 such events are written, and the API is measured while only those
 * deliveries hang, time out and are retried.
 */
async function webhooks(
  dialect: Dialect,
  url: string,
  data: Awaited<ReturnType<typeof seed>>,
  receiver: ReturnType<typeof childProcess>,
  rows: string[],
  apiLatency: (label: string) => Promise<void>,
) {
  const handle = openDatabase(url, { poolSize: 2 });
  try {
    const write = async (count: number, type = 'user.updated') => {
      const users = data.ids.slice(0, count);
      const at = new Date().toISOString();
      for (let i = 0; i < users.length; i += 1000) {
        await handle.db
          .insertInto('events')
          .values(
            users.slice(i, i + 1000).map((id) => ({
              account_id: data.accountId,
              type,
              user_id: Number(id),
              user_seq: 1_000_000 + Number(id),
              payload_json: JSON.stringify({
                user: {
                  id: Number(id),
                  username: `user${id}`,
                  enabled: true,
                  accessType: 'standard',
                  licenses: ['chat'],
                },
                change: { before: { title: '' }, after: { title: 'Agent' } },
              }),
              created_at: at,
            })),
          )
          .execute();
      }
    };
    const before = (await receiver.ask<{ received: number }>('count')).received;
    const started = performance.now();
    await write(EVENTS);
    for (;;) {
      const { received } = await receiver.ask<{ received: number }>('count');
      if (received - before >= EVENTS) break;
      if (performance.now() - started > 120_000) {
        const states = await handle.db
          .selectFrom('webhook_deliveries')
          .select(['status', 'last_error'])
          .limit(3)
          .execute();
        const endpoints = await handle.db.selectFrom('webhook_endpoints').select(['url', 'enabled']).execute();
        throw new Error(
          `only ${received - before} of ${EVENTS} delivered: ${JSON.stringify(states)} ${JSON.stringify(endpoints)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const rate = EVENTS / ((performance.now() - started) / 1000);
    rows.push(
      `| ${dialect} | Webhook deliveries to a local receiver | ${rate.toFixed(0)} events/s | | | ${EVENTS} events written at once, each signed and sent on its own (Standard Webhooks) |`,
    );

    await apiLatency('(no webhook traffic)');
    const ctx = createContext({ ...loadConfig(ALLOW_PRIVATE), databaseUrl: url }, handle);
    // The dead endpoint alone: it takes an event type the live one does not, so no live deliveries run meanwhile.
    await ctx.webhooks.create(data.owner, {
      url: `http://127.0.0.1:${(await receiver.ask<{ blackHole: number }>('black-hole')).blackHole}/dead`,
      eventTypes: ['user.deleted'],
    });
    await write(2000, 'user.deleted');
    // The dispatcher picks them up within a second; they then hang until the 15 s timeout.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await apiLatency('while 2,000 deliveries to an endpoint that never answers hang and are retried');
  } finally {
    await handle.close();
  }
}

async function main() {
  const rows = ['| Database | Scenario | p50 / rate | p95 | p99 | Note |', '|---|---|---|---|---|---|'];
  for (const dialect of DIALECTS) await runDialect(dialect, rows);
  console.log(`\n${rows.join('\n')}`);
}

async function serveRoster() {
  const running = await startServer(
    { ...loadConfig(ALLOW_PRIVATE), databaseUrl: process.env.BENCH_DB_URL as string, host: '127.0.0.1', port: 0 },
    () => {},
  );
  process.send?.({ port: Number(new URL(running.url).port) });
  process.on('message', async () => {
    await running.close();
    process.exit(0);
  });
}

/** A webhook receiver that answers 204 and counts, and a black hole that accepts connections and never answers. */
function serveReceiver() {
  let received = 0;
  const live = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  const hole = createServer(() => {});
  live.keepAliveTimeout = 60_000;
  hole.listen(0, '127.0.0.1');
  live.listen(0, '127.0.0.1', () => {
    const address = live.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', (message) => {
    if (message === 'count') process.send?.({ received });
    else if (message === 'black-hole') {
      const address = hole.address();
      process.send?.({ blackHole: typeof address === 'object' && address ? address.port : 0 });
    } else process.exit(0);
  });
}

if (process.env.BENCH_ROLE === 'server') await serveRoster();
else if (process.env.BENCH_ROLE === 'receiver') serveReceiver();
else await main();
