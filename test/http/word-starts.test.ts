// PostgreSQL's word-start table (migration 0028) holds, for every user, the first two characters of each word of the
// search document (but words that start with an ASCII digit) with the user's name key, whichever way the users were
// written: created one at a time, in bulk, by an import (create and update), renamed, moved to another department,
// deleted. A search of one two-letter term reads its page and total from it, so a row it lacks is a match lost.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { createHarness, type Harness } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

/** What the table must hold for a user's search document: its words' first two characters, as the search reads them. */
function expectedStarts(doc: string): string[] {
  const starts = new Set<string>();
  for (const word of doc.split(' ')) {
    const start = [...word].slice(0, 2).join('');
    if ([...start].length === 2 && !start.includes('\n') && !/^[0-9]/.test(start)) starts.add(start);
  }
  return [...starts].sort();
}

describe('the word-start table (postgres)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('postgres');
  });
  afterAll(() => h.close());

  /** Every user's rows in the table, against what the user's document and name key say, by user id. */
  async function compare(accountId: number) {
    const users = await h.db
      .selectFrom('users')
      .select(['id', 'search_doc', 'name_key'])
      .where('account_id', '=', accountId)
      .execute();
    const rows = await h.db
      .selectFrom('user_word_starts')
      .select(['user_id', 'start', 'name_key'])
      .where('account_id', '=', accountId)
      .execute();
    const stored = new Map<number, string[]>();
    for (const row of rows)
      stored.set(row.user_id, [...(stored.get(row.user_id) ?? []), `${row.start}|${row.name_key}`]);
    const actual = Object.fromEntries(users.map((u) => [u.id, (stored.get(u.id) ?? []).sort()]));
    const expected = Object.fromEntries(
      users.map((u) => [u.id, expectedStarts(u.search_doc).map((start) => `${start}|${u.name_key}`)]),
    );
    expect(actual).toEqual(expected);
    // No rows of users that are gone.
    expect(rows.every((row) => users.some((u) => u.id === row.user_id))).toBe(true);
    return users.length;
  }

  it('follows creates, bulk inserts, imports, renames, department moves and deletes', async () => {
    const { owner, accountId } = await h.newAccount();
    const created = [];
    for (const [firstName, lastName, department] of [
      ['Jean-Joseph', 'Ødegård', 'Sales'],
      ['Σοφία', 'Παπαδοπούλου', 'Support'],
      ['A', 'Li', ''],
      ['王', '小明', 'Support'],
    ]) {
      created.push(await h.buildUser(owner, { firstName, lastName, department, phone: '+1 (212) 555-0199' }));
    }
    await insertUsersInBulk(
      h.ctx.database,
      accountId,
      Array.from({ length: 40 }, (_, i) => ({
        username: `bulk${i}`,
        firstName: ['Müller', 'Straße', "O'Neil", 'Yılmaz'][i % 4] as string,
        lastName: `Smith${i % 7}`,
        email: `bulk${i}@north-wind.example`,
        department: i % 2 ? 'Billing' : 'Chat',
      })),
      { batchSize: 16 },
    );
    const file = csv([
      ['Username', 'First Name', 'Last Name', 'Department'],
      ['imported1', 'Żółć', 'Nguyễn', 'Escalations'],
      ['imported2', 'Þór', 'Æsir', 'Escalations'],
      ['bulk3', 'Renamed', 'Byimport', 'Chat'],
    ]);
    const preview = await upload(h, owner, 'users.csv', file);
    expect(preview.status).toBe(201);
    await owner.patch(`/imports/${preview.body.id}`, { mode: 'upsert' });
    const done = await runImport(owner, preview.body.id, { mode: 'upsert' });
    expect(done.body.status).toBe('done');
    expect(await compare(accountId)).toBe(1 + 4 + 40 + 2);

    const [first, second, third] = created;
    expect((await owner.patch(`/users/${first.id}`, { lastName: 'Weber', department: 'Quality' })).status).toBe(200);
    expect((await owner.patch(`/users/${second.id}`, { department: 'Outbound calls' })).status).toBe(200);
    expect((await owner.del(`/users/${third.id}`)).status).toBe(204);
    expect(await compare(accountId)).toBe(1 + 3 + 40 + 2);

    // The searches the table answers find what the documents hold.
    for (const q of ['we', 'sm', 'ou', 'ng', 'by', 'ne', 'wi']) {
      const page = await owner.get(`/users?q=${q}&limit=100`);
      const { rows } = await sql<{ n: number }>`select count(*) as n from users
        where account_id = ${accountId} and search_doc like ${`% ${q}%`}`.execute(h.db);
      expect([q, page.body.total, page.body.items.length]).toEqual([q, Number(rows[0]?.n), Number(rows[0]?.n)]);
      expect(page.body.total).toBeGreaterThan(0);
    }
  });
});
