// Mail end to end: invitations, forgotten passwords, admin-started resets and email verification go through the
// outbox and a real SMTP server; the links in the received mails are followed as a user would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';
import { startSilentServer, startSmtp, type TestSmtp, tokenIn } from '../support/smtp.js';

const NEW_PASSWORD = 'Correct-horse-battery-2026';

describe.each(DIALECTS)('mail (%s)', (dialect) => {
  let h: Harness;
  let smtp: TestSmtp;
  beforeAll(async () => {
    h = await createHarness(dialect, { trustProxy: true, smtpTimeoutMs: 400 });
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await h.ctx.mailSender.stop();
    await smtp.close();
    await h.close();
  });

  const smtpOn = (owner: Awaited<ReturnType<Harness['newAccount']>>['owner'], port = smtp.port) =>
    owner.request('PUT', '/mail/settings', {
      smtp: { host: '127.0.0.1', port, security: 'none', from: 'Roster <roster@example.com>' },
    });

  /** Delivers what is due and returns the mails the SMTP server received for `to`. */
  async function mailsTo(to: string) {
    await h.ctx.signInLinks.settled();
    await h.ctx.mailSender.flush();
    return smtp.mails.filter((mail) => mail.to === to);
  }

  it('keeps mails in the outbox when no mail server is set, with the link admins can hand over', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'nora.outbox@example.com', sendInvitation: true });
    expect(user.status).toBe('invited');
    await h.ctx.mailSender.flush();
    const outbox = await owner.get('/mail/outbox');
    expect(outbox.status).toBe(200);
    const mail = outbox.body.items.find((m: { to: string }) => m.to === 'nora.outbox@example.com');
    expect(mail).toMatchObject({ kind: 'invitation', status: 'outbox', user: { id: user.id } });
    expect(mail.text).toContain(mail.link);
    const token = tokenIn(mail.link);

    const info = await h.raw('POST', '/auth/links/inspect', { token, purpose: 'invitation' });
    expect(info.body).toMatchObject({ state: 'valid', username: user.username, account: { slug } });
    // The page shows the account's password rules as the user types.
    expect(info.body.passwordPolicy).toMatchObject({ singleFactorMinLength: 15, secondFactorRequired: false });
    const chosen = await h.raw('POST', '/auth/links/password', {
      token,
      purpose: 'invitation',
      password: NEW_PASSWORD,
    });
    expect(chosen.status).toBe(200);
    // Still Invited until the first sign-in.
    expect((await owner.get(`/users/${user.id}`)).body.status).toBe('invited');
    await h.signIn(slug, user.username, NEW_PASSWORD);
    const after = (await owner.get(`/users/${user.id}`)).body;
    expect(after.status).toBe('active');
    expect(after.emailVerified).toBe(true);
    const audit = await owner.get('/audit?limit=100');
    expect(audit.text).not.toContain(token);
  });

  it('sends mails a delivery round left in the outbox while the mail server was being saved', async () => {
    const { owner, accountId } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'olga.race@example.com', sendInvitation: true });
    await h.ctx.mailSender.flush();
    const waiting = (await owner.get('/mail/outbox')).body.items.find((m: { to: string }) => m.to === user.email);
    expect(waiting.status).toBe('outbox');
    // The server appears without the settings route's own re-queue (as when a round was already past its check).
    await h.db
      .insertInto('account_security')
      .values({
        account_id: accountId,
        smtp_host: '127.0.0.1',
        smtp_port: smtp.port,
        smtp_security: 'none',
        mail_from: 'roster@example.com',
        updated_at: new Date().toISOString(),
      })
      .onConflict((oc) =>
        oc.column('account_id').doUpdateSet({ smtp_host: '127.0.0.1', smtp_port: smtp.port, smtp_security: 'none' }),
      )
      .execute();
    await h.ctx.mailSender.requeueWaiting();
    expect(await mailsTo('olga.race@example.com')).toHaveLength(1);
    // Another account's mail, with no server, stays where it is.
    const other = await h.newAccount();
    await h.buildUser(other.owner, { email: 'still.waiting@example.com', sendInvitation: true });
    await h.ctx.mailSender.flush();
    await h.ctx.mailSender.requeueWaiting();
    expect(await mailsTo('still.waiting@example.com')).toHaveLength(0);
    const stays = (await other.owner.get('/mail/outbox')).body.items[0];
    expect(stays.status).toBe('outbox');
  });

  it('withdraws mailed links when the address, the password or the enabled flag changes', async () => {
    const { owner } = await h.newAccount();
    /** The link of the newest mail of that kind to the user, from the outbox (no mail server here). */
    const lastToken = async (userId: number, kind: string) => {
      await h.ctx.signInLinks.settled();
      const row = await h.db
        .selectFrom('mail_outbox')
        .select('link')
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      return tokenIn(row.link ?? '');
    };
    const choose = (token: string, purpose = 'invitation') =>
      h.raw('POST', '/auth/links/password', { token, purpose, password: 'Someone-else-chose-this-1' });

    // An invitation went to a mistyped address; the admin corrects it: the old link no longer works.
    const typo = await h.buildUser(owner, { email: 'typo@exmaple.com', sendInvitation: true });
    const stale = await lastToken(typo.id, 'invitation');
    expect((await owner.patch(`/users/${typo.id}`, { email: 'right@example.com' })).status).toBe(200);
    expect((await choose(stale)).body.error.code).toBe('LinkExpired');
    // The invitation sent again, to the right address, works and confirms that address.
    expect((await owner.post(`/users/${typo.id}/invitation`)).status).toBe(202);
    expect((await choose(await lastToken(typo.id, 'invitation'))).status).toBe(200);
    expect((await owner.get(`/users/${typo.id}`)).body.emailVerified).toBe(true);

    // A reset link stops working once an admin sets the password, and once the user is disabled.
    const reset = await h.buildUser(owner, { email: 'reset.withdrawn@example.com', password: PASSWORD });
    expect((await owner.post(`/users/${reset.id}/password-reset`)).status).toBe(202);
    const resetToken = await lastToken(reset.id, 'password_reset');
    expect(
      (await owner.request('PUT', `/users/${reset.id}/password`, { password: 'Admin-chosen-pass-2026' })).status,
    ).toBe(200);
    expect((await choose(resetToken, 'password_reset')).body.error.code).toBe('LinkExpired');
    expect((await owner.post(`/users/${reset.id}/password-reset`)).status).toBe(202);
    const again = await lastToken(reset.id, 'password_reset');
    expect((await owner.patch(`/users/${reset.id}`, { enabled: false })).status).toBe(200);
    expect((await choose(again, 'password_reset')).body.error.code).toBe('LinkExpired');
    // Dead links show their state and account (to ask for a new one), not whom they were for.
    const dead = await h.raw('POST', '/auth/links/inspect', { token: again, purpose: 'password_reset' });
    expect(Object.keys(dead.body).sort()).toEqual(['account', 'passwordPolicy', 'purpose', 'state']);
    expect(dead.body).toMatchObject({ state: 'expired', passwordPolicy: null });
  });

  it('sends an invitation through the mail server; the link works once and the mail keeps no link', async () => {
    const { owner, slug } = await h.newAccount();
    expect((await smtpOn(owner)).status).toBe(200);
    const user = await h.buildUser(owner, { email: 'ines.smtp@example.com', language: 'es', sendInvitation: true });
    const [mail] = await mailsTo('ines.smtp@example.com');
    expect(mail?.subject).toMatch(/^Invitación a /);
    expect(mail?.html).toContain('Elegir mi contraseña');
    const token = tokenIn(mail?.text ?? '');
    expect(mail?.html).toContain(token);

    const outbox = (await owner.get('/mail/outbox')).body.items;
    const row = outbox.find((m: { to: string }) => m.to === 'ines.smtp@example.com');
    expect(row).toMatchObject({ status: 'sent', link: null });
    expect(row.text).not.toContain(token);

    const first = await h.raw('POST', '/auth/links/password', { token, purpose: 'invitation', password: NEW_PASSWORD });
    expect(first.status).toBe(200);
    const again = await h.raw('POST', '/auth/links/password', {
      token,
      purpose: 'invitation',
      password: 'Another-fine-passphrase-9',
    });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('LinkUsed');
    const used = await h.raw('POST', '/auth/links/inspect', { token, purpose: 'invitation' });
    expect(used.body).toMatchObject({ state: 'used', passwordPolicy: null });
    await h.signIn(slug, user.username, NEW_PASSWORD);
  });

  it('refuses expired, forged, other-purpose and superseded links with a clear code', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'old.link@example.com' });
    expect((await owner.post(`/users/${user.id}/invitation`)).status).toBe(202);
    const first = tokenIn((await owner.get('/mail/outbox')).body.items[0].link);
    expect((await owner.post(`/users/${user.id}/invitation`)).status).toBe(202);
    const second = tokenIn((await owner.get('/mail/outbox')).body.items[0].link);
    expect(second).not.toBe(first);
    // The newest invitation is the one that counts.
    const superseded = await h.raw('POST', '/auth/links/password', {
      token: first,
      purpose: 'invitation',
      password: NEW_PASSWORD,
    });
    expect(superseded.body.error.code).toBe('LinkExpired');
    const otherPurpose = await h.raw('POST', '/auth/links/password', {
      token: second,
      purpose: 'password_reset',
      password: NEW_PASSWORD,
    });
    expect(otherPurpose.status).toBe(404);
    expect(otherPurpose.body.error.code).toBe('LinkInvalid');
    const forged = await h.raw('POST', '/auth/links/password', {
      token: `${second.slice(0, -1)}${second.endsWith('A') ? 'B' : 'A'}`,
      purpose: 'invitation',
      password: NEW_PASSWORD,
    });
    expect(forged.body.error.code).toBe('LinkInvalid');
    expect((await h.raw('POST', '/auth/links/inspect', { token: 'x'.repeat(200), purpose: 'invitation' })).status).toBe(
      404,
    );
    h.clock.advance(73 * 3_600_000);
    const late = await h.raw('POST', '/auth/links/password', {
      token: second,
      purpose: 'invitation',
      password: NEW_PASSWORD,
    });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('LinkExpired');
  });

  it('checks the password policy on the link page, naming the field', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'weak@example.com', sendInvitation: true });
    const token = tokenIn((await owner.get('/mail/outbox')).body.items[0].link);
    const weak = await h.raw('POST', '/auth/links/password', { token, purpose: 'invitation', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.fields[0].path).toBe('password');
    // A refused password leaves the link usable.
    expect((await h.raw('POST', '/auth/links/inspect', { token, purpose: 'invitation' })).body.state).toBe('valid');
    expect(user.status).toBe('invited');
  });

  it('answers "forgot password" alike for known and unknown users, and the reset ends every session', async () => {
    const { owner, slug } = await h.newAccount();
    expect((await smtpOn(owner)).status).toBe(200);
    const user = await h.buildUser(owner, { email: 'fran.forgot@example.com', password: PASSWORD });
    const session = await h.signIn(slug, user.username, PASSWORD);

    const known = await h.raw('POST', '/auth/forgot-password', { account: slug, login: user.username });
    const unknown = await h.raw('POST', '/auth/forgot-password', { account: slug, login: 'nobody-here' });
    const byEmail = await h.raw('POST', '/auth/forgot-password', { account: slug, login: 'FRAN.FORGOT@example.com' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    expect(byEmail.body).toEqual(known.body);
    const mails = await mailsTo('fran.forgot@example.com');
    expect(mails).toHaveLength(2);
    // The mails may arrive in either order: the reset takes a link the page says is valid.
    const tokens = mails.map((mail) => tokenIn(mail.text ?? ''));
    const states = await Promise.all(
      tokens.map(
        async (candidate) =>
          (await h.raw('POST', '/auth/links/inspect', { token: candidate, purpose: 'password_reset' })).body.state,
      ),
    );
    const token = tokens[states.lastIndexOf('valid')] as string;
    expect(token, JSON.stringify(states)).toBeDefined();

    const reset = await h.raw('POST', '/auth/links/password', {
      token,
      purpose: 'password_reset',
      password: NEW_PASSWORD,
    });
    expect(reset.status).toBe(200);
    expect((await session.get('/session')).status).toBe(401);
    expect(
      (await h.raw('POST', '/auth/sign-in', { account: slug, username: user.username, password: PASSWORD })).status,
    ).toBe(401);
    await h.signIn(slug, user.username, NEW_PASSWORD);
    // The user is told their password changed.
    const notices = await mailsTo('fran.forgot@example.com');
    expect(notices.at(-1)?.subject).toMatch(/password .* was changed/);
    h.clock.advance(31 * 60_000);
  });

  it('expires reset links after 30 minutes; sends a user 3 an hour per asking address and 10 in all', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'rita.reset@example.com', password: PASSWORD });
    const ask = (address: string) =>
      h.raw('POST', '/auth/forgot-password', { account: slug, login: user.username }, { 'x-forwarded-for': address });
    const sent = async () => {
      await h.ctx.signInLinks.settled();
      return (await owner.get('/mail/outbox?limit=50')).body.items.filter(
        (m: { to: string; kind: string }) => m.to === 'rita.reset@example.com' && m.kind === 'password_reset',
      );
    };
    for (let i = 0; i < 5; i++) expect((await ask('203.0.113.20')).status).toBe(202);
    expect(await sent()).toHaveLength(3);
    // Someone asking again and again from their address does not keep Rita's own request from working.
    expect((await ask('198.51.100.30')).status).toBe(202);
    expect(await sent()).toHaveLength(4);
    // Many addresses together still send at most 10 an hour.
    for (let i = 0; i < 6; i++) for (let j = 0; j < 3; j++) await ask(`192.0.2.${100 + i}`);
    const outbox = await sent();
    expect(outbox).toHaveLength(10);
    h.clock.advance(31 * 60_000);
    const late = await h.raw('POST', '/auth/links/password', {
      token: tokenIn(outbox[0].link),
      purpose: 'password_reset',
      password: NEW_PASSWORD,
    });
    expect(late.body.error.code).toBe('LinkExpired');
  });

  it('limits forgot-password requests per client address with 429 and Retry-After', async () => {
    const { slug } = await h.newAccount();
    const ask = () =>
      h.raw(
        'POST',
        '/auth/forgot-password',
        { account: slug, login: 'someone' },
        { 'x-forwarded-for': '198.51.100.77' },
      );
    for (let i = 0; i < 10; i++) expect((await ask()).status).toBe(202);
    const limited = await ask();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const other = await h.raw(
      'POST',
      '/auth/forgot-password',
      { account: slug, login: 'someone' },
      { 'x-forwarded-for': '198.51.100.78' },
    );
    expect(other.status).toBe(202);
  });

  it('lets an admin start a reset instead of choosing the password; single sign-on users have none', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'ada.admin@example.com', password: PASSWORD });
    const sent = await owner.post(`/users/${user.id}/password-reset`);
    expect(sent.status).toBe(202);
    expect(sent.body.to).toBe('ada.admin@example.com');
    const token = tokenIn((await owner.get('/mail/outbox')).body.items[0].link);
    expect(
      (await h.raw('POST', '/auth/links/password', { token, purpose: 'password_reset', password: NEW_PASSWORD }))
        .status,
    ).toBe(200);
    await h.signIn(slug, user.username, NEW_PASSWORD);
    const sso = await h.buildUser(owner, { email: 'sam.sso@example.com', authMethod: 'sso' });
    expect((await owner.post(`/users/${sso.id}/password-reset`)).body.error.code).toBe('SingleSignOnUser');
    const invited = await owner.post(`/users/${sso.id}/invitation`);
    expect(invited.status).toBe(202);
    const mail = (await owner.get('/mail/outbox')).body.items[0];
    expect(mail.kind).toBe('invitation_sso');
    expect(mail.link).toContain(`/sign-in?account=${slug}`);
    const noEmail = await h.buildUser(owner);
    const refused = await owner.post(`/users/${noEmail.id}/invitation`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.fields[0].path).toBe('email');
    const create = await owner.post('/users', { username: 'no-mail-invite', firstName: 'N', sendInvitation: true });
    expect(create.status).toBe(400);
    expect(create.body.error.fields[0].path).toBe('email');
  });

  it('verifies an email address through the mailed link, and not an address set since', async () => {
    const { owner, slug } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'vera.verify@example.com', password: PASSWORD });
    const session = await h.signIn(slug, user.username, PASSWORD);
    expect((await session.post('/me/verify-email')).status).toBe(202);
    const token = tokenIn((await owner.get('/mail/outbox')).body.items[0].link);
    // The link opens in the browser where the user is signed in: the cookie comes along, but no CSRF token, since
    // the page has not read the session. The link's token is the credential; a cross-site post is still refused.
    const crossSite = await h.raw(
      'POST',
      '/auth/links/verify-email',
      { token },
      {
        cookie: session.cookie,
        origin: 'https://evil.example',
      },
    );
    expect(crossSite.body.error.code).toBe('CsrfFailed');
    const verified = await h.raw('POST', '/auth/links/verify-email', { token }, { cookie: session.cookie });
    expect(verified.body).toEqual({ to: 'vera.verify@example.com' });
    expect((await owner.get(`/users/${user.id}`)).body.emailVerified).toBe(true);

    expect((await session.post('/me/verify-email')).status).toBe(202);
    const second = tokenIn((await owner.get('/mail/outbox')).body.items[0].link);
    expect((await owner.patch(`/users/${user.id}`, { email: 'vera.new@example.com' })).status).toBe(200);
    // The old address hears of the change.
    const notice = (await owner.get('/mail/outbox')).body.items[0];
    expect(notice).toMatchObject({ kind: 'email_changed', to: 'vera.verify@example.com', link: null });
    const stale = await h.raw('POST', '/auth/links/verify-email', { token: second });
    // The link was withdrawn when the address changed.
    expect(stale.status).toBe(410);
    expect(stale.body.error.code).toBe('LinkExpired');
  });

  it('retries a mail the server refuses, and one that hangs, losing nothing', async () => {
    const { owner } = await h.newAccount();
    expect((await smtpOn(owner)).status).toBe(200);
    smtp.refuse = true;
    await h.buildUser(owner, { email: 'retry.me@example.com', sendInvitation: true });
    expect(await mailsTo('retry.me@example.com')).toHaveLength(0);
    let row = (await owner.get('/mail/outbox')).body.items[0];
    expect(row).toMatchObject({ status: 'queued', attempts: 1 });
    expect(row.lastError).toMatch(/refused the mail/);
    expect(row.link).not.toBeNull();
    smtp.refuse = false;
    // Not before its backoff is over...
    expect(await mailsTo('retry.me@example.com')).toHaveLength(0);
    h.clock.advance(31_000);
    expect(await mailsTo('retry.me@example.com')).toHaveLength(1);
    row = (await owner.get('/mail/outbox')).body.items[0];
    expect(row).toMatchObject({ status: 'sent', attempts: 2, lastError: null });

    const silent = await startSilentServer();
    try {
      expect((await smtpOn(owner, silent.port)).status).toBe(200);
      await h.buildUser(owner, { email: 'hung.server@example.com', sendInvitation: true });
      await h.ctx.mailSender.flush();
      row = (await owner.get('/mail/outbox')).body.items[0];
      expect(row.status).toBe('queued');
      expect(row.lastError).toMatch(/did not answer|Could not talk/);
    } finally {
      await silent.close();
    }
    expect((await smtpOn(owner)).status).toBe(200);
    h.clock.advance(31_000);
    expect(await mailsTo('hung.server@example.com')).toHaveLength(1);
  });

  it('invites many users at once, skipping who signed in already or has no email', async () => {
    const { owner, slug } = await h.newAccount();
    const a = await h.buildUser(owner, { email: 'bulk.a@example.com' });
    const b = await h.buildUser(owner, { email: 'bulk.b@example.com', language: 'de' });
    const none = await h.buildUser(owner);
    const active = await h.buildUser(owner, { email: 'bulk.active@example.com', password: PASSWORD });
    await h.signIn(slug, active.username, PASSWORD);
    const report = await owner.post('/users/bulk', {
      action: 'send_invitation',
      selection: { ids: [a.id, b.id, none.id, active.id] },
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ done: 2, skipped: 2 });
    const reasons = report.body.groups.map((g: { reason: string | null }) => g.reason).sort();
    expect(reasons).toEqual(['has no email address', 'has signed in already', null].sort());
    // (The owner's own first password change was told to them too.)
    const outbox = (await owner.get('/mail/outbox')).body.items.filter(
      (m: { kind: string }) => m.kind === 'invitation',
    );
    expect(outbox.map((m: { to: string }) => m.to).sort()).toEqual(['bulk.a@example.com', 'bulk.b@example.com']);
    expect(outbox.find((m: { to: string }) => m.to === 'bulk.b@example.com').subject).toMatch(/^Einladung zu /);
    expect((await owner.get(`/users/${a.id}`)).body.status).toBe('invited');
    expect((await owner.get(`/users/${none.id}`)).body.status).toBe('inactive');
    const audit = (await owner.get('/audit?limit=20')).body.items.filter(
      (e: { action: string }) => e.action === 'user.invitation_sent',
    );
    expect(audit).toHaveLength(2);
  });

  it("invites the users an import creates, in the import's transaction", async () => {
    const { owner, slug } = await h.newAccount();
    expect((await smtpOn(owner)).status).toBe(200);
    const file = csv([
      ['Username', 'Full Name', 'Email', 'Language'],
      ['imp.one', 'Ana Uno', 'imp.one@example.com', 'pt'],
      ['imp.two', 'Bea Dos', 'imp.two@example.com', 'it'],
      ['imp.three', 'Cai Tres', '', ''],
    ]);
    const uploaded = await upload(h, owner, 'invite.csv', file);
    expect(uploaded.status).toBe(201);
    const done = await runImport(owner, uploaded.body.id, { sendInvitations: true });
    expect(done.body.status).toBe('done');
    const one = await mailsTo('imp.one@example.com');
    const two = await mailsTo('imp.two@example.com');
    expect(one[0]?.subject).toMatch(/^Convite para /);
    expect(two[0]?.subject).toMatch(/^Invito a /);
    const token = tokenIn(one[0]?.text ?? '');
    expect(
      (await h.raw('POST', '/auth/links/password', { token, purpose: 'invitation', password: NEW_PASSWORD })).status,
    ).toBe(200);
    await h.signIn(slug, 'imp.one', NEW_PASSWORD);
    const list = (await owner.get('/users?q=imp.&limit=10')).body.items;
    const status = Object.fromEntries(list.map((u: { username: string; status: string }) => [u.username, u.status]));
    expect(status).toEqual({ 'imp.one': 'active', 'imp.two': 'invited', 'imp.three': 'inactive' });
    const audit = (await owner.get('/audit?limit=5')).body.items.find(
      (e: { action: string }) => e.action === 'users.import',
    );
    expect(audit.after.invitations).toBe(2);
  });

  it('never returns the mail server password, and hides links to users the reader may not manage', async () => {
    const { owner, slug } = await h.newAccount();
    const saved = await owner.request('PUT', '/mail/settings', {
      smtp: {
        host: 'smtp.example.com',
        port: 587,
        security: 'starttls',
        user: 'mailer',
        password: 'smtp-secret-value',
        from: 'Roster <roster@example.com>',
      },
      invitationHours: 48,
    });
    expect(saved.status).toBe(200);
    expect(saved.text).not.toContain('smtp-secret-value');
    expect(saved.body.smtp.passwordSet).toBe(true);
    const kept = await owner.request('PUT', '/mail/settings', {
      smtp: { host: 'smtp.example.com', port: 587, security: 'starttls', user: 'mailer', from: 'roster@example.com' },
    });
    expect(kept.body.smtp.passwordSet).toBe(true);
    expect(kept.body.invitationHours).toBe(48);
    const audit = await owner.get('/audit?limit=100');
    expect(audit.text).not.toContain('smtp-secret-value');
    const bad = await owner.request('PUT', '/mail/settings', {
      smtp: { host: 'smtp example', port: 70000, security: 'starttls', from: 'nobody' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'smtp.from',
      'smtp.host',
      'smtp.port',
    ]);
    expect((await owner.request('PUT', '/mail/settings', { smtp: null })).body.smtp).toBeNull();

    // The owner's reset link is not for another admin's eyes.
    const admin = await h.buildUser(owner, {
      accessType: 'admin',
      email: 'second.admin@example.com',
      password: PASSWORD,
    });
    await h.raw('POST', '/auth/forgot-password', { account: slug, login: 'owner' });
    await h.ctx.signInLinks.settled();
    const asAdmin = await h.signIn(slug, admin.username, PASSWORD);
    const mail = (await asAdmin.get('/mail/outbox')).body.items.find(
      (m: { kind: string }) => m.kind === 'password_reset',
    );
    expect(mail).toMatchObject({ link: null, linkHidden: true });
    expect(mail.text).toContain('[link hidden]');
    const ownerView = (await owner.get('/mail/outbox')).body.items.find(
      (m: { kind: string }) => m.kind === 'password_reset',
    );
    expect(ownerView.link).toMatch(/#token=/);
    const member = await h.buildUser(owner, { password: PASSWORD });
    expect((await (await h.signIn(slug, member.username, PASSWORD)).get('/mail/outbox')).status).toBe(403);
  });
});
