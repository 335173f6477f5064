import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/policy.js';
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
    await insertUsersInBulk(h.ctx.database, accountId, users, { batchSize: 250 });
    actor = { userId: 0, accountId, username: 'test', accessType: 'admin', isOwner: false };
    const { database, audit } = h.ctx;
    const now = () => new Date();
    directories.candidates = new UserDirectory(database, audit, now, { selectiveCandidates: 1_000_000, walkWindow: 1 });
    directories.walkOnly = new UserDirectory(database, audit, now, { selectiveCandidates: 0, walkWindow: 1_000_000 });
    directories.smallWindow = new UserDirectory(database, audit, now, { selectiveCandidates: 0, walkWindow: 7 });
  });
  afterAll(() => h.close());

  const queries = ['zh', 'sch', 'smi', 'an', 'jo', 'o', 'zhou', 'mar zh', 'an sal', 'e s'];
  it.each(queries)('%j pages the same way under every plan', async (q) => {
    for (const sort of ['name', 'firstName', 'username'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        for (const status of [undefined, 'active'] as const) {
          const pages: Record<string, string[][]> = {};
          for (const [name, directory] of Object.entries(directories)) {
            const seen: string[][] = [];
            const totals: number[] = [];
            let cursor: string | undefined;
            for (let i = 0; i < 80; i++) {
              const page = await directory.list(actor, { q, sort, order, limit: 9, cursor, status });
              seen.push(page.items.map((u) => u.username));
              totals.push(page.total);
              expect(page.totalExact).toBe(true);
              if (!page.nextCursor) break;
              cursor = page.nextCursor;
            }
            const back = await directory.list(actor, { q, sort, order, limit: 9, last: true, status });
            seen.push(back.items.map((u) => u.username));
            totals.push(back.total);
            // Every page, whichever plan answered it, reports the whole search's exact total.
            const matches = new Set(seen.flat()).size;
            expect(totals, `${name}: ${q} ${sort} ${order} ${status}`).toEqual(totals.map(() => matches));
            pages[name] = seen;
          }
          expect(pages.walkOnly, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
          expect(pages.smallWindow, `${q} ${sort} ${order} ${status}`).toEqual(pages.candidates);
        }
      }
    }
  });
});
