// Creates that arrive together are written together (WriteBatches): every request still gets its own answer, a
// refused one takes nothing else down, and what a create brings along (default licenses from a pool of a few seats,
// the audit entry, the user.created event) is there exactly once per user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe.each(DIALECTS)('creates written together (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  async function scimClient(tokenName = 'Okta') {
    const account = await h.newAccount();
    const token = (await account.owner.post('/scim-tokens', { name: tokenName })).body.token as string;
    const create = async (userName: string, extra: Record<string, unknown> = {}) => {
      const response = await h.app.request('/scim/v2/Users', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: [USER], userName, name: { givenName: 'Ana', familyName: userName }, ...extra }),
      });
      // biome-ignore lint/suspicious/noExplicitAny: replies are read loosely.
      return { status: response.status, body: (await response.json()) as any };
    };
    return { ...account, create };
  }

  it('answers each of many concurrent creates on its own, a username in use refused alone', async () => {
    const { accountId, create } = await scimClient();
    const names = Array.from({ length: 40 }, (_, i) => `batch.${i}@example.com`);
    // Two requests for one username, and one for a username in another case, among the rest.
    const asked = [...names, 'batch.7@example.com', 'BATCH.12@example.com'];
    const replies = await Promise.all(asked.map((name) => create(name)));
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status !== 201);
    expect(created).toHaveLength(40);
    expect(refused.map((r) => r.status)).toEqual([409, 409]);
    for (const reply of refused) expect(reply.body).toMatchObject({ scimType: 'uniqueness' });
    expect(new Set(created.map((r) => r.body.userName.toLowerCase()))).toEqual(new Set(names));
    for (const reply of created) expect(reply.body.groups ?? []).toEqual([]);

    const ids = created.map((r) => Number(r.body.id));
    const users = await h.db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute();
    expect(users).toHaveLength(40);
    const audit = await h.db
      .selectFrom('audit_events')
      .select('target_id')
      .where('account_id', '=', accountId)
      .where('action', '=', 'user.create')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => Number(a.target_id)).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    const events = await h.db
      .selectFrom('events')
      .select(['user_id', 'user_seq', 'type'])
      .where('user_id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(events).toHaveLength(40);
    for (const event of events) expect(event).toMatchObject({ type: 'user.created', user_seq: 1 });
  });

  it('grants default licenses to concurrent creates while seats last, never beyond the pool', async () => {
    const { owner, accountId, create } = await scimClient();
    expect((await owner.request('PUT', '/licenses/pools/chat', { size: 5 })).status).toBe(200);
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => create(`seat.${i}@example.com`)));
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(201));
    const holders = await h.db
      .selectFrom('user_licenses')
      .select('user_id')
      .where('account_id', '=', accountId)
      .where('app', '=', 'chat')
      .execute();
    expect(holders).toHaveLength(5);
    const pool = await h.db
      .selectFrom('license_pools')
      .select('used')
      .where('account_id', '=', accountId)
      .where('app', '=', 'chat')
      .executeTakeFirstOrThrow();
    expect(pool.used).toBe(5);
    // Each answer and each row says what the user holds.
    const licensed = new Set(holders.map((row) => row.user_id));
    for (const reply of replies) {
      const id = Number(reply.body.id);
      const row = await h.db.selectFrom('users').select('license_apps').where('id', '=', id).executeTakeFirstOrThrow();
      expect(JSON.parse(row.license_apps)).toEqual(licensed.has(id) ? ['chat'] : []);
    }
  });

  it("keeps each account's creates its own when they are written together: rows, audit, events, default licenses", async () => {
    const a = await scimClient('Okta A');
    const b = await scimClient('Okta B');
    for (const { owner } of [a, b]) {
      expect((await owner.request('PUT', '/licenses/pools/chat', { size: 3 })).status).toBe(200);
    }
    // Interleaved, so that the writes queued together hold both accounts' users.
    const asked = Array.from({ length: 16 }, (_, i) => ({
      client: i % 2 === 0 ? a : b,
      name: `mixed.${i}@example.com`,
    }));
    const replies = await Promise.all(asked.map(({ client, name }) => client.create(name)));
    expect(replies.map((r) => r.status)).toEqual(Array(16).fill(201));
    for (const [client, other, actor] of [
      [a, b, 'scim:Okta A'],
      [b, a, 'scim:Okta B'],
    ] as const) {
      const mine = replies.filter((_, i) => asked[i]?.client === client).map((r) => Number(r.body.id));
      const rows = await h.db.selectFrom('users').select(['id', 'account_id']).where('id', 'in', mine).execute();
      expect(rows.map((r) => r.account_id)).toEqual(Array(8).fill(client.accountId));
      const audit = await h.db
        .selectFrom('audit_events')
        .select(['target_id', 'actor_username', 'action'])
        .where('account_id', '=', client.accountId)
        .where('action', 'in', ['user.create', 'user.license.grant'])
        .execute();
      const created = audit.filter((e) => e.action === 'user.create').map((e) => Number(e.target_id));
      expect(created.sort((x, y) => x - y)).toEqual([...mine].sort((x, y) => x - y));
      const granted = audit.filter((e) => e.action === 'user.license.grant').map((e) => Number(e.target_id));
      expect(granted).toHaveLength(3);
      for (const id of granted) expect(mine).toContain(id);
      for (const entry of audit) expect(entry.actor_username).toBe(actor);
      const events = await h.db
        .selectFrom('events')
        .select(['account_id', 'user_id'])
        .where('user_id', 'in', mine)
        .execute();
      expect(events.map((e) => e.account_id)).toEqual(Array(8).fill(client.accountId));
      const holders = await h.db
        .selectFrom('user_licenses')
        .select(['user_id', 'account_id'])
        .where('app', '=', 'chat')
        .where('account_id', '=', client.accountId)
        .execute();
      expect(holders.map((row) => row.user_id).sort((x, y) => x - y)).toEqual([...granted].sort((x, y) => x - y));
      const theirs = await h.db
        .selectFrom('audit_events')
        .select('target_id')
        .where('account_id', '=', other.accountId)
        .where('target_type', '=', 'user')
        .where('target_id', 'in', mine.map(String))
        .execute();
      expect(theirs).toEqual([]);
    }
  });
});
