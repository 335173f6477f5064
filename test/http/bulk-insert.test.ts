import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

describe.each(DIALECTS)('bulk insert keeps search and counts exact (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('indexes every inserted user and counts them, and triggers keep edits and deletes in step', async () => {
    const { accountId, owner } = await h.newAccount();
    const users = Array.from({ length: 2500 }, (_, i) => ({
      username: `bulk${i}`,
      firstName: i % 2 ? 'Zoë' : 'Bulk',
      lastName: `Person${i}`,
      department: i % 3 ? 'Inbound' : 'Outbound',
      accessType: i % 10 ? 'standard' : 'admin',
      enabled: i % 7 !== 0,
    }));
    expect(await insertUsersInBulk(h.ctx.database, accountId, users, { batchSize: 1000 })).toBe(2500);

    const actual = async (where = sql`true`) =>
      Number(
        (
          await sql<{
            n: number;
          }>`select count(*) as n from users where account_id = ${accountId} and ${where}`.execute(h.ctx.database.db)
        ).rows[0]?.n,
      );
    const list = async (query: string) => (await owner.get(`/users?${query}`)).body;
    expect((await list('')).total).toBe(await actual());
    expect((await list('department=Inbound')).total).toBe(await actual(sql`department = 'Inbound'`));
    expect((await list('accessType=admin&enabled=false')).total).toBe(
      await actual(sql`access_type = 'admin' and enabled = 0`),
    );
    const expected = users
      .filter((u) => u.firstName === 'Zoë' && u.lastName.includes('Person24'))
      .map((u) => u.username);
    const found = await list('q=zoe%20person24&limit=500');
    expect(found.items.map((u: { username: string }) => u.username).sort()).toEqual(expected.sort());
    expect(found.total).toBe(expected.length);
    expect((await list('q=person1234')).items.map((u: { username: string }) => u.username)).toEqual(['bulk1234']);

    const target = (await list('q=person1234')).items[0];
    await owner.patch(`/users/${target.id}`, { department: 'Retention', lastName: 'Renamed' });
    expect((await list('q=person1234')).items).toEqual([]);
    expect((await list('q=renamed')).items.map((u: { id: number }) => u.id)).toEqual([target.id]);
    expect((await list('department=Retention')).total).toBe(1);
    expect((await list('department=Inbound')).total).toBe(await actual(sql`department = 'Inbound'`));
    await owner.del(`/users/${target.id}`);
    expect((await list('q=renamed')).items).toEqual([]);
    expect((await list('')).total).toBe(await actual());
    expect((await list('department=Retention')).total).toBe(0);
  });
});
