// The account's password policy: its defaults (NIST SP 800-63B-4, OWASP ASVS 5.0 V6), the breached list, the history,
// the options an admin sets, the maximum age, the importer, and the check the console calls as one types.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

// The first password of 15 characters or more in the list (it is in order of frequency), and the last one.
const BREACHED_HEAD = 'Mailcreated5240';
const BREACHED_TAIL = '23121Fdettedsds';

const rulesOf = (reply: { body: { error?: { fields?: { message: string }[] } } }) =>
  (reply.body.error?.fields ?? []).map((f) => /\((\w+)\)$/.exec(f.message)?.[1]);

describe.each(DIALECTS)('password policy (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('asks for 15 characters by default, 8 when the user must present a second factor', async () => {
    const { owner } = await h.newAccount();
    const policy = await owner.get('/security/password-policy');
    expect(policy.status).toBe(200);
    expect(policy.body).toMatchObject({
      minLength: null,
      minClasses: 0,
      historyCount: 5,
      maxAgeDays: 0,
      singleFactorMinLength: 15,
      secondFactorMinLength: 8,
      maxLength: 256,
      secondFactorRequired: false,
    });

    const short = await owner.post('/users', { username: 'fourteen', firstName: 'F', password: 'Tall-tree-2026' });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('PasswordPolicy');
    expect(short.body.error.fields[0].path).toBe('password');
    expect(rulesOf(short)).toEqual(['minLength']);
    const enough = await owner.post('/users', { username: 'fifteen', firstName: 'F', password: 'Tall-trees-2026' });
    expect(enough.status).toBe(201);
    // No composition rule: a long passphrase of lower-case words and spaces will do.
    const phrase = await owner.post('/users', {
      username: 'phrase',
      firstName: 'P',
      password: 'purple elephants dance quietly',
    });
    expect(phrase.status).toBe(201);

    // The account asks admins for a second factor: 8 characters are enough for them, not for standard users.
    // (The owner, an admin too, sets up a device first, or every request would wait for one.)
    const setup = await owner.post('/me/otp/setup');
    const code = new TOTP({ secret: Secret.fromBase32(setup.body.secret) }).generate({
      timestamp: h.clock.now().getTime(),
    });
    expect((await owner.post('/me/otp/confirm', { code })).status).toBe(200);
    expect((await owner.request('PUT', '/security/second-factor', { requireAdminOtp: true })).status).toBe(200);
    const admin = await owner.post('/users', {
      username: 'eight-admin',
      firstName: 'A',
      accessType: 'admin',
      password: 'Kq7#vBn2',
    });
    expect(admin.status).toBe(201);
    const standard = await owner.post('/users', { username: 'eight-std', firstName: 'S', password: 'Kq7#vBn2' });
    expect(rulesOf(standard)).toEqual(['minLength']);
    expect((await owner.get('/security/password-policy')).body.secondFactorRequired).toBe(true);
  });

  it('refuses the username, the email, context words, repetitive strings and breached passwords', async () => {
    const { owner, slug } = await h.newAccount();
    const create = (password: string) =>
      owner.post('/users', { username: 'marta.rossi', email: 'mrossi@example.com', firstName: 'Marta', password });
    expect(rulesOf(await create('marta.rossi'))).toContain('username');
    expect(rulesOf(await create('MARTA.ROSSI-garden-2026'))).toEqual(['username']);
    expect(rulesOf(await create('my-MRossi-blue-harbour-77'))).toEqual(['email']);
    expect(rulesOf(await create('mrossi@example.com'))).toContain('email');
    expect(rulesOf(await create('the roster of my garden'))).toEqual(['context']);
    expect(rulesOf(await create(`${slug}-my-garden-7`))).toEqual(['context']);
    expect(rulesOf(await create('aaaaaaaaaaaaaaa'))).toEqual(['repetitive']);
    expect(rulesOf(await create('123456789012345'))).toEqual(['repetitive']);
    for (const breached of [BREACHED_HEAD, BREACHED_TAIL, BREACHED_TAIL.toUpperCase()]) {
      const refused = await create(breached);
      expect(refused.status).toBe(400);
      expect(rulesOf(refused)).toEqual(['breached']);
    }
    expect((await create('Marta grows basil in June')).status).toBe(201);
  });

  it('keeps the last passwords: one of the last N is refused, the one before them is allowed', async () => {
    const { owner, slug } = await h.newAccount();
    expect((await owner.request('PUT', '/security/password-policy', policy({ historyCount: 3 }))).status).toBe(200);
    const passwords = ['Ocean-lighthouse-01', 'Ocean-lighthouse-02', 'Ocean-lighthouse-03', 'Ocean-lighthouse-04'];
    const user = await h.buildUser(owner, { username: 'hugo', password: passwords[0] });
    const hugo = await h.signIn(slug, 'hugo', passwords[0] as string);
    for (let i = 1; i < passwords.length; i++) {
      const changed = await hugo.post('/auth/change-password', {
        currentPassword: passwords[i - 1],
        newPassword: passwords[i],
      });
      expect(changed.status).toBe(200);
    }
    // The current password and the two before it are the last 3.
    for (const reused of [passwords[2], passwords[1]]) {
      const refused = await hugo.post('/auth/change-password', { currentPassword: passwords[3], newPassword: reused });
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields[0]).toMatchObject({ path: 'newPassword' });
      expect(rulesOf(refused)).toEqual(['history']);
    }
    const kept = await h.db.selectFrom('password_history').select('id').where('user_id', '=', user.id).execute();
    expect(kept).toHaveLength(3);
    const oldest = await hugo.post('/auth/change-password', {
      currentPassword: passwords[3],
      newPassword: passwords[0],
    });
    expect(oldest.status).toBe(200);

    // History 0: nothing is kept, and an old password may come back.
    await owner.request('PUT', '/security/password-policy', policy({ historyCount: 0 }));
    const back = await hugo.post('/auth/change-password', { currentPassword: passwords[0], newPassword: passwords[3] });
    expect(back.status).toBe(200);
    expect(await h.db.selectFrom('password_history').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('lets the admin require character classes and a longer minimum', async () => {
    const { owner } = await h.newAccount();
    const saved = await owner.request('PUT', '/security/password-policy', policy({ minClasses: 3, minLength: 20 }));
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ minClasses: 3, minLength: 20, singleFactorMinLength: 20 });
    const create = (username: string, password: string) => owner.post('/users', { username, firstName: 'C', password });
    expect(rulesOf(await create('c1', 'tall trees by the river'))).toEqual(['classes']);
    expect(rulesOf(await create('c2', 'Tall trees by river 9'))).toEqual([]);
    expect(rulesOf(await create('c3', 'Tall trees river 9'))).toEqual(['minLength']);

    const audit = await h.db
      .selectFrom('audit_events')
      .select(['before_json', 'after_json'])
      .where('action', '=', 'security.password_policy')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.before_json as string)).toMatchObject({ minClasses: 0, minLength: null });
    expect(JSON.parse(audit.after_json as string)).toMatchObject({ minClasses: 3, minLength: 20 });
  });

  it('applies the policy to imported passwords, naming the row, and generates passwords long enough', async () => {
    const { owner } = await h.newAccount();
    await owner.request('PUT', '/security/password-policy', policy({ minLength: 24 }));
    const file = csv([
      ['Username', 'Full Name', 'Password'],
      ['short', 'Short Password', 'Tall-trees-2026'],
      ['leaked', 'Leaked Password', BREACHED_HEAD],
      ['fine', 'Fine Password', 'A long enough import passphrase'],
      ['generated', 'Generated Password', ''],
    ]);
    const preview = await upload(h, owner, 'passwords.csv', file);
    expect(preview.status).toBe(201);
    const problems = preview.body.problems.map((p: { row: number; code: string; message: string }) => ({
      row: p.row,
      code: p.code,
      message: p.message,
    }));
    expect(problems).toEqual([
      { row: 2, code: 'PasswordPolicy', message: expect.stringContaining('(minLength)') },
      { row: 3, code: 'PasswordPolicy', message: expect.stringContaining('(minLength)') },
    ]);
    await owner.request('PUT', '/security/password-policy', policy({}));
    const again = await upload(h, owner, 'passwords.csv', file);
    expect(again.body.problems).toHaveLength(1);
    expect(again.body.problems[0]).toMatchObject({ row: 3, code: 'PasswordPolicy' });
    expect(again.body.problems[0].message).toContain('(breached)');
    // The password is never shown back in a problem.
    expect(JSON.stringify(again.body)).not.toContain(BREACHED_HEAD);

    await owner.request('PUT', '/security/password-policy', policy({ minLength: 30 }));
    const generated = await upload(
      h,
      owner,
      'generated.csv',
      csv([
        ['Username', 'Full Name'],
        ['gen1', 'Gen One'],
      ]),
    );
    const done = await runImport(owner, generated.body.id);
    expect(done.body.status).toBe('done');
    const passwords = await owner.get(`/imports/${generated.body.id}/passwords.csv`);
    const [, line] = passwords.text.replace('\uFEFF', '').trim().split('\r\n');
    expect((line as string).split(',')[1]?.length).toBeGreaterThanOrEqual(30);
  });

  it('checks a password as one types: every rule and the breached list, never the history', async () => {
    const { owner, slug } = await h.newAccount();
    const check = (client: typeof owner, body: unknown) => client.post('/auth/password-check', body);
    const mine = await check(owner, { password: 'short' });
    expect(mine.status).toBe(200);
    expect(mine.body.problems.map((p: { rule: string }) => p.rule)).toEqual(['minLength']);
    expect((await check(owner, { password: BREACHED_TAIL })).body.problems).toEqual([
      { rule: 'breached', message: expect.any(String) },
    ]);
    // The check never tells whether a password is the current one (or an old one): that would be a way to guess it.
    expect((await check(owner, { password: PASSWORD })).body.problems).toEqual([]);
    expect((await check(owner, { password: 'Seven sailors sing at dawn' })).body.problems).toEqual([]);

    const user = await h.buildUser(owner, { username: 'nina', password: PASSWORD });
    const forNina = await check(owner, { password: 'nina-the-navigator-2026', userId: user.id });
    expect(forNina.body.problems.map((p: { rule: string }) => p.rule)).toEqual(['username']);
    expect((await check(owner, { password: PASSWORD, userId: user.id })).body.problems).toEqual([]);
    const forNew = await check(owner, { password: 'oscar-the-great-sailor', newUser: { username: 'Oscar' } });
    expect(forNew.body.problems.map((p: { rule: string }) => p.rule)).toEqual(['username']);

    // A standard user checks their own password only.
    const nina = await h.signIn(slug, 'nina', PASSWORD);
    expect((await check(nina, { password: 'Seven sailors sing at dawn' })).status).toBe(200);
    const owners = (await owner.get('/session')).body.user.id;
    // Another user's password is out of her reach: the owner is not found for her.
    expect((await check(nina, { password: 'x', userId: owners })).status).toBe(404);
    expect((await check(nina, { password: 'x', newUser: { username: 'someone' } })).status).toBe(403);
    expect((await h.raw('POST', '/auth/password-check', { password: 'x' })).status).toBe(401);

    // At most 60 checks a minute a session.
    let limited = null;
    for (let i = 0; i < 70 && !limited; i++) {
      const reply = await check(nina, { password: `x${i}` });
      if (reply.status === 429) limited = reply;
    }
    expect(limited?.body.error.code).toBe('RateLimited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Nothing of the passwords checked reaches the audit log.
    const audit = await h.db.selectFrom('audit_events').select(['after_json', 'before_json']).execute();
    expect(JSON.stringify(audit)).not.toContain('Seven sailors');
  });

  it('validates the policy field by field, and lets only admins who manage security set it', async () => {
    const { owner, slug } = await h.newAccount();
    const bad = await owner.request('PUT', '/security/password-policy', {
      minLength: 7,
      minClasses: 5,
      historyCount: 25,
      maxAgeDays: 4000,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'historyCount',
      'maxAgeDays',
      'minClasses',
      'minLength',
    ]);
    const tooLong = await owner.request('PUT', '/security/password-policy', policy({ minLength: 257 }));
    expect(tooLong.body.error.fields[0]).toMatchObject({ path: 'minLength', message: 'At most 256' });

    await h.buildUser(owner, { username: 'stan', password: PASSWORD });
    const stan = await h.signIn(slug, 'stan', PASSWORD);
    expect((await stan.get('/security/password-policy')).status).toBe(200);
    expect((await stan.request('PUT', '/security/password-policy', policy({ historyCount: 1 }))).status).toBe(403);
    expect((await h.raw('GET', '/security/password-policy')).status).toBe(401);
  });

  it("lets an admin set or reset a user's password under the same policy, temporary or not", async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { username: 'rosa', email: 'reyes.r@example.com', password: PASSWORD });
    const rosa = await h.signIn(slug, 'rosa', PASSWORD);
    const set = (body: unknown) => owner.request('PUT', `/users/${user.id}/password`, body);

    expect(rulesOf(await set({ password: 'Tall-tree-2026' }))).toEqual(['minLength']);
    expect(rulesOf(await set({ password: 'reyes.r writes poems 1' }))).toEqual(['email']);
    expect(rulesOf(await set({ password: BREACHED_HEAD }))).toEqual(['breached']);
    // Her current password is the newest of her history.
    const reused = await set({ password: PASSWORD });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toMatchObject({ code: 'PasswordPolicy', fields: [{ path: 'password' }] });
    expect(rulesOf(reused)).toEqual(['history']);

    const temporary = await set({ password: 'Windy-meadow-path-77', temporary: true });
    expect(temporary.status).toBe(200);
    // Her sessions end; at her next sign-in she must choose her own.
    expect((await rosa.get('/session')).status).toBe(401);
    const again = await h.signIn(slug, 'rosa', 'Windy-meadow-path-77');
    expect((await again.get('/session')).body.requiredActions).toEqual(['update_password']);
    expect((await set({ password: 'Calm-river-stones-88' })).status).toBe(200);
    const last = await h.signIn(slug, 'rosa', 'Calm-river-stones-88');
    expect((await last.get('/session')).body.requiredActions).toEqual([]);

    const ownId = (await owner.get('/session')).body.user.id;
    const own = await owner.request('PUT', `/users/${ownId}/password`, { password: 'Calm-river-stones-99' });
    expect(own.body.error.code).toBe('UseChangePassword');
    expect((await last.request('PUT', `/users/${ownId}/password`, { password: 'Calm-river-stones-99' })).status).toBe(
      403,
    );
    const audit = await h.db
      .selectFrom('audit_events')
      .select(['after_json'])
      .where('action', '=', 'user.password_set')
      .where('target_id', '=', String(user.id))
      .orderBy('id')
      .execute();
    expect(audit.map((a) => JSON.parse(a.after_json as string))).toEqual([{ temporary: true }, { temporary: false }]);
    expect(JSON.stringify(audit)).not.toContain('Windy');

    // She changes it herself too; each change is told to her address, the password never in it.
    const mine = await last.post('/auth/change-password', {
      currentPassword: 'Calm-river-stones-88',
      newPassword: 'Quiet-harbour-lights-5',
    });
    expect(mine.status).toBe(200);
    const told = (await owner.get('/mail/outbox')).body.items.filter(
      (m: { kind: string; to: string }) => m.kind === 'password_changed' && m.to === 'reyes.r@example.com',
    );
    expect(told).toHaveLength(3);
    const bodies = await h.db.selectFrom('mail_outbox').select(['text_body', 'html_body']).execute();
    expect(JSON.stringify(bodies)).not.toMatch(/Windy|Calm-river|Quiet-harbour/);
    // A user without an address gets no mail, and the change still happens.
    const silent = await h.buildUser(owner, { username: 'no-mail', password: PASSWORD });
    expect((await owner.request('PUT', `/users/${silent.id}/password`, { password: 'Bright-orchard-24' })).status).toBe(
      200,
    );
    const outboxUsers = await h.db
      .selectFrom('mail_outbox')
      .select('user_id')
      .where('user_id', '=', silent.id)
      .execute();
    expect(outboxUsers).toEqual([]);
  });

  // Last: it moves the clock past every session of this file.
  it('makes a password older than the maximum age be changed at the next sign-in', async () => {
    const { owner, slug } = await h.newAccount();
    await owner.request('PUT', '/security/password-policy', policy({ maxAgeDays: 30 }));
    const user = await h.buildUser(owner, { username: 'ageing', password: PASSWORD });
    const fresh = await h.signIn(slug, 'ageing', PASSWORD);
    expect((await fresh.get('/session')).body.requiredActions).toEqual([]);

    h.clock.advance(31 * 86_400_000);
    const old = await h.signIn(slug, 'ageing', PASSWORD);
    expect((await old.get('/session')).body.requiredActions).toEqual(['update_password']);
    expect((await old.get('/users')).body.error.code).toBe('PasswordChangeRequired');
    const audit = await h.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', String(user.id))
      .where('action', '=', 'auth.password_expired')
      .execute();
    expect(audit).toHaveLength(1);
    const changed = await old.post('/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: 'Autumn leaves fall slowly',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.requiredActions).toEqual([]);
    const after = await h.signIn(slug, 'ageing', 'Autumn leaves fall slowly');
    expect((await after.get('/session')).body.requiredActions).toEqual([]);
  });
});

function policy(overrides: Record<string, unknown>) {
  return { minLength: null, minClasses: 0, historyCount: 5, maxAgeDays: 0, ...overrides };
}
