import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { emitUserEvents } from '../../server/services/user-events.js';
import { USER_EVENT_TYPES } from '../../shared/user-events.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

interface Event {
  id: number;
  type: string;
  seq: number | null;
  // biome-ignore lint/suspicious/noExplicitAny: payloads are read loosely.
  payload: any;
}

describe.each(DIALECTS)('user events (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  /** A user's events in the order they were written. */
  async function eventsOf(userId: number): Promise<Event[]> {
    const rows = await h.db
      .selectFrom('events')
      .select(['id', 'type', 'payload_json', 'user_seq'])
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      seq: row.user_seq,
      payload: JSON.parse(row.payload_json),
    }));
  }
  const typesOf = async (userId: number) => (await eventsOf(userId)).map((e) => e.type);
  const lastOf = async (userId: number) => (await eventsOf(userId)).at(-1) as Event;
  /** Sequence numbers are 1..n in the order the events were written. */
  async function expectSequence(userId: number) {
    const events = await eventsOf(userId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    return events;
  }
  const group = async (owner: Client, name: string, parentId?: number) =>
    (await owner.post('/groups', { name, ...(parentId ? { parentId } : {}) })).body.id as number;

  it('lists the event types the console offers', () => {
    expect(USER_EVENT_TYPES).toContain('team.membership_changed');
    expect(USER_EVENT_TYPES).toHaveLength(10);
  });

  it('writes created, updated, enabled, disabled and deleted for single-user changes, numbered per user', async () => {
    const { owner, accountId } = await h.newAccount();
    await owner.request('PUT', '/licenses/pools/chat', { size: 10 });
    const user = await h.buildUser(owner, {
      username: 'ada',
      firstName: 'Ada',
      email: 'ada@example.com',
      department: 'Sales',
    });

    const created = await lastOf(user.id);
    expect(created.type).toBe('user.created');
    expect(created.payload.change).toBeUndefined();
    // What an application needs to create the user: the default license, and the role a Standard user gets.
    expect(created.payload.user).toMatchObject({
      id: user.id,
      username: 'ada',
      email: 'ada@example.com',
      firstName: 'Ada',
      department: 'Sales',
      enabled: true,
      accessType: 'standard',
      authMethod: 'password',
      source: 'local',
      externalId: null,
      licenses: ['chat'],
      applications: [{ application: 'chat', role: 'AGENT', roles: ['AGENT'] }],
      mainTeam: null,
    });

    expect((await owner.patch(`/users/${user.id}`, { phone: '555 0100', accessType: 'admin' })).status).toBe(200);
    const updated = await lastOf(user.id);
    expect(updated.type).toBe('user.updated');
    expect(updated.payload.change).toEqual({
      before: { phone: null, accessType: 'standard' },
      after: { phone: '555 0100', accessType: 'admin' },
    });
    expect(updated.payload.user.applications).toEqual([
      { application: 'chat', role: 'ADMINISTRATOR', roles: ['ADMINISTRATOR'] },
    ]);

    // Disabling alone is user.disabled; with another field, user.updated too.
    await owner.patch(`/users/${user.id}`, { enabled: false, lastName: 'Lovelace' });
    const [disabled, alsoUpdated] = (await eventsOf(user.id)).slice(-2);
    expect(disabled).toMatchObject({
      type: 'user.disabled',
      payload: { change: { before: { enabled: true }, after: { enabled: false } }, user: { enabled: false } },
    });
    expect(alsoUpdated).toMatchObject({
      type: 'user.updated',
      payload: { change: { before: { lastName: 'User' }, after: { lastName: 'Lovelace' } } },
    });
    await owner.patch(`/users/${user.id}`, { enabled: true });
    expect((await lastOf(user.id)).type).toBe('user.enabled');
    // Nothing changed, nothing written.
    const count = (await eventsOf(user.id)).length;
    await owner.patch(`/users/${user.id}`, { phone: '555 0100' });
    expect(await eventsOf(user.id)).toHaveLength(count);

    expect((await owner.del(`/users/${user.id}`)).status).toBe(204);
    const deleted = await lastOf(user.id);
    expect(deleted.type).toBe('user.deleted');
    // The user as they were.
    expect(deleted.payload.user).toMatchObject({
      id: user.id,
      username: 'ada',
      lastName: 'Lovelace',
      licenses: ['chat'],
    });
    const events = await expectSequence(user.id);
    expect(events.map((e) => e.type)).toEqual([
      'user.created',
      'user.updated',
      'user.disabled',
      'user.updated',
      'user.enabled',
      'user.deleted',
    ]);
    // The counter outlives the user.
    const counter = await h.db
      .selectFrom('user_event_sequences')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    expect(counter).toEqual({ user_id: user.id, account_id: accountId, seq: 6 });

    // The API shows each event's user and sequence; no secret travels.
    const listed = await owner.get(`/events?after=${created.id - 1}`);
    expect(listed.status).toBe(200);
    const mine = listed.body.items.filter((e: { userId: number }) => e.userId === user.id);
    expect(mine.map((e: { sequence: number }) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.stringify(listed.body)).not.toMatch(/"password":|passwordHash|password_hash|\$argon2|secret/i);
  });

  it('writes nothing for an update that fails validation or a transaction that rolls back', async () => {
    const { owner, accountId } = await h.newAccount();
    const user = await h.buildUser(owner, { agentId: '7001' });
    const other = await h.buildUser(owner);
    const before = await eventsOf(other.id);

    const invalid = await owner.patch(`/users/${other.id}`, { email: 'not-an-address' });
    expect(invalid.status).toBe(400);
    // Refused inside the transaction (the agent id is taken): the update and its event roll back together.
    const taken = await owner.patch(`/users/${other.id}`, { agentId: '7001', firstName: 'Changed' });
    expect(taken.status).toBe(409);
    expect(await eventsOf(other.id)).toEqual(before);

    await expect(
      h.db.transaction().execute(async (trx) => {
        await emitUserEvents(
          trx,
          dialect,
          [{ accountId, userId: user.id, type: 'user.updated' }],
          new Date().toISOString(),
        );
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await typesOf(user.id)).toEqual(['user.created']);
    // The number the rolled-back event took is given again: no gap.
    await owner.patch(`/users/${user.id}`, { firstName: 'Next' });
    await expectSequence(user.id);
  });

  it('writes license and role events with the roles the application should give', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner);
    expect((await owner.post(`/users/${user.id}/licenses`, { application: 'quality_management' })).status).toBe(200);
    const granted = await lastOf(user.id);
    expect(granted).toMatchObject({ type: 'license.granted', payload: { change: { license: 'quality_management' } } });
    // Quality Management maps no role to a Standard user: the role mappings say what they get.
    expect(granted.payload.user.applications).toEqual([{ application: 'quality_management', role: null, roles: [] }]);

    const apps = (await owner.get('/applications')).body.items;
    const qm = apps.find((a: { key: string }) => a.key === 'quality_management');
    const agentRole = qm.roles.find((r: { name: string }) => r.name === 'DEFAULT_AGENT').id as number;
    expect((await owner.post(`/users/${user.id}/roles`, { roleIds: [agentRole] })).status).toBe(200);
    const assigned = await lastOf(user.id);
    expect(assigned).toMatchObject({
      type: 'user.roles_changed',
      payload: { change: { assigned: ['quality_management/DEFAULT_AGENT'] } },
    });
    expect(assigned.payload.user.applications).toEqual([
      { application: 'quality_management', role: null, roles: ['DEFAULT_AGENT'] },
    ]);
    expect((await owner.del(`/users/${user.id}/roles/${agentRole}`)).status).toBe(200);
    expect(await lastOf(user.id)).toMatchObject({
      type: 'user.roles_changed',
      payload: { change: { unassigned: ['quality_management/DEFAULT_AGENT'] } },
    });

    expect((await owner.del(`/users/${user.id}/licenses/quality_management`)).status).toBe(200);
    const revoked = await lastOf(user.id);
    expect(revoked).toMatchObject({ type: 'license.revoked', payload: { user: { licenses: [], applications: [] } } });
    // Revoking a license the user does not hold changes nothing and writes nothing.
    await owner.del(`/users/${user.id}/licenses/quality_management`);
    expect((await lastOf(user.id)).id).toBe(revoked.id);

    // A custom role deleted: its holders lose the mapping.
    const custom = await owner.post('/roles', { application: 'chat', name: 'NIGHT_SHIFT' });
    await owner.post(`/users/${user.id}/roles`, { roleIds: [custom.body.id] });
    expect((await owner.del(`/roles/${custom.body.id}`)).status).toBe(204);
    expect(await lastOf(user.id)).toMatchObject({
      type: 'user.roles_changed',
      payload: { change: { unassigned: ['chat/NIGHT_SHIFT'], roleDeleted: true } },
    });
    await expectSequence(user.id);
  });

  it('writes team membership events for joining, leaving, the main team, moves and a deleted group', async () => {
    const { owner } = await h.newAccount();
    const sales = await group(owner, 'Sales');
    const support = await group(owner, 'Support');
    const user = await h.buildUser(owner);

    await owner.post(`/users/${user.id}/teams`, { groupId: sales });
    const joined = await lastOf(user.id);
    expect(joined).toMatchObject({
      type: 'team.membership_changed',
      payload: { change: { joined: { id: sales, path: 'Sales' } }, user: { mainTeam: { id: sales, name: 'Sales' } } },
    });
    await owner.post(`/users/${user.id}/teams`, { groupId: support });
    await owner.request('PUT', `/users/${user.id}/main-team`, { groupId: support });
    expect(await lastOf(user.id)).toMatchObject({
      type: 'team.membership_changed',
      payload: { change: { mainTeam: { id: support } }, user: { mainTeam: { id: support } } },
    });
    await owner.del(`/users/${user.id}/teams/${sales}`);
    expect((await lastOf(user.id)).payload.change).toEqual({ left: { id: sales, path: 'Sales' } });
    // A refused change (already a member) writes nothing.
    const count = (await eventsOf(user.id)).length;
    expect((await owner.post(`/users/${user.id}/teams`, { groupId: support })).status).toBe(409);
    expect(await eventsOf(user.id)).toHaveLength(count);

    const moved = await owner.post(`/users/${user.id}/move`, { toGroupId: sales, moveCalls: true });
    expect(moved.status).toBe(200);
    expect(moved.body.event).toMatchObject({
      type: 'user.moved',
      userId: user.id,
      payload: { userId: user.id, fromGroupId: support, toGroupId: sales, moveCalls: true, user: { id: user.id } },
    });
    const [membership, move] = (await eventsOf(user.id)).slice(-2);
    expect(membership?.type).toBe('team.membership_changed');
    expect(move).toMatchObject({ type: 'user.moved', seq: moved.body.event.sequence });

    expect((await owner.request('DELETE', `/groups/${sales}?mode=delete_all`)).status).toBe(200);
    expect(await lastOf(user.id)).toMatchObject({
      type: 'team.membership_changed',
      payload: { change: { left: [{ id: sales, path: 'Sales' }], groupDeleted: true }, user: { mainTeam: null } },
    });
    await expectSequence(user.id);
  });

  it('writes events for self-service profile edits', async () => {
    const { owner } = await h.newAccount();
    const me = (await owner.get('/session')).body.user;
    expect((await owner.patch('/me', { firstName: 'Grace', language: 'fr' })).status).toBe(200);
    expect(await lastOf(me.id)).toMatchObject({
      type: 'user.updated',
      payload: { change: { before: { firstName: 'Account' }, after: { firstName: 'Grace', language: 'fr' } } },
    });
    // The account's owner was created with the account.
    const events = await expectSequence(me.id);
    expect(events[0]?.type).toBe('user.created');
  });

  it('writes one event per user from each bulk action, with each user their own numbers', async () => {
    const { owner } = await h.newAccount();
    await owner.request('PUT', '/licenses/pools/call_tracking', { size: 100, licensedByDefault: false });
    const team = await group(owner, 'Bulk team');
    const users = [await h.buildUser(owner), await h.buildUser(owner), await h.buildUser(owner)];
    const ids = users.map((u) => u.id as number);
    const apps = (await owner.get('/applications')).body.items;
    const chat = apps.find((a: { key: string }) => a.key === 'chat');
    const admin = chat.roles.find((r: { name: string }) => r.name === 'ADMINISTRATOR').id as number;
    const run = async (body: Record<string, unknown>) => {
      const reply = await owner.post('/users/bulk', { selection: { ids }, ...body });
      expect(reply.status).toBe(200);
      expect(reply.body, JSON.stringify(body)).toMatchObject({ done: ids.length });
    };

    const steps: [Record<string, unknown>, string, unknown][] = [
      [{ action: 'disable' }, 'user.disabled', { before: { enabled: true }, after: { enabled: false } }],
      [{ action: 'enable' }, 'user.enabled', { before: { enabled: false }, after: { enabled: true } }],
      [{ action: 'disable_sync' }, 'user.updated', { before: { syncEnabled: true }, after: { syncEnabled: false } }],
      [
        { action: 'add_required_actions', requiredActions: ['update_profile'] },
        'user.updated',
        { before: { requiredActions: [] }, after: { requiredActions: ['update_profile'] } },
      ],
      [
        { action: 'assign_team', groupId: team },
        'team.membership_changed',
        { joined: { id: team, path: 'Bulk team' } },
      ],
      [{ action: 'assign_role', roleId: admin }, 'user.roles_changed', { assigned: ['chat/ADMINISTRATOR'] }],
      [{ action: 'unassign_role', roleId: admin }, 'user.roles_changed', { unassigned: ['chat/ADMINISTRATOR'] }],
      [{ action: 'assign_license', application: 'call_tracking' }, 'license.granted', { license: 'call_tracking' }],
      [{ action: 'revoke_license', application: 'call_tracking' }, 'license.revoked', { license: 'call_tracking' }],
    ];
    for (const [body, type, change] of steps) {
      await run(body);
      for (const id of ids) expect(await lastOf(id)).toMatchObject({ type, payload: { change, user: { id } } });
    }
    await run({ action: 'assign_license', application: 'call_tracking' });
    const licensed = await lastOf(ids[0] as number);
    expect(licensed.payload.user.applications).toEqual([
      { application: 'call_tracking', role: 'CT_USER', roles: ['CT_USER'] },
    ]);
    expect(licensed.payload.user.mainTeam).toMatchObject({ id: team });

    await run({ action: 'delete' });
    for (const id of ids) {
      const events = await expectSequence(id);
      expect(events.at(-1)).toMatchObject({
        type: 'user.deleted',
        payload: { user: { id, licenses: ['call_tracking'] } },
      });
      expect(events).toHaveLength(steps.length + 3);
    }
  });

  it('writes created and updated events from an import', async () => {
    const { owner } = await h.newAccount();
    const existing = await h.buildUser(owner, { username: 'existing', firstName: 'Old' });
    const file = csv([
      ['Username', 'Full Name', 'Email'],
      ['imported', 'Ida Imported', 'ida@example.com'],
      ['existing', 'New Name', ''],
    ]);
    const preview = await upload(h, owner, 'users.csv', file);
    const done = await runImport(owner, preview.body.id, { mode: 'upsert' });
    expect(done.body.progress).toMatchObject({ created: 1, updated: 1 });
    const imported = (await owner.get('/users?q=imported')).body.items[0];
    const events = await expectSequence(imported.id);
    expect(events).toMatchObject([
      { type: 'user.created', payload: { user: { username: 'imported', email: 'ida@example.com', firstName: 'Ida' } } },
    ]);
    const updated = await expectSequence(existing.id);
    expect(updated.map((e) => e.type)).toEqual(['user.created', 'user.updated']);
    expect(updated[1]?.payload.change).toMatchObject({
      before: { firstName: 'Old', lastName: 'User' },
      after: { firstName: 'New', lastName: 'Name' },
    });
  });

  it('numbers concurrent updates of one user 1..n without gaps or duplicates', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        owner.patch(`/users/${user.id}`, { phone: `555 01${String(i).padStart(2, '0')}` }),
      ),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const events = await expectSequence(user.id);
    expect(events).toHaveLength(21);
    // Numbered in the order they committed: each update's snapshot is the phone it wrote, in event order.
    const phones = events.slice(1).map((e) => e.payload.user.phone);
    expect(new Set(phones).size).toBe(20);
    // Each update's before is what the previous one left.
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.payload.change.before.phone).toBe(events[i - 1]?.payload.user.phone);
    }
  });

  it('writes a bulk action on thousands of users in a few statements per chunk, one event per user', async () => {
    const { owner, accountId } = await h.newAccount();
    const n = 6000;
    await insertUsersInBulk(
      h.ctx.database,
      accountId,
      Array.from({ length: n }, (_, i) => ({ username: `many.${i}`, firstName: 'Many', department: 'Bulk' })),
    );
    const reply = await owner.post('/users/bulk', { action: 'disable', selection: { filter: { department: 'Bulk' } } });
    expect(reply.body).toMatchObject({ done: n, completed: true });
    const rows = await h.db
      .selectFrom('events')
      .select(['user_id', 'user_seq', 'type'])
      .where('account_id', '=', accountId)
      .where('type', 'in', ['user.created', 'user.disabled'])
      .orderBy('id')
      .execute();
    const perUser = new Map<number, string[]>();
    for (const row of rows) {
      perUser.set(row.user_id as number, [
        ...(perUser.get(row.user_id as number) ?? []),
        `${row.user_seq}:${row.type}`,
      ]);
    }
    const bulkUsers = [...perUser.values()].filter((list) => list.length === 2);
    expect(bulkUsers).toHaveLength(n);
    expect(new Set(bulkUsers.map((list) => list.join()))).toEqual(new Set(['1:user.created,2:user.disabled']));

    // By design: the events of a chunk of 5,000 users are two statements on PostgreSQL and three on SQLite, whatever
    // the chunk's size.
    const statements: string[] = [];
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        statements.push(args.node.kind);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const ids = [...perUser]
      .filter(([, list]) => list.length === 2)
      .map(([id]) => id)
      .slice(0, 5000);
    await h.db
      .withPlugin(counter)
      .transaction()
      .execute(async (trx) => {
        const events = ids.map((userId) => ({ accountId, userId, type: 'user.updated' as const }));
        const written = await emitUserEvents(trx, dialect, events, new Date().toISOString());
        expect(written.map((e) => e.sequence)).toEqual(ids.map(() => 3));
        expect(new Set(written.map((e) => e.id)).size).toBe(ids.length);
      });
    expect(statements).toHaveLength(dialect === 'postgres' ? 2 : 3);

    // Several events of one user in a chunk, mixed with others' events: consecutive numbers in the given order.
    const few = ids.slice(0, 3);
    await h.db.transaction().execute(async (trx) => {
      const events = few.flatMap((userId) => [
        { accountId, userId, type: 'user.updated' as const },
        { accountId, userId: few[0] as number, type: 'user.updated' as const },
      ]);
      const written = await emitUserEvents(trx, dialect, events, new Date().toISOString());
      expect(written.map((e) => [e.userId, e.sequence])).toEqual([
        [few[0], 4],
        [few[0], 5],
        [few[1], 4],
        [few[0], 6],
        [few[2], 4],
        [few[0], 7],
      ]);
      const stored = await trx
        .selectFrom('events')
        .select(['id', 'user_id', 'user_seq'])
        .where(
          'id',
          'in',
          written.map((e) => e.id),
        )
        .orderBy('id')
        .execute();
      expect(stored.map((row) => [row.user_id, row.user_seq])).toEqual(written.map((e) => [e.userId, e.sequence]));
    });
    const total = await sql<{
      n: number;
    }>`select count(*) as n from events where user_seq = 3 and account_id = ${accountId}`.execute(h.db);
    expect(Number(total.rows[0]?.n)).toBe(5000);
  });
});
