// The bulk-action benchmark: in an account of 1,000,000 users, one bulk action on 100,000 of them over the HTTP
// API (POST /users/bulk), on SQLite and PostgreSQL. Prints a markdown table; BENCH_USERS and BENCH_DB change the run.
import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import { createApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { migrateToLatest, openDatabase } from '../server/db/index.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { signedInClient } from '../test/support/server.js';
import { generateUsers } from './data.js';
import { benchDatabase } from './databases.js';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const SELECTED = Math.min(100_000, Math.floor(USERS / 10));
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const PASSWORD = 'Bench-pass-2026!';

interface Row {
  db: Dialect;
  scenario: string;
  seconds: number;
  note: string;
}
const results: Row[] = [];

async function runDialect(dialect: Dialect) {
  console.log(`\n== ${dialect}: ${USERS.toLocaleString('en')} users, bulk actions on ${SELECTED.toLocaleString('en')}`);
  const store = await benchDatabase(dialect, 'bulk');
  const handle = openDatabase(store.url, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const ctx = createContext({ ...loadConfig({}), databaseUrl: store.url }, handle);
    const big = await ctx.accounts.create({ name: 'Big contact center', slug: 'big', owner: { username: 'owner' } });
    const seeded = performance.now();
    await insertUsersInBulk(handle, big.account.id, generateUsers(USERS, 1));
    if (dialect === 'postgres') await sql`analyze`.execute(handle.db);
    else await sql`pragma optimize`.execute(handle.db);
    console.log(`  seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

    const app = createApp(ctx);
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
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

    const created = await api('/groups', { method: 'POST', body: { name: 'Night shift' } });
    if (created.status !== 201) throw new Error(`group: ${created.status} ${await created.text()}`);
    const team = ((await created.json()) as { id: number }).id;
    // Every tenth user of the account, spread over the whole id range (as a hand-made selection would be).
    const picked = await handle.db
      .selectFrom('users')
      .select('id')
      .where('account_id', '=', big.account.id)
      .where('is_owner', '=', 0)
      .where(sql<boolean>`id % 10 = 0`)
      .orderBy('id')
      .limit(SELECTED)
      .execute();
    const ids = picked.map((row) => row.id);

    async function bulk(scenario: string, body: Record<string, unknown>, expectDone?: number) {
      const started = performance.now();
      const response = await api('/users/bulk', { method: 'POST', body });
      const text = await response.text();
      const seconds = (performance.now() - started) / 1000;
      if (response.status !== 200) throw new Error(`${scenario}: ${response.status} ${text.slice(0, 300)}`);
      const report = JSON.parse(text) as { selected: number; done: number; skipped: number; completed: boolean };
      const expected = body.dryRun ? 0 : (expectDone ?? report.selected - report.skipped);
      const accounted = body.dryRun ? report.selected === ids.length : report.done + report.skipped === report.selected;
      if (!report.completed || report.done !== expected || !accounted) {
        throw new Error(`${scenario}: expected ${expectDone} done, got ${JSON.stringify({ ...report, groups: [] })}`);
      }
      const note = body.dryRun
        ? `${report.selected.toLocaleString('en')} users counted`
        : `${report.done.toLocaleString('en')} done, report ${(text.length / 1e6).toFixed(1)} MB`;
      results.push({ db: dialect, scenario, seconds, note });
      console.log(`  ${scenario}: ${seconds.toFixed(2)} s (${note})`);
    }

    await bulk(
      `confirmation count (dry run), ${SELECTED.toLocaleString('en')} ids`,
      { action: 'assign_team', groupId: team, selection: { ids }, dryRun: true },
      0,
    );
    await bulk(
      `assign team to ${SELECTED.toLocaleString('en')} users (by id)`,
      { action: 'assign_team', groupId: team, selection: { ids } },
      ids.length,
    );
    const role = await handle.db
      .selectFrom('roles')
      .select('id')
      .where('account_id', '=', big.account.id)
      .where('app', '=', 'quality_management')
      .where('name', '=', 'REPORTS_VIEW')
      .executeTakeFirstOrThrow();
    await bulk(
      `assign role to ${SELECTED.toLocaleString('en')} users (by id)`,
      { action: 'assign_role', roleId: role.id, selection: { ids } },
      ids.length,
    );
    // Some generated users are disabled already: they are skipped ("already disabled").
    await bulk(`disable ${SELECTED.toLocaleString('en')} users (by id)`, { action: 'disable', selection: { ids } });
    const department = await handle.db
      .selectFrom('users')
      .select(['department', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', big.account.id)
      .where('department', '!=', '')
      .groupBy('department')
      .orderBy('department')
      .executeTakeFirstOrThrow();
    await bulk(
      `unassign team, filter "department = ${department.department}"`,
      { action: 'unassign_team', groupId: team, selection: { filter: { department: department.department } } },
      Number(
        (
          await handle.db
            .selectFrom('group_members')
            .innerJoin('users', 'users.id', 'group_members.user_id')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('group_members.group_id', '=', team)
            .where('users.department', '=', department.department)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    );
    await new Promise((r) => server.close(r));
  } finally {
    await handle.close();
    await store.stop();
  }
}

for (const dialect of DIALECTS) await runDialect(dialect);

console.log('\n| Database | Scenario | Time | Note |\n|---|---|---|---|');
for (const r of results) console.log(`| ${r.db} | ${r.scenario} | ${r.seconds.toFixed(2)} s | ${r.note} |`);
