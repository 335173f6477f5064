import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

describe.each(DIALECTS)('licenses and pools (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('licenses new users by default under a pool, refuses the seat beyond it, and frees seats on revoke', async () => {
    const { owner } = await h.newAccount();
    const before = await h.buildUser(owner);
    expect(before.licenses).toEqual([]);
    const pool = await owner.request('PUT', '/licenses/pools/chat', { size: 2 });
    expect(pool.status).toBe(200);
    expect(pool.body).toMatchObject({
      application: 'chat',
      kind: 'seats',
      pool: { size: 2, used: 0, licensedByDefault: true },
    });

    const first = await h.buildUser(owner);
    const second = await h.buildUser(owner);
    const third = await h.buildUser(owner);
    expect(first.licenses).toEqual([{ app: 'chat', name: 'Smartflows' }]);
    expect(second.licenses).toEqual([{ app: 'chat', name: 'Smartflows' }]);
    expect(third.licenses).toEqual([]);

    const refused = await owner.post(`/users/${third.id}/licenses`, { application: 'chat' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'LicensePoolExhausted', fields: [{ path: 'application' }] });

    const revoked = await owner.del(`/users/${first.id}/licenses/chat`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.applications.find((a: { application: string }) => a.application === 'chat').licensed).toBe(
      false,
    );
    const granted = await owner.post(`/users/${third.id}/licenses`, { application: 'chat' });
    expect(granted.status).toBe(200);
    expect(granted.body.applications.find((a: { application: string }) => a.application === 'chat')).toMatchObject({
      licensed: true,
      pool: { kind: 'seats', size: 2, used: 2 },
    });

    // The user list shows each user's licenses.
    const list = await owner.get('/users?sort=createdAt&limit=50');
    const licensed = list.body.items
      .filter((u: { licenses: unknown[] }) => u.licenses.length > 0)
      .map((u: { id: number }) => u.id);
    expect(licensed.sort()).toEqual([second.id, third.id].sort());

    // Cannot shrink below use; deleting a licensed user frees the seat.
    const shrink = await owner.request('PUT', '/licenses/pools/chat', { size: 1 });
    expect(shrink.status).toBe(409);
    expect(shrink.body.error).toMatchObject({ code: 'PoolBelowUse', fields: [{ path: 'size' }] });
    expect((await owner.del(`/users/${second.id}`)).status).toBe(204);
    const overview = await owner.get('/licenses');
    expect(overview.body.applications.find((a: { application: string }) => a.application === 'chat')).toMatchObject({
      licensedUsers: 1,
      pool: { size: 2, used: 1 },
    });

    // Licensed-by-default off: new users are not licensed.
    await owner.request('PUT', '/licenses/pools/chat', { size: 10, licensedByDefault: false });
    expect((await h.buildUser(owner)).licenses).toEqual([]);
    const log = await owner.get('/audit?action=user.license.grant');
    expect(log.body.items.length).toBe(3);
  });

  it('counts existing licenses into a new pool, and licenses by default only for pooled applications', async () => {
    const { owner } = await h.newAccount();
    const a = await h.buildUser(owner);
    const b = await h.buildUser(owner);
    for (const user of [a, b]) await owner.post(`/users/${user.id}/licenses`, { application: 'call_recording' });
    const tooSmall = await owner.request('PUT', '/licenses/pools/call_recording', { size: 1 });
    expect(tooSmall.status).toBe(409);
    const pool = await owner.request('PUT', '/licenses/pools/call_recording', { size: 3 });
    expect(pool.body.pool).toMatchObject({ size: 3, used: 2 });
    await owner.request('PUT', '/licenses/pools/voice_analytics', { size: 1000 });
    const c = await h.buildUser(owner);
    expect(c.licenses.map((l: { app: string }) => l.app)).toEqual(['call_recording', 'voice_analytics']);
    const d = await h.buildUser(owner);
    expect(d.licenses.map((l: { app: string }) => l.app)).toEqual(['voice_analytics']);
    const invalid = await owner.request('PUT', '/licenses/pools/voice_analytics', { size: -5 });
    expect(invalid.body.error.fields[0].path).toBe('size');
    expect((await owner.request('PUT', '/licenses/pools/nothing', { size: 5 })).status).toBe(400);
    expect((await owner.del('/licenses/pools/call_recording')).status).toBe(204);
    expect((await owner.del('/licenses/pools/call_recording')).status).toBe(404);
  });

  it('never oversubscribes a pool, even under parallel requests', async () => {
    const { owner } = await h.newAccount();
    const users = [];
    for (let i = 0; i < 16; i++) users.push(await h.buildUser(owner));
    await owner.request('PUT', '/licenses/pools/quality_management', { size: 5, licensedByDefault: false });
    const replies = await Promise.all(
      users.map((user) => owner.post(`/users/${user.id}/licenses`, { application: 'quality_management' })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    const overview = await owner.get('/licenses');
    expect(
      overview.body.applications.find((a: { application: string }) => a.application === 'quality_management'),
    ).toMatchObject({
      licensedUsers: 5,
      pool: { size: 5, used: 5 },
    });

    // Minutes: Voice Analytics reports usage with its key; the pool never goes beyond its size.
    await owner.request('PUT', '/licenses/pools/voice_analytics', { size: 100, licensedByDefault: false });
    const analyst = users[0] as { id: number };
    await owner.post(`/users/${analyst.id}/licenses`, { application: 'voice_analytics' });
    const key = (await owner.post('/api-keys', { name: 'VA' })).body.key as string;
    const usage = (minutes: number, userId = analyst.id) =>
      h.raw('POST', '/licenses/usage', { userId, minutes }, { authorization: `Bearer ${key}` });
    const parallel = await Promise.all(Array.from({ length: 10 }, () => usage(15)));
    expect(parallel.filter((r) => r.status === 200)).toHaveLength(6);
    expect(parallel.filter((r) => r.status === 409).every((r) => r.body.error.code === 'LicensePoolExhausted')).toBe(
      true,
    );
    const pool = (await owner.get('/licenses')).body.applications.find(
      (a: { application: string }) => a.application === 'voice_analytics',
    );
    expect(pool.pool).toMatchObject({ size: 100, used: 90 });
    expect((await usage(10)).body).toEqual({ size: 100, used: 100, left: 0 });
    expect((await usage(1)).status).toBe(409);
    expect((await usage(1, (users[1] as { id: number }).id)).body.error.code).toBe('NotLicensed');
    const shrink = await owner.request('PUT', '/licenses/pools/voice_analytics', { size: 50 });
    expect(shrink.body.error.code).toBe('PoolBelowUse');
  });

  it('keeps licenses per account', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    await a.owner.request('PUT', '/licenses/pools/chat', { size: 1 });
    const userA = await h.buildUser(a.owner);
    expect(userA.licenses).toHaveLength(1);
    const userB = await h.buildUser(b.owner);
    expect(userB.licenses).toHaveLength(0);
    const overviewB = await b.owner.get('/licenses');
    expect(overviewB.body.applications.every((app: { pool: unknown }) => app.pool === null)).toBe(true);
    expect((await b.owner.post(`/users/${userA.id}/licenses`, { application: 'chat' })).status).toBe(404);
  });
});
