import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';

describe.each(DIALECTS)('sign-in and sessions (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('makes the owner replace the one-time password before anything else', async () => {
    const created = await h.ctx.accounts.create({ name: `Pending ${dialect}`, owner: { username: 'boss' } });
    const pending = await h.signIn(created.account.slug, 'boss', created.oneTimePassword);
    const session = await pending.get('/session');
    expect(session.body.requiredActions).toEqual(['update_password']);
    expect((await pending.get('/users')).body.error.code).toBe('PasswordChangeRequired');

    const weak = await pending.post('/auth/change-password', {
      currentPassword: created.oneTimePassword,
      newPassword: 'short',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('PasswordPolicy');
    expect(weak.body.error.fields[0].path).toBe('newPassword');

    const withName = await pending.post('/auth/change-password', {
      currentPassword: created.oneTimePassword,
      newPassword: 'Boss-is-1234',
    });
    expect(withName.body.error.code).toBe('PasswordPolicy');

    const wrong = await pending.post('/auth/change-password', { currentPassword: 'nope', newPassword: PASSWORD });
    expect(wrong.body.error.fields[0].path).toBe('currentPassword');

    const ok = await pending.post('/auth/change-password', {
      currentPassword: created.oneTimePassword,
      newPassword: PASSWORD,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.requiredActions).toEqual([]);
    expect((await pending.get('/users')).status).toBe(200);
    // The one-time password no longer works.
    const again = await h.raw('POST', '/auth/sign-in', {
      account: created.account.slug,
      username: 'boss',
      password: created.oneTimePassword,
    });
    expect(again.status).toBe(401);
  });

  it('rejects wrong passwords, unknown users and unknown accounts with the same error', async () => {
    const { slug } = await h.newAccount();
    for (const attempt of [
      { account: slug, username: 'owner', password: 'wrong-password' },
      { account: slug, username: 'ghost', password: PASSWORD },
      { account: 'no-such-account', username: 'owner', password: PASSWORD },
    ]) {
      const reply = await h.raw('POST', '/auth/sign-in', attempt);
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('InvalidCredentials');
    }
  });

  it('sets an HttpOnly SameSite cookie, turns the user Active at first sign-in, and signs out', async () => {
    const { slug, owner } = await h.newAccount();
    const user = await h.buildUser(owner, { username: 'agent', password: PASSWORD });
    expect(user.status).toBe('inactive');
    const reply = await h.raw('POST', '/auth/sign-in', { account: slug, username: 'AGENT', password: PASSWORD });
    expect(reply.status).toBe(200);
    const cookie = reply.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    expect((await owner.get(`/users/${user.id}`)).body.status).toBe('active');

    const agent = await h.signIn(slug, 'agent', PASSWORD);
    expect((await agent.post('/auth/sign-out')).status).toBe(204);
    expect((await agent.get('/session')).status).toBe(401);
  });

  it('refuses state-changing requests without the CSRF token', async () => {
    const { owner } = await h.newAccount();
    const reply = await owner.request(
      'POST',
      '/users',
      { username: 'csrf', firstName: 'C' },
      { 'x-csrf-token': 'forged' },
    );
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('CsrfFailed');
    const cross = await h.raw(
      'POST',
      '/auth/sign-in',
      { username: 'x', password: 'y' },
      { origin: 'https://evil.example' },
    );
    expect(cross.body.error.code).toBe('CsrfFailed');
  });

  it('refuses disabled, expired, not-yet-valid, no-access and single sign-on users', async () => {
    const { slug, owner } = await h.newAccount();
    const cases: [Record<string, unknown>, string][] = [
      [{ enabled: false }, 'UserDisabled'],
      [{ expiresAt: '2026-01-01T00:00:00Z' }, 'Expired'],
      [{ validFrom: '2027-01-01T00:00:00Z' }, 'NotYetValid'],
      [{ accessType: 'no_access' }, 'NoAccess'],
    ];
    for (const [fields, code] of cases) {
      const user = await h.buildUser(owner, { password: PASSWORD, ...fields });
      const reply = await h.raw('POST', '/auth/sign-in', {
        account: slug,
        username: user.username,
        password: PASSWORD,
      });
      expect(reply.body.error?.code, JSON.stringify(fields)).toBe(code);
    }
    const sso = await owner.post('/users', { username: 'sso', firstName: 'S', authMethod: 'sso', password: PASSWORD });
    expect(sso.body.error.fields[0].path).toBe('password');
  });

  it('disabling a user ends their sessions', async () => {
    const { slug, owner } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const client = await h.signIn(slug, user.username, PASSWORD);
    expect((await client.get('/session')).status).toBe(200);
    await owner.patch(`/users/${user.id}`, { enabled: false });
    expect((await client.get('/session')).status).toBe(401);
  });

  it('expires sessions after 12 hours', async () => {
    const { owner } = await h.newAccount();
    expect((await owner.get('/session')).status).toBe(200);
    h.clock.advance(12 * 3600_000 + 1);
    expect((await owner.get('/session')).status).toBe(401);
  });

  it("finds sessions after another server's migration changed the users table (a statement prepared before)", async () => {
    const { owner } = await h.newAccount();
    // Requests at once, so that many of the pool's connections serve them: each prepares the session lookup, which
    // returns every column of users.
    const together = async () => {
      const replies = await Promise.all(Array.from({ length: 30 }, () => owner.get('/session')));
      return replies.map((reply) => `${reply.status} ${reply.body.user?.username}`);
    };
    const allFound = Array.from({ length: 30 }, () => '200 owner');
    expect(await together()).toEqual(allFound);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await sql`alter table users add column migrated_meanwhile text`.execute(h.db);
      try {
        expect(await together()).toEqual(allFound);
      } finally {
        await sql`alter table users drop column migrated_meanwhile`.execute(h.db);
      }
      expect(await together()).toEqual(allFound);
      // Each change of the schema renamed the statement once, however many requests its old name failed.
      const renamed = logged.mock.calls.filter(([line]) => String(line).includes('roster_session is prepared again'));
      expect(renamed.length).toBe(dialect === 'postgres' ? 2 : 0);
    } finally {
      logged.mockRestore();
    }
  });
});
