// `node --import tsx bench/organization.ts`: the organization at scale, on SQLite and PostgreSQL. A tree of 10,000
// groups (100 level-2 groups of 99 subgroups each) over 1,000,000 users with 200,000 team memberships: the tree's API
// call, the time until Chromium shows the tree on the Groups page, and the team operations bulk actions use (assign,
// set main, unassign a team for 100,000 users in one transaction). Prints markdown rows; BENCH_USERS, BENCH_GROUPS,
// BENCH_ASSIGN and BENCH_DB change the run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { createApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { migrateToLatest, openDatabase } from '../server/db/index.js';
import type { Actor } from '../server/policy.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { foldAccents } from '../shared/search-text.js';
import { generateUsers } from './data.js';
import { benchDatabase } from './databases.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 10_000);
const ASSIGN = Math.min(Number(process.env.BENCH_ASSIGN ?? 100_000), USERS);
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const PASSWORD = 'Bench-pass-2026!';

interface Row {
  db: Dialect;
  scenario: string;
  p50: number;
  p95: number | null;
  note: string;
}

const median = (values: number[]) => percentile(values, 50);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function runDialect(dialect: Dialect, rows: Row[]) {
  const tops = Math.max(1, Math.round(Math.sqrt(GROUPS)));
  const perTop = Math.max(0, Math.floor(GROUPS / tops) - 1);
  const groupCount = tops * (perTop + 1);
  console.log(`\n== ${dialect}: ${USERS.toLocaleString('en')} users, ${groupCount.toLocaleString('en')} groups`);
  const store = await benchDatabase(dialect, 'organization');
  const handle = openDatabase(store.url, { poolSize: 8 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig({}), databaseUrl: store.url }, handle);
    const big = await ctx.accounts.create({ name: 'Big contact center', slug: 'big', owner: { username: 'owner' } });
    const accountId = big.account.id;
    let started = performance.now();
    await insertUsersInBulk(handle, accountId, generateUsers(USERS, 1));
    console.log(`  ${USERS.toLocaleString('en')} users in ${seconds(performance.now() - started)}`);

    // The tree: level-2 groups first (contiguous ids), then each one's subgroups.
    started = performance.now();
    const at = new Date().toISOString();
    const insertGroups = async (values: { parent: number | null; name: string; level: number }[]) => {
      for (let i = 0; i < values.length; i += 1000) {
        await handle.db
          .insertInto('groups')
          .values(
            values.slice(i, i + 1000).map((g) => ({
              account_id: accountId,
              parent_id: g.parent,
              parent_key: g.parent ?? 0,
              name: g.name,
              name_key: foldAccents(g.name),
              level: g.level,
              created_at: at,
              updated_at: at,
            })),
          )
          .execute();
      }
    };
    await insertGroups(Array.from({ length: tops }, (_, i) => ({ parent: null, name: `Region ${i + 1}`, level: 2 })));
    const topIds = (
      await handle.db.selectFrom('groups').select('id').where('account_id', '=', accountId).orderBy('id').execute()
    ).map((r) => r.id);
    await insertGroups(
      topIds.flatMap((parent, t) =>
        Array.from({ length: perTop }, (_, i) => ({ parent, name: `Team ${t + 1}.${i + 1}`, level: 3 })),
      ),
    );
    const ids = await handle.db
      .selectFrom('groups')
      .select((eb) => [eb.fn.min<number>('id').as('lo'), eb.fn.count<number>('id').as('n')])
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    const users = await handle.db
      .selectFrom('users')
      .select((eb) => [eb.fn.min<number>('id').as('lo'), eb.fn.max<number>('id').as('hi')])
      .where('account_id', '=', accountId)
      .where('is_owner', '=', 0)
      .executeTakeFirstOrThrow();
    const lo = Number(users.lo);
    // One user in five is in a team (its main team): 200,000 memberships spread over the groups.
    await sql`insert into group_members (group_id, user_id, account_id, is_main, created_at)
      select ${Number(ids.lo)} + (u.id % ${Number(ids.n)}), u.id, u.account_id, 1, ${dialect === 'postgres' ? sql`cast(${at} as timestamptz)` : at}
      from users u where u.account_id = ${accountId} and u.is_owner = 0 and u.id % 5 = 0`.execute(handle.db);
    if (dialect === 'postgres') await sql`analyze`.execute(handle.db);
    else await sql`pragma optimize`.execute(handle.db);
    console.log(
      `  ${groupCount.toLocaleString('en')} groups and their memberships in ${seconds(performance.now() - started)}`,
    );

    const owner: Actor = { userId: big.owner.id, accountId, username: 'owner', accessType: 'admin', isOwner: true };

    // Team operations for ASSIGN users, each in one transaction, as a bulk action runs them.
    const target = topIds[0] as number;
    const chosen = Array.from({ length: ASSIGN }, (_, i) => lo + i);
    const timed = async (scenario: string, run: () => Promise<Map<number, { status: string }>>) => {
      const t = performance.now();
      const outcome = await run();
      const ms = performance.now() - t;
      const done = [...outcome.values()].filter((o) => o.status === 'done').length;
      rows.push({ db: dialect, scenario, p50: ms, p95: null, note: `${done.toLocaleString('en')} done` });
      console.log(`  ${scenario}: ${seconds(ms)} (${done.toLocaleString('en')} done)`);
    };
    const n = ASSIGN.toLocaleString('en');
    await timed(`assign a team to ${n} users`, () =>
      handle.db.transaction().execute((trx) => ctx.teams.assignTeamWithin(trx, owner, accountId, chosen, target)),
    );
    await timed(`set that team as main for ${n} users`, () =>
      handle.db.transaction().execute((trx) => ctx.teams.setMainTeamWithin(trx, owner, accountId, chosen, target)),
    );
    await timed(`unassign the (main) team from ${n} users`, () =>
      handle.db.transaction().execute((trx) => ctx.teams.unassignTeamWithin(trx, owner, accountId, chosen, target)),
    );

    // The tree over HTTP and in Chromium.
    const webRoot = loadConfig({}).webRoot;
    if (!existsSync(join(webRoot, 'index.html'))) throw new Error('Build the console first: npm run build');
    const app = createApp(ctx);
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const cookie = await signIn(base, big.oneTimePassword);
      const api = [] as number[];
      let bytes = 0;
      for (let i = 0; i < 25; i++) {
        const t = performance.now();
        const response = await fetch(`${base}/api/v1/groups`, { headers: { cookie } });
        const text = await response.text();
        if (i >= 5) api.push(performance.now() - t);
        bytes = text.length;
        if (response.status !== 200) throw new Error(`GET /groups: ${response.status}`);
      }
      rows.push({
        db: dialect,
        scenario: `tree API: GET /groups, ${groupCount.toLocaleString('en')} groups`,
        p50: median(api),
        p95: percentile(api, 95),
        note: `${Math.round(bytes / 1024)} KB`,
      });
      console.log(`  tree API: p50 ${median(api).toFixed(1)} ms, ${Math.round(bytes / 1024)} KB`);

      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      });
      try {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        const [name, value] = cookie.split('=') as [string, string];
        await context.addCookies([{ name, value, url: base }]);
        const page = await context.newPage();
        const shown: number[] = [];
        for (let i = 0; i < 6; i++) {
          const t = performance.now();
          await page.goto(`${base}/groups`);
          await page
            .locator('.tree__group > .tree__item')
            .nth(tops - 1)
            .waitFor();
          if (i > 0) shown.push(performance.now() - t);
        }
        const expand = performance.now();
        await page.getByRole('button', { name: 'Expand Region 1', exact: true }).click();
        await page.getByRole('link', { name: 'Team 1.1', exact: true }).waitFor();
        const expandMs = performance.now() - expand;
        rows.push({
          db: dialect,
          scenario: `Groups page in Chromium until the tree is shown (${groupCount.toLocaleString('en')} groups)`,
          p50: median(shown),
          p95: Math.max(...shown),
          note: `page load, API call and render; expanding a group of ${perTop}: ${expandMs.toFixed(0)} ms`,
        });
        console.log(`  tree shown in Chromium: median ${median(shown).toFixed(0)} ms`);
      } finally {
        await browser.close();
      }
    } finally {
      server.close();
    }
  } finally {
    await handle.close();
    await store.stop();
  }
}

/** Signs the owner in with their one-time password, chooses a password, and returns the session cookie. */
async function signIn(base: string, oneTimePassword: string): Promise<string> {
  const post = async (path: string, body: unknown, cookie?: string, csrf?: string) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    const cookieOut = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { cookie: cookieOut, body: (await response.json()) as { csrfToken?: string } };
  };
  const first = await post('/auth/sign-in', { account: 'big', username: 'owner', password: oneTimePassword });
  await post(
    '/auth/change-password',
    { currentPassword: oneTimePassword, newPassword: PASSWORD },
    first.cookie,
    first.body.csrfToken,
  );
  return (await post('/auth/sign-in', { account: 'big', username: 'owner', password: PASSWORD })).cookie;
}

const rows: Row[] = [];
for (const dialect of DIALECTS) await runDialect(dialect, rows);
console.log('\n| Database | Scenario | Time (p50) | p95 / max | Note |\n|---|---|---|---|---|');
for (const r of rows) {
  const fmt = (ms: number) => (ms >= 1000 ? seconds(ms) : `${ms.toFixed(1)} ms`);
  console.log(`| ${r.db} | ${r.scenario} | ${fmt(r.p50)} | ${r.p95 === null ? '' : fmt(r.p95)} | ${r.note} |`);
}
