// Holes the policy table closes: a limited admin's delete, self-disable, out-of-scope edits, the owner's unlock,
// and non-admins naming other users to the decision API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';

describe.each(DIALECTS)('authorization (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  async function salesAdmin() {
    const account = await h.newAccount();
    for (const name of ['Sales', 'Support']) await account.owner.post('/departments', { name });
    const sales = (
      await account.owner.post('/profiles', {
        name: 'Sales only',
        modules: { users: { access: 'some', items: ['Sales'] } },
      })
    ).body;
    const admin = await h.buildUser(account.owner, {
      accessType: 'admin',
      password: PASSWORD,
      department: 'Sales',
      profileId: sales.id,
    });
    return { ...account, admin, client: await h.signIn(account.slug, admin.username, PASSWORD) };
  }

  it('answers 404 to a department-limited admin on users outside the departments, for every verb', async () => {
    const { owner, client } = await salesAdmin();
    const bob = await h.buildUser(owner, { firstName: 'Bob', department: 'Support' });
    expect((await client.get(`/users/${bob.id}`)).status).toBe(404);
    const patched = await client.patch(`/users/${bob.id}`, { firstName: 'X' });
    expect(patched.status).toBe(404);
    expect(patched.body.error.message).not.toMatch(/owner/);
    expect((await client.del(`/users/${bob.id}`)).status).toBe(404);
    expect((await owner.get(`/users/${bob.id}`)).status).toBe(200);
    // The owner is out of the Sales scope too: not found, not "only the owner".
    const me = (await owner.get('/session')).body.user;
    expect((await client.patch(`/users/${me.id}`, { firstName: 'X' })).status).toBe(404);
  });

  it('refuses to disable oneself by PATCH, as the bulk action does', async () => {
    const { owner, slug } = await h.newAccount();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const client = await h.signIn(slug, admin.username, PASSWORD);
    const bulk = await client.post('/users/bulk', { action: 'disable', selection: { ids: [admin.id] } });
    expect(bulk.body.groups).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'is you' })]);
    const reply = await client.patch(`/users/${admin.id}`, { enabled: false });
    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({ code: 'CannotDisableSelf', fields: [{ path: 'enabled' }] });
    expect((await owner.get(`/users/${admin.id}`)).body.enabled).toBe(true);
  });

  it('lets another admin unlock a locked-out owner', async () => {
    const { owner, slug } = await h.newAccount();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const client = await h.signIn(slug, admin.username, PASSWORD);
    const me = (await owner.get('/session')).body.user;
    for (let i = 0; i < 5; i++)
      await h.raw('POST', '/auth/sign-in', { account: slug, username: 'owner', password: 'Wrong-1' });
    expect((await client.get(`/users/${me.id}`)).body.locked).toBe(true);
    const unlocked = await client.post(`/users/${me.id}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.locked).toBe(false);
    expect(
      (await h.raw('POST', '/auth/sign-in', { account: slug, username: 'owner', password: PASSWORD })).status,
    ).toBe(200);
    // A limited admin whose departments leave the owner out still cannot reach them.
    const limited = await salesAdmin();
    const theirOwner = (await limited.owner.get('/session')).body.user;
    expect((await limited.client.post(`/users/${theirOwner.id}/unlock`)).status).toBe(404);
  });

  it('lets a non-admin ask about themselves only, and never maps usernames to ids', async () => {
    const { owner, slug } = await h.newAccount();
    const standard = await h.buildUser(owner, { password: PASSWORD });
    const client = await h.signIn(slug, standard.username, PASSWORD);
    const action = 'voice_analytics:recording.read';
    const batch = await client.post('/decisions/batch', {
      questions: [
        { username: 'owner', action },
        { username: 'nobody-here', action },
        { userId: 1, action },
        { userId: 99_999_999, action },
        { username: standard.username, action },
        { userId: standard.id, action },
      ],
    });
    expect(batch.status).toBe(200);
    const refusal = {
      userId: null,
      allowed: false,
      reason: { code: 'NoRole', message: 'You may ask about yourself only' },
    };
    for (const answer of batch.body.results.slice(0, 4)) expect(answer).toEqual(refusal);
    expect(batch.body.results[4].userId).toBe(standard.id);
    expect(batch.body.results[5].userId).toBe(standard.id);
    for (const question of [{ username: 'owner' }, { username: 'nobody-here' }, { userId: 99_999_999 }]) {
      const one = await client.post('/decisions', { ...question, action });
      expect(one.status).toBe(403);
      expect(one.body.error.message).toBe('You may ask about yourself only');
    }
    expect((await client.post('/decisions', { username: standard.username, action })).status).toBe(200);
    // Admins still ask about anyone of the account.
    const asOwner = await owner.post('/decisions/batch', { questions: [{ username: standard.username, action }] });
    expect(asOwner.body.results[0].userId).toBe(standard.id);
  });
});
