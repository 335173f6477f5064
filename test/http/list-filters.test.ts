import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../server/policy.js';
import { PostgresSearch } from '../../server/search/postgres.js';
import { SqliteSearch } from '../../server/search/sqlite.js';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { UserDirectory } from '../../server/services/users.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';

const names = (reply: { body: { items: { username: string }[] } }) => reply.body.items.map((u) => u.username);

// People sorted by name: Adams < Baker < Clark < Davis < Evans < Fox < Green < Hill.
const PEOPLE = [
  { username: 'adams', firstName: 'Ann', lastName: 'Adams', department: 'Sales' },
  { username: 'baker', firstName: 'Bob', lastName: 'Baker', department: 'Sales' },
  { username: 'clark', firstName: 'Cy', lastName: 'Clark', department: 'Support' },
  { username: 'davis', firstName: 'Dee', lastName: 'Davis', department: 'Sales', enabled: false },
  { username: 'evans', firstName: 'Eve', lastName: 'Evans', department: 'Support' },
  { username: 'fox', firstName: 'Flo', lastName: 'Fox', department: 'Sales' },
  { username: 'green', firstName: 'Gus', lastName: 'Green', department: 'Billing' },
  { username: 'hill', firstName: 'Hal', lastName: 'Hill', department: 'Sales' },
];

describe.each(DIALECTS)('user list by group and by license (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;
  let ids: Record<string, number>;
  let sales: number;
  let inbound: number;
  let foreignGroup: number;
  beforeAll(async () => {
    h = await createHarness(dialect);
    owner = (await h.newAccount()).owner;
    ids = {};
    for (const person of PEOPLE) ids[person.username] = (await h.buildUser(owner, person)).id;
    sales = (await owner.post('/groups', { name: 'Sales' })).body.id;
    inbound = (await owner.post('/groups', { name: 'Inbound', parentId: sales })).body.id;
    const join = async (groupId: number, usernames: string[]) => {
      for (const username of usernames) {
        const reply = await owner.post(`/users/${ids[username]}/teams`, { groupId });
        expect(reply.status).toBe(200);
      }
    };
    await join(inbound, ['baker', 'davis', 'fox', 'hill', 'green']);
    // Direct members only: Sales' own member, not those of its subgroup Inbound.
    await join(sales, ['adams']);
    for (const username of ['fox', 'hill', 'clark', 'evans']) {
      const reply = await owner.post(`/users/${ids[username]}/licenses`, { application: 'call_tracking' });
      expect(reply.status).toBe(200);
    }
    // Another account with a group and a licensed member, never in these results.
    const other = await h.newAccount();
    foreignGroup = (await other.owner.post('/groups', { name: 'Sales' })).body.id;
    const stranger = await h.buildUser(other.owner, { username: 'fox', firstName: 'Flo', lastName: 'Fox' });
    await other.owner.post(`/users/${stranger.id}/teams`, { groupId: foreignGroup });
    await other.owner.post(`/users/${stranger.id}/licenses`, { application: 'call_tracking' });
  });
  afterAll(() => h.close());

  it('filters by group (direct members) and by license, with exact totals', async () => {
    const team = await owner.get(`/users?groupId=${inbound}`);
    expect(team.status).toBe(200);
    expect(names(team)).toEqual(['baker', 'davis', 'fox', 'green', 'hill']);
    expect(team.body).toMatchObject({ total: 5, totalExact: true });
    expect(names(await owner.get(`/users?groupId=${sales}`))).toEqual(['adams']);

    const licensed = await owner.get('/users?license=call_tracking');
    expect(names(licensed)).toEqual(['clark', 'evans', 'fox', 'hill']);
    expect(licensed.body).toMatchObject({ total: 4, totalExact: true });
    const nobody = await owner.get('/users?license=voice_analytics');
    expect(nobody.body).toMatchObject({ items: [], total: 0, totalExact: true });

    const both = await owner.get(`/users?groupId=${inbound}&license=call_tracking`);
    expect(names(both)).toEqual(['fox', 'hill']);
    expect(both.body.total).toBe(2);
  });

  it('combines with search and the other filters', async () => {
    const enabled = await owner.get(`/users?groupId=${inbound}&enabled=true&department=Sales`);
    expect(names(enabled)).toEqual(['baker', 'fox', 'hill']);
    expect(enabled.body.total).toBe(3);
    const searched = await owner.get(`/users?groupId=${inbound}&q=${encodeURIComponent('h')}`);
    expect(names(searched)).toEqual(['hill']);
    expect(searched.body.total).toBe(1);
    const fragment = await owner.get('/users?license=call_tracking&q=ev&department=Support');
    expect(names(fragment)).toEqual(['evans']);
    expect(fragment.body.total).toBe(1);
    // The highlights still come with the search.
    expect(fragment.body.items[0].highlights.lastName).toEqual([[0, 2]]);
  });

  it('sorts and pages with cursors, backwards and to the last page', async () => {
    const query = `groupId=${inbound}&sort=name&order=desc&limit=2`;
    const page1 = await owner.get(`/users?${query}`);
    expect(names(page1)).toEqual(['hill', 'green']);
    expect(page1.body.total).toBe(5);
    const page2 = await owner.get(`/users?${query}&cursor=${page1.body.nextCursor}`);
    expect(names(page2)).toEqual(['fox', 'davis']);
    const page3 = await owner.get(`/users?${query}&cursor=${page2.body.nextCursor}`);
    expect(names(page3)).toEqual(['baker']);
    expect(page3.body.nextCursor).toBeNull();
    const back = await owner.get(`/users?${query}&cursor=${page3.body.prevCursor}`);
    expect(names(back)).toEqual(['fox', 'davis']);
    const last = await owner.get(`/users?${query}&last=true`);
    expect(names(last)).toEqual(['davis', 'baker']);
    const byDepartment = await owner.get('/users?license=call_tracking&sort=department&limit=3');
    expect(names(byDepartment)).toEqual(['fox', 'hill', 'clark']);
    const rest = await owner.get(
      `/users?license=call_tracking&sort=department&limit=3&cursor=${byDepartment.body.nextCursor}`,
    );
    expect(names(rest)).toEqual(['evans']);
  });

  it("refuses an unknown group and another account's group, naming the field", async () => {
    for (const groupId of [foreignGroup, 999_999]) {
      const reply = await owner.get(`/users?groupId=${groupId}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('ValidationFailed');
      expect(reply.body.error.fields).toEqual([{ path: 'groupId', message: 'No such group in your account' }]);
      const csv = await owner.get(`/users/export.csv?groupId=${groupId}`);
      expect(csv.status).toBe(400);
    }
    expect((await owner.get('/users?groupId=abc')).body.error.fields[0].path).toBe('groupId');
    expect((await owner.get('/users?license=netflix')).body.error.fields[0].path).toBe('license');
  });

  it('exports exactly the filtered list', async () => {
    const csv = await owner.get(`/users/export.csv?groupId=${inbound}&license=call_tracking&sort=username&order=desc`);
    expect(csv.status).toBe(200);
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['hill', 'fox']);
    const xlsx = await owner.get('/users/export.xlsx?license=call_tracking');
    expect(xlsx.status).toBe(200);
  });

  it('keeps the group and the license in a saved filter', async () => {
    const saved = await owner.post('/saved-filters', {
      name: 'Inbound trackers',
      filter: { groupId: inbound, license: 'call_tracking' },
    });
    expect(saved.status).toBe(201);
    expect(saved.body.filter).toEqual({ groupId: inbound, license: 'call_tracking' });
    const listed = (await owner.get('/saved-filters')).body.items.find(
      (f: { name: string }) => f.name === 'Inbound trackers',
    );
    expect(listed.filter).toEqual({ groupId: inbound, license: 'call_tracking' });
    const foreign = await owner.post('/saved-filters', { name: 'Theirs', filter: { groupId: foreignGroup } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.fields[0].path).toBe('filter.groupId');
  });

  it('removes the saved filters of a group when the group is deleted', async () => {
    const night = (await owner.post('/groups', { name: 'Night desk' })).body.id;
    const mine = await owner.post('/saved-filters', {
      name: 'Night shift',
      filter: { groupId: night },
      isDefault: true,
    });
    expect(mine.status).toBe(201);
    const kept = await owner.post('/saved-filters', { name: 'Disabled', filter: { enabled: false } });
    expect(kept.status).toBe(201);
    const deleted = await owner.del(`/groups/${night}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ deleted: 1, removedSavedFilters: 1 });
    const left = (await owner.get('/saved-filters')).body.items.map((f: { name: string }) => f.name);
    expect(left).toContain('Disabled');
    expect(left).not.toContain('Night shift');
    expect(left).toContain('Inbound trackers');
    const audit = await owner.get('/audit?action=group.delete');
    expect(audit.body.items[0].after).toMatchObject({ removedSavedFilters: 1 });
    expect((await owner.del(`/saved-filters/${kept.body.id}`)).status).toBe(204);
  });

  it('counts a bulk selection by group and license, and refuses a foreign group', async () => {
    const dry = await owner.post('/users/bulk', {
      action: 'disable',
      selection: { filter: { groupId: inbound, license: 'call_tracking' } },
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.selected).toBe(2);
    const searched = await owner.post('/users/bulk', {
      action: 'disable',
      selection: { filter: { license: 'call_tracking', q: 'support' } },
      dryRun: true,
    });
    expect(searched.body.selected).toBe(2);
    const foreign = await owner.post('/users/bulk', {
      action: 'disable',
      selection: { filter: { groupId: foreignGroup } },
      dryRun: true,
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.fields[0].path).toBe('selection.filter.groupId');
  });
});

// Starting from a small group's members, or walking the sort index with a window, must give the same pages.
describe.each(DIALECTS)('group and license plans agree (%s)', (dialect) => {
  let h: Harness;
  let actor: Actor;
  let teamId: number;
  const directories: Record<string, UserDirectory> = {};
  beforeAll(async () => {
    h = await createHarness(dialect);
    const { owner, accountId } = await h.newAccount();
    const surnames = ['Adams', 'Baker', 'Smith', 'Zhang', 'Young'];
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) {
      const user = await h.buildUser(owner, {
        username: `u${String(i).padStart(2, '0')}`,
        firstName: `F${i % 7}`,
        lastName: surnames[Math.floor(i / 12)],
        department: i % 3 ? 'Sales' : 'Support',
      });
      ids.push(user.id);
    }
    teamId = (await owner.post('/groups', { name: 'Team' })).body.id;
    // Members cluster at the end of the name order (Young, Zhang) plus a few early ones.
    const members = ids.filter((_, i) => i >= 36 || i % 10 === 0);
    const team = await owner.post('/users/bulk', {
      action: 'assign_team',
      selection: { ids: members },
      groupId: teamId,
    });
    expect(team.body.done).toBe(members.length);
    const licensed = ids.filter((_, i) => i % 4 === 1);
    const granted = await owner.post('/users/bulk', {
      action: 'assign_license',
      selection: { ids: licensed },
      application: 'quality_management',
    });
    expect(granted.body.done).toBe(licensed.length);
    actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
    const { database, audit } = h.ctx;
    const now = () => new Date();
    directories.members = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 1_000_000,
      walkWindow: 1,
    });
    directories.walk = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 1_000_000,
    });
    directories.smallWindow = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 4,
    });
  });
  afterAll(() => h.close());

  it('pages the same way under every plan', async () => {
    const filters = [
      { groupId: teamId },
      { license: 'quality_management' as const },
      { groupId: teamId, license: 'quality_management' as const },
      { groupId: teamId, department: 'Sales' },
      { groupId: teamId, q: 'zh' },
      { license: 'quality_management' as const, q: 'a' },
    ];
    for (const filter of filters) {
      for (const sort of ['name', 'username', 'department'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const pages: Record<string, string[][]> = {};
          for (const [name, directory] of Object.entries(directories)) {
            const seen: string[][] = [];
            const totals: number[] = [];
            let cursor: string | undefined;
            for (let i = 0; i < 40; i++) {
              const page = await directory.list(actor, { ...filter, sort, order, limit: 5, cursor });
              seen.push(page.items.map((u) => u.username));
              totals.push(page.total);
              expect(page.totalExact).toBe(true);
              if (!page.nextCursor) break;
              cursor = page.nextCursor;
            }
            const matches = new Set(seen.flat()).size;
            const label = `${name}: ${JSON.stringify(filter)} ${sort} ${order}`;
            expect(totals, label).toEqual(totals.map(() => matches));
            expect(matches, label).toBeGreaterThan(0);
            const ids = await directory.matchingIds(actor, filter);
            expect(ids.length, label).toBe(matches);
            pages[name] = seen;
          }
          expect(pages.walk).toEqual(pages.members);
          expect(pages.smallWindow).toEqual(pages.members);
        }
      }
    }
  });

  it('counts a large group under other filters among a bounded number of its members, then as "at least"', async () => {
    const { database, audit } = h.ctx;
    const now = () => new Date();
    // The other filters leave more users than the budget, so the group's first members are tested (a page found by
    // walking the sort index; on PostgreSQL a page that sorts the members past a window counts them all).
    const budget = (setCountBudget: number) =>
      new UserDirectory(database, audit, now, {
        scanUsers: 0,
        selectiveCandidates: 0,
        walkWindow: 1_000_000,
        setCountBudget,
      });
    const filter = { groupId: teamId, license: 'quality_management' as const };
    const exact = await new UserDirectory(database, audit, now).list(actor, filter);
    expect(exact.totalExact).toBe(true);
    expect(exact.total).toBeGreaterThan(2);
    const whole = await budget(1000).list(actor, filter);
    expect(whole).toMatchObject({ total: exact.total, totalExact: true });
    const bounded = await budget(3).list(actor, filter);
    expect(bounded.totalExact).toBe(false);
    expect(bounded.total).toBeLessThan(exact.total);
    // The page itself is complete whatever the count.
    expect(bounded.items.map((u) => u.username)).toEqual(exact.items.map((u) => u.username));
  });
});

// A plain list whose filters keep many of the account's users walks the account's sort index, testing the filters on
// each row, and reads no more rows than the filters keep (see SearchAdapter.walkKept): kept users that cluster elsewhere in
// the sort order send the list to the database's own sort. The pages are the same either way.
describe.each(DIALECTS)('filtered lists walk the sort index within a budget (%s)', (dialect) => {
  let h: Harness;
  let actor: Actor;
  let directory: UserDirectory;
  // Name order is creation order: Billing's 80 users are the last 80 by name, statuses alternate.
  const people = Array.from({ length: 200 }, (_, i) => ({
    username: `w${String(i).padStart(3, '0')}`,
    firstName: 'Wren',
    lastName: `Walker${String(i).padStart(3, '0')}`,
    department: i < 120 ? 'Sales' : 'Billing',
    status: i % 2 ? ('active' as const) : ('inactive' as const),
  }));
  beforeAll(async () => {
    h = await createHarness(dialect);
    const { accountId } = await h.newAccount();
    await insertUsersInBulk(h.ctx.database, accountId, people, { batchSize: 100 });
    actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
    directory = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date());
  });
  afterAll(() => h.close());

  it('pages every filter in both orders, forwards and from the last page, as the filters say', async () => {
    const walks = vi.spyOn(
      (dialect === 'sqlite' ? SqliteSearch.prototype : PostgresSearch.prototype) as {
        walkKept: () => Promise<unknown>;
      },
      'walkKept',
    );
    const filters = [
      { department: 'Billing' },
      { department: 'Sales' },
      { status: 'inactive' as const },
      { department: 'Billing', status: 'active' as const },
    ];
    for (const filter of filters) {
      const kept = people
        .filter((p) => Object.entries(filter).every(([key, value]) => p[key as keyof typeof p] === value))
        .map((p) => p.username);
      for (const sort of ['name', 'createdAt', 'username'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const expected = order === 'asc' ? kept : [...kept].reverse();
          const label = `${JSON.stringify(filter)} ${sort} ${order}`;
          const forwards: string[] = [];
          let cursor: string | undefined;
          for (let i = 0; i < 40; i++) {
            const page = await directory.list(actor, { ...filter, sort, order, limit: 9, cursor });
            expect([page.total, page.totalExact], label).toEqual([kept.length, true]);
            forwards.push(...page.items.map((u) => u.username));
            if (!page.nextCursor) break;
            cursor = page.nextCursor;
          }
          expect(forwards, label).toEqual(expected);
          const backwards: string[] = [];
          let page = await directory.list(actor, { ...filter, sort, order, limit: 9, last: true });
          for (let i = 0; i < 40; i++) {
            backwards.unshift(...page.items.map((u) => u.username));
            if (!page.prevCursor) break;
            page = await directory.list(actor, { ...filter, sort, order, limit: 9, cursor: page.prevCursor });
          }
          expect(backwards, label).toEqual(expected);
        }
      }
    }
    // Billing's users fill no page of a walk from the start of the name order (its first 80 users are Sales): the sort
    // answers. Walking from the end, or among the alternating statuses, the walk fills pages itself.
    const outcome = async (query: Parameters<UserDirectory['list']>[1]) => {
      walks.mockClear();
      await directory.list(actor, { ...query, limit: 9 });
      const result = walks.mock.results[0];
      return result ? ((await result.value) === null ? 'sorted' : 'walked') : 'not tried';
    };
    // PostgreSQL's planner walks the index itself: its lists never try.
    const walked = dialect === 'sqlite' ? 'walked' : 'sorted';
    expect(await outcome({ department: 'Billing' })).toBe('sorted');
    expect(await outcome({ department: 'Billing', order: 'desc' })).toBe(walked);
    expect(await outcome({ department: 'Billing', last: true })).toBe(walked);
    expect(await outcome({ status: 'inactive' })).toBe(walked);
    // Filters that keep few users are sorted at once; a sort by the filtered column reads its own index.
    expect(await outcome({ department: 'Billing', status: 'active' })).toBe('sorted');
    expect(await outcome({ department: 'Sales', sort: 'department' })).toBe('not tried');
    walks.mockRestore();
  });
});
