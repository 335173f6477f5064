import { CompiledQuery, type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TRIGRAM_PARTS } from '../../server/db/user-index.js';
import type { Actor } from '../../server/policy.js';
import { DEFAULT_TUNING } from '../../server/search/contract.js';
import { searchAdapter } from '../../server/search/list.js';
import { PostgresSearch } from '../../server/search/postgres.js';
import { SqliteSearch } from '../../server/search/sqlite.js';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { UserDirectory } from '../../server/services/users.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

// Every way of answering a search (fetch-and-sort the candidates, walk the sort index, walk a window then sort
// the rest) must give the same pages. Tiny thresholds force each plan on a small directory.
describe.each(DIALECTS)('search plans agree (%s)', (dialect) => {
  let h: Harness;
  let actor: Actor;
  const directories: Record<string, UserDirectory> = {};
  beforeAll(async () => {
    h = await createHarness(dialect);
    const { accountId } = await h.newAccount();
    const surnames = ['Adams', 'Baker', 'Smith', 'Smirnov', 'Schmidt', 'Schulz', 'Zhang', 'Zhao', 'Zhou', 'Young'];
    const firsts = ['Ann', 'Bob', 'Joan', 'John', 'Zoë', 'Mar'];
    const users = Array.from({ length: 600 }, (_, i) => ({
      username: `u${i}`,
      firstName: firsts[i % firsts.length] as string,
      // Surnames cluster: each block of 60 users shares one, so a surname fragment matches one stretch of the sort.
      lastName: surnames[Math.floor(i / 60)] as string,
      department: i % 4 ? 'Sales' : 'Support',
      status: i % 3 ? ('active' as const) : ('inactive' as const),
    }));
    // Names at the edges of the name order: a letter beyond z, a digit, a separator, a one-letter surname; some match
    // a surname's fragment far from that surname's block.
    const edges = [
      ['Østergaard', 'Zhu'],
      ['Mu', 'Zhi'],
      ['Z', 'Zhen'],
      ['Zh', 'Ann'],
      ['4you', 'Zha'],
      ["'t Hooft", 'Zhe'],
      ['Łukasz', 'Smit'],
      ['Y', 'Oona'],
    ].map(([lastName, firstName], i) => ({ username: `x${i}`, firstName: firstName as string, lastName }));
    await insertUsersInBulk(h.ctx.database, accountId, [...users, ...edges], { batchSize: 250 });
    actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
    const { database, audit } = h.ctx;
    const now = () => new Date();
    directories.candidates = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 1_000_000,
      walkWindow: 1,
    });
    directories.walkOnly = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 1_000_000,
    });
    directories.smallWindow = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 7,
    });
    // Every user's document tested, as a small account is searched (see SearchAdapter.scanUsers).
    directories.scanned = new UserDirectory(database, audit, now, {
      scanUsers: 1_000_000,
      selectiveCandidates: 0,
      walkWindow: 7,
    });
    // PostgreSQL: every search of this small account is estimated from a sample of all of it, and a window of 7 rows
    // would hold less than a page of any of them, so each one sorts its candidates at once.
    directories.sampled = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 1000,
      walkWindow: 7,
      sampleMinUsers: 1,
    });
    await directories.sampled.readSearchSample(accountId);
    // Sampled but never sparse: past a first window that held some of its matches, a search walks on over four rows
    // per estimated match, which reaches most pages here; with a twentieth of a row per match the walk stops short of
    // most pages, and the candidates past it are sorted.
    directories.sampledDense = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 7,
      sampleMinUsers: 1,
      sparseMatches: 0,
    });
    await directories.sampledDense.readSearchSample(accountId);
    directories.sampledShortWalk = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 7,
      sampleMinUsers: 1,
      sparseMatches: 0,
      walkedPerSorted: 0.05,
    });
    await directories.sampledShortWalk.readSearchSample(accountId);
    // PostgreSQL: a search of one two-letter term without filters reads its page and total from the word-start table
    // in every directory above but this one (and the scanned one, which reads no index).
    directories.noWordStarts = new UserDirectory(database, audit, now, {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 7,
      wordStartTable: false,
    });
  });
  afterAll(() => h.close());

  const queries = [
    'zh',
    'sch',
    'smi',
    'an',
    'jo',
    'o',
    'zhou',
    'mar zh',
    'an sal',
    'e s',
    'yo',
    'sm',
    'zo',
    'ou',
    'mu',
    'sa smi',
    'ho',
    'lu',
    'os',
    '4y',
  ];
  it('tests every user of an account of at most scanUsers users instead of reading the search index', async () => {
    const { total: users } = await h.ctx.users.facets(actor);
    // The adapter is asked for a search's plan only when the account is not scanned.
    const indexReads =
      dialect === 'sqlite' ? vi.spyOn(SqliteSearch.prototype, 'search') : vi.spyOn(PostgresSearch.prototype, 'search');
    const reads: number[] = [];
    for (const scanUsers of [users, users - 1]) {
      indexReads.mockClear();
      const directory = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
        scanUsers,
        selectiveCandidates: 1000,
        walkWindow: 5000,
      });
      const page = await directory.list(actor, { q: 'sch', limit: 5 });
      expect([page.total, page.totalExact]).toEqual([120, true]);
      reads.push(indexReads.mock.calls.length);
    }
    indexReads.mockRestore();
    expect(reads).toEqual([0, 1]);
    // By default SQLite scans accounts of up to 20,000 users; PostgreSQL's first window does the same work.
    expect(searchAdapter(h.ctx.database).scanUsers).toBe(dialect === 'sqlite' ? 20_000 : 0);
  });

  it.each(queries)('%j pages the same way under every plan', async (q) => {
    // An admin whose profile limits Users to Support (a quarter of the users), as a department filter does.
    const supportAdmin: Actor = {
      ...actor,
      profile: { id: 1, name: 'Support desk', rules: { users: { access: 'some', items: ['Support'] } } as never },
    };
    for (const sort of ['name', 'firstName', 'username'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const cases = [
          { who: actor, status: undefined },
          { who: actor, status: 'active' as const },
          ...(sort === 'name' ? [{ who: supportAdmin, status: undefined }] : []),
        ];
        for (const { who, status } of cases) {
          const pages: Record<string, string[][]> = {};
          for (const [name, directory] of Object.entries(directories)) {
            const seen: string[][] = [];
            const totals: number[] = [];
            let cursor: string | undefined;
            for (let i = 0; i < 80; i++) {
              const page = await directory.list(who, { q, sort, order, limit: 9, cursor, status });
              seen.push(page.items.map((u) => u.username));
              totals.push(page.total);
              expect(page.totalExact).toBe(true);
              if (!page.nextCursor) break;
              cursor = page.nextCursor;
            }
            const back = await directory.list(who, { q, sort, order, limit: 9, last: true, status });
            seen.push(back.items.map((u) => u.username));
            totals.push(back.total);
            // Every page, whichever plan answered it, reports the whole search's exact total.
            const matches = new Set(seen.flat()).size;
            expect(totals, `${name}: ${q} ${sort} ${order} ${status}`).toEqual(totals.map(() => matches));
            // Support's users are every fourth of the u users.
            if (who === supportAdmin)
              expect(seen.flat().every((u) => /^u\d+$/.test(u) && Number(u.slice(1)) % 4 === 0)).toBe(true);
            pages[name] = seen;
          }
          expect(pages.walkOnly, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.smallWindow, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.scanned, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.sampled, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.sampledDense, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.sampledShortWalk, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.noWordStarts, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
        }
      }
    }
  });
});

// PostgreSQL counts a dense search by walking the name index until the matches pass its cap of 1,000 ("at least"),
// going on past a first stretch only as far as that stretch's density says; a search that stays under the cap must
// still be counted exactly. A small first stretch makes a 1,300-user directory take every branch.
describe.each(DIALECTS)('dense search totals (%s)', (dialect) => {
  let h: Harness;
  let actor: Actor;
  let directory: UserDirectory;
  beforeAll(async () => {
    h = await createHarness(dialect);
    const { accountId } = await h.newAccount();
    const users = Array.from({ length: 1300 }, (_, i) => ({
      username: `d${i}`,
      firstName: i % 13 ? 'Dana' : 'Eve',
      lastName: `Moss${String(i).padStart(4, '0')}`,
      // 1,200 users in Sales, 877 of them on its floor.
      department: i % 13 ? (i % 4 && i < 1267 ? 'Sales Floor' : 'Sales') : 'Support',
    }));
    await insertUsersInBulk(h.ctx.database, accountId, users, { batchSize: 250 });
    // Another account's 1,100 Eves must not count in this one's totals.
    const other = await h.newAccount();
    const eves = Array.from({ length: 1100 }, (_, i) => ({ username: `e${i}`, firstName: 'Eve', lastName: 'Other' }));
    await insertUsersInBulk(h.ctx.database, other.accountId, eves, { batchSize: 250 });
    actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
    directory = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 50,
      countProbe: 200,
    });
  });
  afterAll(() => h.close());

  it('answers "at least" the cap past it, and exactly below it', async () => {
    const sizes: Record<string, number> = {};
    for (const q of ['sales', 'dana', 'floor', 'eve']) {
      const matches = (await h.ctx.users.matchingIds(actor, { q })).length;
      sizes[q] = matches;
      const page = await directory.list(actor, { q, limit: 25 });
      expect(page.items).toHaveLength(Math.min(25, matches));
      const capped = dialect === 'postgres' && matches > 1000;
      expect([q, page.total, page.totalExact]).toEqual([q, capped ? 1000 : matches, !capped]);
    }
    // Past the cap from the first stretch on, past it only after walking on, and under it after walking on.
    expect(sizes).toEqual({ sales: 1200, dana: 1200, floor: 877, eve: 100 });
  });

  // A directory that walks too little to count a dense search, so a total past the cap is counted from the index.
  const walkingLittleDirectory = () =>
    new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 50,
      countProbe: 50,
      denseCountBudget: 60,
    });

  // Two-letter terms whose density does not let walking count them: the index counts them past the cap ("da": 1,200
  // Danas), or exactly ("ev": 100 Eves here, and 1,100 in another account that must not count).
  it('counts two-letter totals from the index past the cap and below it', async () => {
    const walkingLittle = walkingLittleDirectory();
    const da = await walkingLittle.list(actor, { q: 'da', limit: 25 });
    expect([da.items.length, da.total, da.totalExact]).toEqual(
      dialect === 'postgres' ? [25, 1000, false] : [25, 1200, true],
    );
    const ev = await walkingLittle.list(actor, { q: 'ev', limit: 2 });
    expect([ev.items.map((user) => user.firstName), ev.total, ev.totalExact]).toEqual([['Eve', 'Eve'], 100, true]);
    // Beside a longer term.
    const daMoss = await walkingLittle.list(actor, { q: 'da moss', limit: 25 });
    expect([daMoss.total, daMoss.totalExact]).toEqual(dialect === 'postgres' ? [1000, false] : [1200, true]);
    const evSupport = await walkingLittle.list(actor, { q: 'ev support', limit: 2 });
    expect([evSupport.total, evSupport.totalExact]).toEqual([100, true]);
    const daFloor = await walkingLittle.list(actor, { q: 'da floor', limit: 25 });
    expect([daFloor.total, daFloor.totalExact]).toEqual([877, true]);
  });

  // PostgreSQL: users whose department alone holds every term match whatever else they hold, so the account's counts by
  // department prove a total past the cap without counting users ("sales": 1,200 in Sales and Sales Floor); below
  // the cap ("floor": 877), or with a term no department holds ("sales dana"), the users are counted.
  it.runIf(dialect === 'postgres')('proves a total past the cap from the counts by department', async () => {
    const db = h.ctx.database.db;
    const walkingLittle = walkingLittleDirectory();
    const withoutProof = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 50,
      countProbe: 50,
      denseCountBudget: 60,
      departmentTotals: false,
    });
    // A count of users selects from its rows as a subquery named `rows` (UserList.countRows).
    const counts = vi.spyOn(db, 'selectFrom');
    const counted = () => counts.mock.calls.filter(([from]) => (from as { alias?: unknown }).alias === 'rows').length;
    const cases: [UserDirectory, string, number, boolean, boolean][] = [
      [walkingLittle, 'sales', 1000, false, false],
      [withoutProof, 'sales', 1000, false, true],
      [walkingLittle, 'floor', 877, true, true],
      [walkingLittle, 'sales dana', 1000, false, true],
    ];
    for (const [directory, q, total, exact, countsUsers] of cases) {
      counts.mockClear();
      const page = await directory.list(actor, { q, limit: 25 });
      expect([q, page.items.length, page.total, page.totalExact]).toEqual([q, 25, total, exact]);
      expect([q, counted() > 0]).toEqual([q, countsUsers]);
    }
    counts.mockRestore();
  });

  // The last page walks the name order from its end: the matches among its last rows say nothing of how far a count
  // from the start must go (990 Zeds after 110 Abbotts: their last 51 rows must not be counted twice).
  it('counts a dense search exactly from its last page', async () => {
    const { accountId } = await h.newAccount();
    const users = Array.from({ length: 1100 }, (_, i) =>
      i < 110
        ? { username: `a${i}`, firstName: 'Ann', lastName: `Abbott${String(i).padStart(4, '0')}` }
        : { username: `z${i}`, firstName: 'Zoe', lastName: `Zed${String(i).padStart(4, '0')}` },
    );
    await insertUsersInBulk(h.ctx.database, accountId, users, { batchSize: 250 });
    const owner = { ...actor, accountId };
    for (const last of [false, true]) {
      const page = await directory.list(owner, { q: 'zed', limit: 25, last });
      expect([last, page.items.length, page.total, page.totalExact]).toEqual([last, 25, 990, true]);
    }
  });
});

/**
 * Records the steps of PostgreSQL's window plan each search takes, in order, until `spy` is restored: the first window
 * (or another of its size), the walk on past it, and the candidates sorted.
 */
function recordPlans() {
  const plans: string[] = [];
  const steps = { walkStretch: 'window', walkOn: 'walk on', sortedCandidates: 'sort' } as const;
  const target = PostgresSearch.prototype as unknown as Record<keyof typeof steps, (...args: unknown[]) => unknown>;
  const spies = Object.entries(steps).map(([method, step]) => {
    const original = target[method as keyof typeof steps];
    return vi.spyOn(target, method as keyof typeof steps).mockImplementation(function (this: unknown, ...args) {
      plans.push(step);
      return original.apply(this, args);
    });
  });
  const restore = () => {
    for (const spy of spies) spy.mockRestore();
  };
  return { plans, spy: { mockRestore: restore } };
}

// PostgreSQL estimates a search's matches from a sample of the account's search documents, read in the background
// for accounts large enough to need it; a search it says is sparse sorts its candidates without walking a window.
describe('search estimates (postgres)', () => {
  let h: Harness;
  let accountId: number;
  let actor: Actor;
  beforeAll(async () => {
    h = await createHarness('postgres');
    ({ accountId } = await h.newAccount());
    const users = Array.from({ length: 900 }, (_, i) => ({
      username: `s${i}`,
      firstName: i % 3 ? 'Maria' : 'Ivan',
      lastName: i < 30 ? 'Smith' : `Jones${String(i).padStart(4, '0')}`,
      department: i % 2 ? 'Sales' : 'Support',
    }));
    // One `sm` first in name order, so that a window from the start holds one of the 31 `sm` matches.
    users.push({ username: 'abbott', firstName: 'Smokey', lastName: 'Abbott', department: '' });
    await insertUsersInBulk(h.ctx.database, accountId, users, { batchSize: 250 });
    actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
  });
  afterAll(() => h.close());

  it("reads the part of the trigram index that holds the account's users", async () => {
    const { db } = h.ctx.database;
    const search = new PostgresSearch(db, DEFAULT_TUNING);
    const plan = (account: number) =>
      db.transaction().execute(async (trx) => {
        // A small table: without sequential scans the planner shows which index the query can use.
        await sql`set local enable_seqscan = off`.execute(trx);
        const query = trx
          .selectFrom('users')
          .where(search.inAccount(account, true))
          .where(search.termTests(['smi'], 'index')[0] as RawBuilder<boolean>)
          .select('users.id')
          .compile();
        const explained = await trx.executeQuery(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]));
        return explained.rows.map((row) => Object.values(row as object).join('')).join('\n');
      });
    expect(await plan(accountId)).toContain(`on users_search_trgm_${accountId % TRIGRAM_PARTS} `);
    // Another part's account reads its own part.
    expect(await plan(accountId + 1)).toContain(`on users_search_trgm_${(accountId + 1) % TRIGRAM_PARTS} `);
  });

  it('estimates from the sample, and not for accounts below its size', async () => {
    const samples = (sampleMinUsers: number) =>
      new PostgresSearch(h.ctx.database.db, { ...DEFAULT_TUNING, sampleMinUsers }).samples;
    const search = samples(1);
    expect(search.estimate(accountId, ['smi'])).toBeNull();
    await search.read(accountId);
    // A sample of all 900 users (the account has fewer than a sample holds) counts exactly.
    const smi = search.estimate(accountId, ['smi']);
    expect(smi).toMatchObject({ matches: 30 });
    // Two letters at the start of a word: `ma` in Maria, not in Smith or Jones.
    expect(search.estimate(accountId, ['ma', 'smi'])).toMatchObject({ matches: 20 });
    expect(search.estimate(accountId, ['ma', 'sal'])).toMatchObject({ matches: 300 });
    expect(search.estimate(accountId, ['it'])).toMatchObject({ matches: 0 });
    const tooFew = samples(10_000);
    await tooFew.read(accountId);
    expect(tooFew.estimate(accountId, ['smi'])).toBeNull();
  });

  it('sorts a sparse search at once, and walks a window first without an estimate', async () => {
    const { plans, spy } = recordPlans();
    const tuning = { scanUsers: 0, selectiveCandidates: 0, walkWindow: 50 };
    const sampled = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), { ...tuning, sampleMinUsers: 1 });
    await sampled.readSearchSample(accountId);
    const unsampled = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      ...tuning,
      sampleMinUsers: 10_000,
    });
    await unsampled.readSearchSample(accountId);
    const pages: string[][] = [];
    for (const directory of [sampled, unsampled]) {
      plans.length = 0;
      const page = await directory.list(actor, { q: 'ma smi', limit: 5 });
      expect([page.total, page.totalExact]).toEqual([20, true]);
      pages.push(page.items.map((user) => user.username));
      expect(plans[0]).toBe(directory === sampled ? 'sort' : 'window');
    }
    // Few matches in absolute terms, but a third of the account: a window of 50 rows likely holds the page.
    plans.length = 0;
    const ivans = await sampled.list(actor, { q: 'ivan', limit: 5 });
    expect([ivans.items.length, ivans.total, ivans.totalExact]).toEqual([5, 300, true]);
    expect(plans[0]).toBe('window');
    spy.mockRestore();
    expect(pages[0]).toEqual(pages[1]);
  });

  it('walks on past its window over rows in proportion to the estimated matches, then sorts past the walk', async () => {
    const { plans, spy } = recordPlans();
    // Without the word-start table, which would answer a search of one two-letter term.
    const tuning = {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 50,
      sparseMatches: 0,
      sampleMinUsers: 1,
      wordStartTable: false,
    };
    const pages: string[][] = [];
    // "sm": Smokey Abbott in the first window, then the 30 Smiths past 870 Joneses. Four rows per estimated match (124)
    // stop short of them, forty (1,240) reach them.
    for (const walkedPerSorted of [4, 40]) {
      const directory = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
        ...tuning,
        walkedPerSorted,
      });
      await directory.readSearchSample(accountId);
      plans.length = 0;
      const page = await directory.list(actor, { q: 'sm', limit: 5 });
      expect([page.total, page.totalExact]).toEqual([31, true]);
      pages.push(page.items.map((user) => user.username));
      // The window, the walk on, then the candidates past it when the walk did not fill the page.
      expect(plans).toEqual(['window', 'walk on', ...(walkedPerSorted === 4 ? ['sort'] : [])]);
    }
    spy.mockRestore();
    expect(pages[0]).toEqual(pages[1]);
    expect(pages[0]).toHaveLength(5);
  });

  // The same search with the word-start table: one range of it in name order, no window, walk or sort of candidates;
  // with a filter, or beside another term, the table is not read.
  it('reads a search of one two-letter term from the word-start table', async () => {
    const { plans, spy } = recordPlans();
    const directory = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 50,
      sampleMinUsers: 1,
    });
    await directory.readSearchSample(accountId);
    const withoutTable = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      scanUsers: 0,
      selectiveCandidates: 0,
      walkWindow: 50,
      wordStartTable: false,
    });
    const target = PostgresSearch.prototype as unknown as Record<'wordStartPage', (...args: unknown[]) => unknown>;
    const ranges = vi.spyOn(target, 'wordStartPage');
    const pages = async (from: UserDirectory) => {
      const first = await from.list(actor, { q: 'sm', limit: 5 });
      const next = await from.list(actor, { q: 'sm', limit: 5, cursor: first.nextCursor ?? undefined });
      const last = await from.list(actor, { q: 'sm', limit: 5, last: true });
      return [first, next, last].map((page) => [page.items.map((user) => user.username), page.total, page.totalExact]);
    };
    const read = await pages(directory);
    expect([ranges.mock.calls.length, plans]).toEqual([3, []]);
    expect(read[0]).toEqual([['abbott', 's0', 's3', 's6', 's9'], 31, true]);
    expect(read).toEqual(await pages(withoutTable));
    ranges.mockClear();
    await directory.list(actor, { q: 'sm', limit: 5, department: 'Sales' });
    await directory.list(actor, { q: 'sm jones', limit: 5 });
    expect(ranges.mock.calls.length).toBe(0);
    ranges.mockRestore();
    spy.mockRestore();
  });

  // A sample read before the account changed estimates wrongly (none of the users added since, as many as ever of
  // those removed); it only chooses plans, so pages and totals stay those of a plan that uses no sample.
  it('gives the same pages and totals from a stale sample', async () => {
    const tuning = { scanUsers: 0, selectiveCandidates: 0, walkWindow: 50, sampleMinUsers: 1 };
    const stale = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), tuning);
    const staleDense = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      ...tuning,
      sparseMatches: 0,
    });
    await stale.readSearchSample(accountId);
    await staleDense.readSearchSample(accountId);
    const added = Array.from({ length: 120 }, (_, i) => ({
      username: `zedd${i}`,
      firstName: 'Zedd',
      lastName: `Abel${String(i).padStart(3, '0')}`,
    }));
    await insertUsersInBulk(h.ctx.database, accountId, added, { batchSize: 250 });
    await h.ctx.database.db
      .deleteFrom('users')
      .where('account_id', '=', accountId)
      .where('username', 'like', 's1%')
      .execute();
    const sorted = new UserDirectory(h.ctx.database, h.ctx.audit, () => new Date(), {
      scanUsers: 0,
      selectiveCandidates: 1_000_000,
      walkWindow: 1,
    });
    const pagesOf = async (directory: UserDirectory, q: string) => {
      const seen: string[][] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await directory.list(actor, { q, limit: 7, cursor });
        seen.push([String(page.total), ...page.items.map((user) => user.username)]);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      return seen;
    };
    for (const q of ['zedd', 'ze', 'ab', 'smi', 'ma', 'ivan jo']) {
      const expected = await pagesOf(sorted, q);
      expect(expected.flat().length, q).toBeGreaterThan(1);
      expect(await pagesOf(stale, q), q).toEqual(expected);
      expect(await pagesOf(staleDense, q), q).toEqual(expected);
    }
  });
});
