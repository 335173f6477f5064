// One-time codes and required actions, as users and attackers meet them: codes computed from the secret the setup
// shows (otpauth), replayed and drifting codes, recovery codes, the lockout, and what a half-signed-in session may do.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';

describe.each(DIALECTS)('one-time codes and required actions (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect, { trustProxy: true });
  });
  afterAll(() => h.close());

  const codeAt = (secret: string, offsetSteps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
      timestamp: h.clock.now().getTime() + offsetSteps * 30_000,
    });
  const nextStep = () => h.clock.advance(30_000);

  /** A user who has set up a device; returns the secret and recovery codes. */
  async function withDevice(client: Client) {
    const setup = await client.post('/me/otp/setup');
    expect(setup.status).toBe(200);
    expect(setup.body.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(setup.body.qrSvg).toMatch(/^<svg/);
    const confirmed = await client.post('/me/otp/confirm', { code: codeAt(setup.body.secret) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    // Past the confirming code's step and its neighbour, so the tests' codes are all new.
    nextStep();
    nextStep();
    return { secret: setup.body.secret as string, recoveryCodes: confirmed.body.recoveryCodes as string[] };
  }

  const passwordStep = async (slug: string, username: string) => {
    const reply = await h.raw('POST', '/auth/sign-in', { account: slug, username, password: PASSWORD });
    expect(reply.status).toBe(200);
    expect(reply.body.secondFactor).toBe('otp');
    const cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const headers = { cookie, 'x-csrf-token': reply.body.csrfToken as string };
    return {
      send: (body: unknown, ip = '203.0.113.50') =>
        h.raw('POST', '/auth/otp', body, { ...headers, 'x-forwarded-for': ip }),
      get: (path: string) => h.raw('GET', path, undefined, headers),
    };
  };

  it('asks for a code after the password, accepts each code once, with one step of drift', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD, email: 'otp.user@example.com' });
    const { secret } = await withDevice(await h.signIn(slug, user.username, PASSWORD));
    expect((await owner.get(`/users/${user.id}/otp`)).body).toMatchObject({ configured: true, recoveryCodesLeft: 10 });

    const pending = await passwordStep(slug, user.username);
    // A session waiting for its code may do nothing else.
    expect((await pending.get('/users')).body.error.code).toBe('SecondFactorRequired');
    expect((await pending.get('/me/sessions')).status).toBe(401);
    expect((await pending.get('/session')).body.secondFactor).toBe('otp');
    expect((await pending.send({ code: '000000' })).body.error.code).toBe('InvalidCode');
    // Two steps away is too far; one step late is fine.
    expect((await pending.send({ code: codeAt(secret, -2) })).status).toBe(400);
    const late = codeAt(secret, -1);
    const signedIn = await pending.send({ code: late });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.secondFactor).toBeNull();
    expect((await pending.get('/me/sessions')).status).toBe(200);

    // The same code again, or an older one, never passes.
    const again = await passwordStep(slug, user.username);
    expect((await again.send({ code: late })).status).toBe(400);
    expect((await again.send({ code: codeAt(secret, -1) })).status).toBe(400);
    expect((await again.send({ code: codeAt(secret) })).status).toBe(200);
    const replay = await passwordStep(slug, user.username);
    expect((await replay.send({ code: codeAt(secret) })).status).toBe(400);
    nextStep();
    expect((await replay.send({ code: codeAt(secret, 1) })).status).toBe(200);
    const history = (await pending.get('/me/sign-ins')).body.items;
    expect(history[0]).toMatchObject({ action: 'auth.sign_in', method: 'otp' });
    expect(history.some((e: { action: string }) => e.action === 'auth.code_failed')).toBe(true);
    const audit = await owner.get('/audit?limit=100');
    expect(audit.text).not.toContain(secret);
  });

  it('takes each recovery code once', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const { recoveryCodes } = await withDevice(await h.signIn(slug, user.username, PASSWORD));
    const code = recoveryCodes[3] as string;
    const first = await passwordStep(slug, user.username);
    expect((await first.send({ recoveryCode: code.toUpperCase() })).status).toBe(200);
    const second = await passwordStep(slug, user.username);
    expect((await second.send({ recoveryCode: code })).status).toBe(400);
    expect((await owner.get(`/users/${user.id}/otp`)).body.recoveryCodesLeft).toBe(9);
  });

  it('counts wrong codes in the lockout, as it counts wrong passwords', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const { secret } = await withDevice(await h.signIn(slug, user.username, PASSWORD));
    const pending = await passwordStep(slug, user.username);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await pending.send({ code: String(100000 + i) })).status);
    // The password's guess and four wrong codes make five failures: the user is locked.
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses).toContain(403);
    expect((await owner.get(`/users/${user.id}`)).body.locked).toBe(true);
    expect((await pending.send({ code: codeAt(secret) })).status).toBe(401);
    // An admin unlocks; a new session still cannot guess forever.
    expect((await owner.post(`/users/${user.id}/unlock`)).status).toBe(200);
    const next = await passwordStep(slug, user.username);
    expect((await next.send({ code: codeAt(secret) })).status).toBe(200);
  });

  it('checks no more codes than the lockout allows when they arrive all at once', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const { secret } = await withDevice(await h.signIn(slug, user.username, PASSWORD));
    // A right password with no code after it, again and again, locks nobody out.
    for (let i = 0; i < 6; i++) await passwordStep(slug, user.username);
    expect((await owner.get(`/users/${user.id}`)).body.locked).toBe(false);

    const pending = await passwordStep(slug, user.username);
    const good = codeAt(secret);
    const wrong = Array.from({ length: 30 }, (_, i) => String((Number(good) + 1 + i) % 1_000_000).padStart(6, '0'));
    const replies = await Promise.all(wrong.map((code) => pending.send({ code })));
    const checked = await h.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'auth.code_failed')
      .where('target_id', '=', String(user.id))
      .execute();
    // Five failures lock the user: no more codes were checked.
    expect(checked.length).toBe(5);
    expect(replies.filter((r) => r.status === 400).length).toBeLessThanOrEqual(4);
    expect((await owner.get(`/users/${user.id}`)).body.locked).toBe(true);

    // A session that was waiting for its code when the user got locked cannot finish with the right code.
    await owner.post(`/users/${user.id}/unlock`);
    h.clock.advance(16 * 60_000);
    const waiting = await passwordStep(slug, user.username);
    for (let i = 0; i < 5; i++) {
      await h.raw('POST', '/auth/sign-in', { account: slug, username: user.username, password: 'Wrong-pass-2026' });
    }
    expect((await owner.get(`/users/${user.id}`)).body.locked).toBe(true);
    nextStep();
    expect((await waiting.send({ code: codeAt(secret) })).body.error.code).toBe('UserLocked');
  });

  it('lets an admin reset a lost device, and require a code of every admin', async () => {
    const { owner, slug } = await h.newAccount();
    const admin = await h.buildUser(owner, { password: PASSWORD, accessType: 'admin', email: 'adm@example.com' });
    await withDevice(await h.signIn(slug, admin.username, PASSWORD));
    expect((await owner.del(`/users/${admin.id}/otp`)).status).toBe(204);
    expect((await owner.get(`/users/${admin.id}/otp`)).body.configured).toBe(false);
    expect((await owner.del(`/users/${admin.id}/otp`)).body.error.code).toBe('OtpNotConfigured');
    const noticed = (await owner.get('/mail/outbox')).body.items.filter(
      (m: { kind: string }) => m.kind === 'second_factor_changed',
    );
    expect(noticed.length).toBeGreaterThan(0);

    const member = await h.buildUser(owner, { password: PASSWORD });
    expect((await owner.request('PUT', '/security/second-factor', { requireAdminOtp: true })).status).toBe(200);
    // The owner is an admin too: their next request waits for a device.
    expect((await owner.get('/users')).body.error.code).toBe('RequiredActionPending');
    const session = await h.signIn(slug, admin.username, PASSWORD);
    expect((await session.get('/session')).body.requiredActions).toEqual(['configure_otp']);
    expect((await session.get('/users')).body.error.code).toBe('RequiredActionPending');
    const { secret } = await withDevice(session);
    expect((await session.get('/session')).body.requiredActions).toEqual([]);
    expect((await session.get('/users')).status).toBe(200);
    expect((await session.post('/me/otp/remove', { currentPassword: PASSWORD })).body.error.code).toBe('OtpRequired');
    // A standard user is not asked.
    expect((await (await h.signIn(slug, member.username, PASSWORD)).get('/session')).body.requiredActions).toEqual([]);
    // Replacing the device needs the password.
    const replace = await session.post('/me/otp/setup');
    const refused = await session.post('/me/otp/confirm', { code: codeAt(replace.body.secret) });
    expect(refused.body.error.fields[0].path).toBe('currentPassword');
    nextStep();
    const replaced = await session.post('/me/otp/confirm', {
      code: codeAt(replace.body.secret),
      currentPassword: PASSWORD,
    });
    expect(replaced.status).toBe(200);
    expect(replace.body.secret).not.toBe(secret);
    const member2 = await h.signIn(slug, member.username, PASSWORD);
    expect((await member2.request('PUT', '/security/second-factor', { requireAdminOtp: false })).status).toBe(403);
  });

  it('enforces the required actions an admin sets, in order, until each is done', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD, email: 'ra@example.com' });
    const set = await owner.patch(`/users/${user.id}`, {
      requiredActions: ['update_locale', 'update_profile', 'configure_otp'],
    });
    expect(set.status).toBe(200);
    expect(set.body.requiredActions).toEqual(['update_locale', 'update_profile', 'configure_otp']);
    const session = await h.signIn(slug, user.username, PASSWORD);
    expect((await session.get('/session')).body.requiredActions).toEqual([
      'configure_otp',
      'update_profile',
      'update_locale',
    ]);
    expect((await session.get(`/users/${user.id}`)).body.error.code).toBe('RequiredActionPending');
    await withDevice(session);
    const profile = await session.patch('/me', {
      firstName: 'Rafaela',
      lastName: 'Ortiz',
      phone: '+34 600 000 000',
      complete: 'update_profile',
    });
    expect(profile.status).toBe(200);
    expect(profile.body.requiredActions).toEqual(['update_locale']);
    const locale = await session.patch('/me', { language: 'es', timeZone: 'Europe/Madrid', complete: 'update_locale' });
    expect(locale.body.requiredActions).toEqual([]);
    expect(locale.body.user).toMatchObject({ firstName: 'Rafaela', language: 'es', timeZone: 'Europe/Madrid' });
    expect((await session.get(`/users/${user.id}`)).status).toBe(200);
    const bad = await session.patch('/me', { email: 'not an email' });
    expect(bad.body.error.fields[0].path).toBe('email');
    // Moving one's address (where resets go) needs the password, not only the session.
    const noPassword = await session.patch('/me', { email: 'rafa.new@example.com' });
    expect(noPassword.body.error.fields[0].path).toBe('currentPassword');
    const wrong = await session.patch('/me', { email: 'rafa.new@example.com', currentPassword: 'Not-my-password-1' });
    expect(wrong.body.error.fields[0]).toMatchObject({
      path: 'currentPassword',
      message: 'The current password is wrong',
    });
    expect((await owner.get(`/users/${user.id}`)).body.email).toBe('ra@example.com');
    const moved = await session.patch('/me', { email: 'rafa.new@example.com', currentPassword: PASSWORD });
    expect(moved.body.user).toMatchObject({ email: 'rafa.new@example.com', emailVerified: false });
  });

  it('lists my sessions and signs out another one', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const laptop = await h.signIn(slug, user.username, PASSWORD);
    const phone = await h.signIn(slug, user.username, PASSWORD);
    const list = (await laptop.get('/me/sessions')).body.items;
    expect(list).toHaveLength(2);
    const other = list.find((s: { current: boolean }) => !s.current);
    expect(other.id).toMatch(/^[0-9a-f]{24}$/);
    expect((await laptop.del(`/me/sessions/${other.id}`)).status).toBe(204);
    expect((await phone.get('/session')).status).toBe(401);
    expect((await laptop.get('/session')).status).toBe(200);
    const third = await h.signIn(slug, user.username, PASSWORD);
    expect((await laptop.post('/me/sessions/sign-out-others')).status).toBe(204);
    expect((await third.get('/session')).status).toBe(401);
    expect((await laptop.del('/me/sessions/000000000000000000000000')).status).toBe(404);
  });
});
