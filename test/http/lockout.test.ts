// Brute force against sign-in, as an attacker runs it: parallel guesses, many usernames from one address, and timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2Checks } from '../../server/services/passwords.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

describe.each(DIALECTS)('sign-in brute force (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect, { trustProxy: true, signInAddressLimit: 1000 });
  });
  afterAll(() => h.close());

  const signIn = (account: string, username: string, password: string, ip = '203.0.113.9') =>
    h.raw('POST', '/auth/sign-in', { account, username, password }, { 'x-forwarded-for': ip });

  const failuresOf = async (userId: number) =>
    (
      await h.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'auth.sign_in_failed')
        .where('target_id', '=', String(userId))
        .executeTakeFirstOrThrow()
    ).n;

  it('checks no more guesses than the lockout allows, however many arrive at once, and keeps the lock', async () => {
    const { owner, slug } = await h.newAccount();
    for (let burst = 0; burst < 10; burst++) {
      const user = await h.buildUser(owner, { password: PASSWORD });
      const guesses = Array.from({ length: 40 }, (_, i) =>
        // The right password rides in the middle of the storm.
        signIn(slug, user.username, i === 20 ? PASSWORD : `Wrong-guess-${i}!`, `198.51.100.${i}`),
      );
      const replies = await Promise.all(guesses);
      const statuses = replies.map((r) => r.status);
      expect(Number(await failuresOf(user.id)), `burst ${burst}`).toBeLessThanOrEqual(5);
      const succeeded = statuses.filter((s) => s === 200).length;
      const wrongChecked = statuses.filter((s, i) => i !== 20 && s === 401).length;
      // Every reply is a refusal except, at most, the right password when it was one of the five guesses checked.
      expect(wrongChecked + succeeded, `burst ${burst}`).toBeLessThanOrEqual(5);
      if (succeeded === 0) {
        const after = await owner.get(`/users/${user.id}`);
        expect(after.body.locked, `burst ${burst}`).toBe(true);
        // Locked: the right password gets the same answer as a wrong one.
        const late = await signIn(slug, user.username, PASSWORD);
        expect([late.status, late.body.error.code]).toEqual([403, 'UserLocked']);
      }
    }
    // 400 sign-ins, each an argon2id check: seconds alone, longer beside other suites on two cores.
  }, 90_000);

  it('locks after exactly the configured failures, and a failure in flight never lifts the lock', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => signIn(slug, user.username, `Wrong-${i}-pass!`)),
    );
    expect(replies.filter((r) => r.status === 401).length).toBe(4);
    expect(replies.filter((r) => r.body.error.code === 'UserLocked').length).toBe(36);
    expect(Number(await failuresOf(user.id))).toBe(5);
    expect((await owner.get(`/users/${user.id}`)).body.locked).toBe(true);
    expect((await signIn(slug, user.username, PASSWORD)).status).toBe(403);
  });

  it('costs one argon2id check for every attempt, whoever the user and whatever their password', async () => {
    const { owner, slug } = await h.newAccount();
    const plain = await h.buildUser(owner, { password: PASSWORD });
    // An imported user gets a generated password, stored with a fast hash.
    const file = csv([
      ['Username', 'Full Name'],
      ['imported.one', 'Imported One'],
    ]);
    const job = await upload(h, owner, 'one.csv', file);
    expect((await runImport(owner, job.body.id)).body.status).toBe('done');
    const attempts: [string, string][] = [
      [plain.username, 'Wrong-password-1'],
      [plain.username, PASSWORD],
      ['imported.one', 'Wrong-password-2'],
      ['nobody.at.all', 'Wrong-password-3'],
    ];
    for (const [username, password] of attempts) {
      const before = argon2Checks.count;
      await signIn(slug, username, password);
      expect(argon2Checks.count - before, username).toBe(1);
    }
  });
});

describe.each(DIALECTS)('sign-in throttled by client address (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect, { trustProxy: true, signInAddressLimit: 8 });
  });
  afterAll(() => h.close());

  it('slows one address guessing across users, while the owner signs in from another and the lock is no weapon', async () => {
    const { owner, slug } = await h.newAccount();
    const users = await Promise.all(Array.from({ length: 6 }, () => h.buildUser(owner, { password: PASSWORD })));
    const attacker = { 'x-forwarded-for': '192.0.2.66' };
    let refused = null as null | Awaited<ReturnType<Harness['raw']>>;
    for (let i = 0; i < 12 && !refused; i++) {
      const user = users[i % users.length] as { username: string };
      const reply = await h.raw(
        'POST',
        '/auth/sign-in',
        { account: slug, username: user.username, password: `Guess-${i}-x!` },
        attacker,
      );
      if (reply.status === 429) refused = reply;
      else expect(reply.status).toBe(401);
    }
    expect(refused?.body.error.code).toBe('RateLimited');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(60);
    // Even the right password waits at that address.
    const right = await h.raw(
      'POST',
      '/auth/sign-in',
      { account: slug, username: (users[0] as { username: string }).username, password: PASSWORD },
      attacker,
    );
    expect(right.status).toBe(429);
    // An address the client writes in front of the proxy's own entry changes nothing.
    const forged = await h.raw(
      'POST',
      '/auth/sign-in',
      { account: slug, username: (users[0] as { username: string }).username, password: PASSWORD },
      { 'x-forwarded-for': '198.51.100.7, 192.0.2.66' },
    );
    expect(forged.status).toBe(429);
    // Another address is not slowed down.
    const clean = await h.raw(
      'POST',
      '/auth/sign-in',
      { account: slug, username: 'owner', password: PASSWORD },
      {
        'x-forwarded-for': '192.0.2.10',
      },
    );
    expect(clean.status).toBe(200);
    // The window passes.
    h.clock.advance(16 * 60_000);
    const later = await h.raw(
      'POST',
      '/auth/sign-in',
      { account: slug, username: (users[5] as { username: string }).username, password: PASSWORD },
      attacker,
    );
    expect(later.status).toBe(200);
    expect(owner).toBeDefined();
  });
});
