// Holes an attacker found in the authorization of single-user routes and decisions, kept shut.
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
    const { owner, slug } = account;
    for (const name of ['Sales', 'Support']) await owner.post('/departments', { name });
    const profile = (
      await owner.post('/profiles', { name: 'Sales only', modules: { users: { access: 'some', items: ['Sales'] } } })
    ).body;
    const admin = await h.buildUser(owner, {
      accessType: 'admin',
      password: PASSWORD,
      department: 'Sales',
      profileId: profile.id,
    });
    return { ...account, admin, client: await h.signIn(slug, admin.username, PASSWORD) };
  }

  it('keeps an admin limited to some departments away from other users: read, edit and delete alike', async () => {
    const { owner, client } = await salesAdmin();
    const bob = await h.buildUser(owner, { firstName: 'Bob', department: 'Support' });
    const ann = await h.buildUser(owner, { firstName: 'Ann', department: 'Sales' });

    expect((await client.get(`/users/${bob.id}`)).status).toBe(404);
    const edit = await client.patch(`/users/${bob.id}`, { firstName: 'Hacked' });
    expect(edit.status).toBe(404);
    expect(edit.body.error.message).not.toMatch(/owner/i);
    expect((await client.del(`/users/${bob.id}`)).status).toBe(404);
    expect((await client.post(`/users/${bob.id}/unlock`)).status).toBe(404);
    // Bob is still there, unchanged.
    const still = await owner.get(`/users/${bob.id}`);
    expect(still.status).toBe(200);
    expect(still.body.firstName).toBe('Bob');

    // Within the admin's departments, the same routes work.
    expect((await client.patch(`/users/${ann.id}`, { firstName: 'Anna' })).status).toBe(200);
    expect((await client.del(`/users/${ann.id}`)).status).toBe(204);
  });

  it('keeps an admin limited by a profile from taking over an admin without limits, or making one', async () => {
    const { owner, slug, client } = await salesAdmin();
    const big = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD, department: 'Sales' });
    const seller = await h.buildUser(owner, { department: 'Sales', password: PASSWORD });
    // The wider admin is in the limited admin's department: seen, but not managed.
    expect((await client.get(`/users/${big.id}`)).status).toBe(200);
    const attempts = [
      client.request('PUT', `/users/${big.id}/password`, { password: 'Taken-over-pass-88' }),
      client.patch(`/users/${big.id}`, { email: 'attacker@example.com' }),
      client.del(`/users/${big.id}/otp`),
      client.post(`/users/${big.id}/password-reset`),
      client.post('/auth/password-check', { password: 'Some-guess-2026-x', userId: big.id }),
      client.del(`/users/${big.id}`),
      client.post(`/users/${big.id}/licenses`, { application: 'chat' }),
    ];
    const statuses = (await Promise.all(attempts)).map((reply) => reply.status);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403]);
    for (const action of ['disable', 'delete', 'add_required_actions', 'send_invitation']) {
      const bulk = await client.post('/users/bulk', {
        action,
        selection: { ids: [big.id] },
        ...(action === 'add_required_actions' ? { requiredActions: ['update_password'] } : {}),
      });
      expect(bulk.body, action).toMatchObject({ done: 0, skipped: 1 });
      expect(bulk.body.groups[0].reason).toBe('is an admin you may not manage');
    }
    // Unlocking stays open to any admin in reach, as on the user's page.
    expect(
      (await client.post('/users/bulk', { action: 'unlock', selection: { ids: [big.id] } })).body.groups[0].reason,
    ).toBe('not locked');
    // Nor may it make an admin of someone it manages (who would then have no limits).
    const promoted = await client.patch(`/users/${seller.id}`, { accessType: 'admin' });
    expect(promoted.status).toBe(403);
    const created = await client.post('/users', { username: 'new-admin', firstName: 'N', accessType: 'admin' });
    expect(created.status).toBe(403);
    // The big admin is untouched and still signs in; it manages the limited one as before.
    const bigClient = await h.signIn(slug, big.username, PASSWORD);
    expect((await bigClient.patch(`/users/${seller.id}`, { accessType: 'admin' })).status).toBe(200);
    // The limited admin still edits itself, and the standard users of its departments.
    const self = (await client.get('/session')).body.user.id;
    expect((await client.patch(`/users/${self}`, { firstName: 'Me' })).status).toBe(200);
  });

  it('refuses disabling oneself one user at a time as the bulk action does', async () => {
    const { owner, slug } = await h.newAccount();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const client = await h.signIn(slug, admin.username, PASSWORD);
    const self = await client.patch(`/users/${admin.id}`, { enabled: false });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('CannotDisableSelf');
    expect(self.body.error.fields[0].path).toBe('enabled');
    const bulk = await client.post('/users/bulk', { action: 'disable', selection: { ids: [admin.id] } });
    expect(bulk.body).toMatchObject({ done: 0, skipped: 1 });
    expect(JSON.stringify(bulk.body.groups)).toContain('is you');
    expect((await owner.get(`/users/${admin.id}`)).body.enabled).toBe(true);
    // Editing anything else of oneself still works.
    expect((await client.patch(`/users/${admin.id}`, { firstName: 'Me' })).status).toBe(200);
  });

  it('lets another admin unlock a locked-out owner', async () => {
    const { owner, slug } = await h.newAccount();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const client = await h.signIn(slug, admin.username, PASSWORD);
    for (let i = 0; i < 5; i++)
      await h.raw('POST', '/auth/sign-in', { account: slug, username: 'owner', password: 'x' });
    const ownerId = (await owner.get('/session')).body.user.id;
    const seen = (await client.get(`/users/${ownerId}`)).body;
    expect(seen.locked).toBe(true);
    // The console shows the Unlock button from this ability.
    expect(seen.can).toEqual({ update: false, delete: false, unlock: true });
    const unlocked = await client.post(`/users/${ownerId}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.locked).toBe(false);
    // Unlocking is all another admin may do to the owner.
    expect((await client.patch(`/users/${ownerId}`, { firstName: 'Not' })).status).toBe(403);
  });

  it('never maps usernames to ids for a caller who may ask about themselves only', async () => {
    const { owner, slug } = await h.newAccount();
    const agent = await h.buildUser(owner, { password: PASSWORD });
    const client = await h.signIn(slug, agent.username, PASSWORD);
    const questions = [
      { username: 'owner', action: 'voice_analytics:recording.read' },
      { username: 'nobody-here', action: 'voice_analytics:recording.read' },
      { userId: 1, action: 'voice_analytics:recording.read' },
      { username: agent.username, action: 'voice_analytics:recording.read' },
      { userId: agent.id, action: 'voice_analytics:recording.read' },
    ];
    const reply = await client.post('/decisions/batch', { questions });
    expect(reply.status).toBe(200);
    const [ownerAnswer, unknown, byId, mine, mineById] = reply.body.results;
    // Another user and nobody at all get the very same answer.
    expect(ownerAnswer).toEqual(unknown);
    expect(byId).toEqual(unknown);
    expect(ownerAnswer.userId).toBeNull();
    expect(mine.userId).toBe(agent.id);
    expect(mineById.userId).toBe(agent.id);
    for (const single of [questions[0], questions[1]]) {
      const answer = await client.post('/decisions', single);
      expect(answer.status).toBe(403);
      expect(answer.text).not.toMatch(/"userId"/);
    }
    // An admin still asks about anyone, and learns who they are.
    const admin = await owner.post('/decisions/batch', { questions: [questions[0]] });
    expect(admin.body.results[0].userId).toEqual(expect.any(Number));
  });
});
