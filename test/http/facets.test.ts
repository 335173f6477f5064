// The facet counts (user_facets) agree with the users table after creates that run at the same time, including
// creates whose invitation changes the new user's status in the same transaction, and after failed creates.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

describe.each(DIALECTS)('facet counts (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('count every created user once, in the bucket the user ends in', async () => {
    const { owner, accountId } = await h.newAccount();
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        owner.post('/users', {
          username: `facet${i}`,
          firstName: 'Facet',
          email: `facet${i}@example.com`,
          // New departments (a facet row that does not exist yet), and invitations that set the status to invited.
          department: `Dept ${i % 5}`,
          sendInvitation: i % 3 === 0,
        }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(24).fill(201));
    // A create refused inside its transaction (the username is taken) counts nothing.
    expect((await owner.post('/users', { username: 'facet1', firstName: 'Again', department: 'Dept 9' })).status).toBe(
      409,
    );
    const actual = await sql<{ key: string; n: number }>`
      select access_type || '|' || status || '|' || enabled || '|' || department || '|' || source as key, count(*) as n
      from users where account_id = ${accountId} group by 1`.execute(h.db);
    const counted = await sql<{ key: string; n: number }>`
      select access_type || '|' || status || '|' || enabled || '|' || department || '|' || source as key, n
      from user_facets where account_id = ${accountId} and n <> 0`.execute(h.db);
    const asMap = (rows: { key: string; n: number }[]) =>
      Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
    expect(asMap(counted.rows)).toEqual(asMap(actual.rows));
    expect(Object.keys(asMap(actual.rows)).some((key) => key.includes('|invited|'))).toBe(true);
  });
});
