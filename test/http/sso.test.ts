// Single sign-on against a real OpenID Connect provider (oidc-provider, in-process on a loopback port): the whole
// flow through its login and consent pages, binding, linking by verified email, creation, and the refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';
import { type Person, startOidcProvider, type TestProvider, walkProvider } from '../support/oidc-provider.js';

const CALLBACK = 'http://localhost/api/v1/auth/sso/callback';

let idp: TestProvider;
beforeAll(async () => {
  idp = await startOidcProvider([CALLBACK]);
});
afterAll(() => idp.close());

let people = 0;
function person(fields: Partial<Person> = {}): Person {
  const sub = `sub-${process.pid}-${++people}`;
  const p: Person = { sub, given_name: 'Ada', family_name: 'Lovelace', ...fields };
  idp.people.set(sub, p);
  return p;
}

describe.each(DIALECTS)('single sign-on (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect, { trustProxy: true });
  });
  afterAll(() => h.close());

  async function setup(fields: Record<string, unknown> = {}) {
    const account = await h.newAccount();
    const created = await account.owner.post('/identity-providers', {
      name: 'Acme Login',
      slug: 'acme',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      ...fields,
    });
    expect(created.status, created.text).toBe(201);
    return { ...account, provider: created.body };
  }

  /** Starts at Roster, walks the provider's pages as `login`, and comes back to Roster's callback. */
  async function signInThrough(slug: string, login: string, provider = 'acme') {
    const start = await h.app.request(`/api/v1/auth/sso/${provider}/start?account=${slug}`);
    expect(start.status).toBe(302);
    const location = start.headers.get('location') ?? '';
    if (location.startsWith('/sign-in')) return { location, cookie: '', callback: null };
    const callback = await walkProvider(location, login, CALLBACK);
    const back = await finish(callback);
    return { ...back, callback };
  }

  async function finish(callback: URL) {
    const reply = await h.app.request(`${callback.pathname}${callback.search}`);
    expect(reply.status).toBe(302);
    const cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { location: reply.headers.get('location') ?? '', cookie };
  }

  const refusal = (location: string) => new URL(location, 'http://localhost').searchParams.get('sso_error');

  async function sessionOf(cookie: string) {
    return h.raw('GET', '/session', undefined, { cookie });
  }

  async function bind(providerId: number, sub: string, userId: number) {
    await h.db
      .insertInto('user_identities')
      .values({ provider_id: providerId, subject: sub, user_id: userId, created_at: new Date().toISOString() })
      .execute();
  }

  it('configures providers: discovery checked, the client secret write-only and never audited', async () => {
    const { owner, provider } = await setup();
    expect(provider).toMatchObject({
      slug: 'acme',
      issuer: idp.issuer,
      scopes: 'openid email profile',
      usernameClaim: 'email',
      enabled: true,
      linkVerifiedEmail: false,
      createUsers: false,
      newUserAccessType: 'standard',
      hasClientSecret: true,
    });
    expect(JSON.stringify(provider)).not.toContain(idp.clientSecret);

    const list = await owner.get('/identity-providers');
    expect(list.body.redirectUri).toBe(CALLBACK);
    expect(list.body.items).toHaveLength(1);
    expect(list.text).not.toContain(idp.clientSecret);

    const nowhere = await owner.post('/identity-providers', {
      name: 'Nowhere',
      slug: 'nowhere',
      issuer: 'http://127.0.0.1:9/realms/none',
      clientId: 'x',
      clientSecret: 'y',
    });
    expect(nowhere.status).toBe(400);
    expect(nowhere.body.error.fields[0].path).toBe('issuer');
    const plain = await owner.post('/identity-providers', {
      name: 'Plain',
      slug: 'plain',
      issuer: 'http://login.example.com',
      clientId: 'x',
      clientSecret: 'y',
    });
    expect(plain.status).toBe(400);
    expect(plain.body.error.fields[0].path).toBe('issuer');
    expect(plain.body.error.fields[0].message).toMatch(/https/);
    const noOpenid = await owner.post('/identity-providers', {
      name: 'Bad scopes',
      slug: 'bad-scopes',
      issuer: idp.issuer,
      clientId: 'x',
      clientSecret: 'y',
      scopes: 'email profile',
    });
    expect(noOpenid.body.error.fields[0].path).toBe('scopes');
    const badSlug = await owner.post('/identity-providers', {
      name: 'Bad slug',
      slug: 'Not A Slug',
      issuer: idp.issuer,
      clientId: 'x',
      clientSecret: 'y',
    });
    expect(badSlug.body.error.fields[0].path).toBe('slug');
    const scorer = await owner.post('/identity-providers', {
      name: 'Scorers',
      slug: 'scorers',
      issuer: idp.issuer,
      clientId: 'x',
      clientSecret: 'y',
      newUserAccessType: 'scorer',
    });
    expect(scorer.body.error.fields[0].path).toBe('newUserAccessType');
    const twin = await owner.post('/identity-providers', {
      name: 'Twin',
      slug: 'acme',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: 'z',
    });
    expect(twin.status).toBe(409);
    expect(twin.body.error.code).toBe('SlugTaken');

    // A blank secret keeps the one stored; a new one replaces it and is audited as a fact only.
    const renamed = await owner.patch(`/identity-providers/${provider.id}`, { name: 'Acme SSO', clientSecret: '' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Acme SSO');
    const stored = await h.db
      .selectFrom('identity_providers')
      .select('client_secret')
      .where('id', '=', provider.id)
      .executeTakeFirstOrThrow();
    expect(stored.client_secret).toBe(idp.clientSecret);
    expect((await owner.patch(`/identity-providers/${provider.id}`, { clientSecret: 'another-secret' })).status).toBe(
      200,
    );
    const audit = await owner.get('/audit?limit=20');
    const actions = audit.body.items.map((event: { action: string }) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['identity_provider.create', 'identity_provider.update']));
    expect(audit.text).not.toContain(idp.clientSecret);
    expect(audit.text).not.toContain('another-secret');
    expect(audit.text).toContain('clientSecretChanged');

    // Only admins who manage sign-in security see or change providers.
    const standard = await h.buildUser(owner, { accessType: 'standard', password: PASSWORD });
    const member = await h.signIn((await owner.get('/session')).body.account.slug, standard.username, PASSWORD);
    expect((await member.get('/identity-providers')).status).toBe(403);

    const removed = await owner.del(`/identity-providers/${provider.id}`);
    expect(removed.status).toBe(204);
    expect((await owner.get('/identity-providers')).body.items).toEqual([]);
    expect((await owner.del(`/identity-providers/${provider.id}`)).status).toBe(404);
    const afterDelete = await owner.get('/audit?limit=50');
    expect(afterDelete.body.items.map((event: { action: string }) => event.action)).toContain(
      'identity_provider.delete',
    );
    expect(afterDelete.text).not.toContain(idp.clientSecret);
    expect(afterDelete.text).not.toContain('another-secret');
  });

  it('offers the enabled providers of the account on the sign-in page', async () => {
    const { slug, owner, provider } = await setup();
    const config = await h.raw('GET', `/auth/config?account=${slug}`);
    expect(config.body.providers).toEqual([{ slug: 'acme', name: 'Acme Login' }]);
    await owner.patch(`/identity-providers/${provider.id}`, { enabled: false });
    expect((await h.raw('GET', `/auth/config?account=${slug}`)).body.providers).toEqual([]);
    // A disabled provider cannot be started either.
    const start = await h.app.request(`/api/v1/auth/sso/acme/start?account=${slug}`);
    expect(refusal(start.headers.get('location') ?? '')).toBe('UnknownProvider');
  });

  it('signs in the user bound to the subject, as password sign-in does', async () => {
    const { slug, owner, provider, accountId } = await setup();
    const user = await h.buildUser(owner, { accessType: 'standard' });
    const p = person({ email: 'someone-else@example.com', email_verified: true });
    await bind(provider.id, p.sub, user.id);

    const start = await h.app.request(`/api/v1/auth/sso/acme/start?account=${slug}`);
    const to = new URL(start.headers.get('location') ?? '');
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('redirect_uri')).toBe(CALLBACK);
    // Only a hash of the state is stored.
    const flows = await h.db.selectFrom('sso_flows').selectAll().where('provider_id', '=', provider.id).execute();
    expect(flows.map((flow) => flow.state_hash)).not.toContain(to.searchParams.get('state'));

    const back = await finish(await walkProvider(to.href, p.sub, CALLBACK));
    expect(back.location).toBe('/');
    const session = await sessionOf(back.cookie);
    expect(session.status).toBe(200);
    expect(session.body.user.id).toBe(user.id);
    expect(session.body.user.status).toBe('active');
    const row = await h.db
      .selectFrom('sessions')
      .select('method')
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.method).toBe('sso');
    const signIns = await h.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('action', '=', 'auth.sign_in')
      .where('target_id', '=', String(user.id))
      .execute();
    expect(signIns.map((event) => JSON.parse(event.after_json ?? '{}').method)).toEqual(['sso']);
  });

  it('refuses a subject bound to no user, and the replayed or unknown callbacks', async () => {
    const { slug, owner, provider } = await setup();
    const stranger = person({ email: 'stranger@example.com', email_verified: true });
    const refused = await signInThrough(slug, stranger.sub);
    expect(refusal(refused.location)).toBe('NotLinked');
    expect(new URL(refused.location, 'http://localhost').searchParams.get('account')).toBe(slug);
    expect(refused.cookie).toBe('');

    const user = await h.buildUser(owner);
    const p = person();
    await bind(provider.id, p.sub, user.id);
    const first = await signInThrough(slug, p.sub);
    expect(first.location).toBe('/');
    // The same callback again: the flow was taken, so the state is unknown now.
    const replay = await finish(first.callback as URL);
    expect(refusal(replay.location)).toBe('FlowExpired');
    expect(replay.cookie).toBe('');
    const forged = new URL(first.callback as URL);
    forged.searchParams.set('state', 'made-up-state');
    expect(refusal((await finish(forged)).location)).toBe('FlowExpired');
    const bare = await h.app.request('/api/v1/auth/sso/callback');
    expect(refusal(bare.headers.get('location') ?? '')).toBe('FlowExpired');
    // The provider's own error text is never passed on.
    const start = await h.app.request(`/api/v1/auth/sso/acme/start?account=${slug}`);
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const denied = await h.app.request(
      `/api/v1/auth/sso/callback?state=${state}&error=access_denied&error_description=%3Cscript%3Ealert(1)%3C/script%3E`,
    );
    const deniedAt = denied.headers.get('location') ?? '';
    expect(refusal(deniedAt)).toBe('ProviderRefused');
    expect(deniedAt).not.toMatch(/script|alert/);
    // A flow older than ten minutes is refused.
    const late = await h.app.request(`/api/v1/auth/sso/acme/start?account=${slug}`);
    h.clock.advance(11 * 60_000);
    const lateBack = await finish(await walkProvider(late.headers.get('location') ?? '', p.sub, CALLBACK));
    expect(refusal(lateBack.location)).toBe('FlowExpired');
  });

  it('links by email only when the provider allows it and says the email is verified', async () => {
    const { slug, owner, provider } = await setup();
    const user = await h.buildUser(owner, { email: 'grace@example.com' });
    const verified = person({ email: 'Grace@Example.com', email_verified: true });
    // Not allowed by the provider's settings: no link.
    expect(refusal((await signInThrough(slug, verified.sub)).location)).toBe('NotLinked');

    await owner.patch(`/identity-providers/${provider.id}`, { linkVerifiedEmail: true });
    // An unverified email never picks a user, even when linking is allowed.
    const unverified = person({ email: 'grace@example.com', email_verified: false });
    expect(refusal((await signInThrough(slug, unverified.sub)).location)).toBe('NotLinked');
    // Nor does a username claim alone.
    const byName = person({ preferred_username: user.username });
    expect(refusal((await signInThrough(slug, byName.sub)).location)).toBe('NotLinked');

    const linked = await signInThrough(slug, verified.sub);
    expect(linked.location).toBe('/');
    expect((await sessionOf(linked.cookie)).body.user.id).toBe(user.id);
    const identities = await owner.get(`/users/${user.id}/identities`);
    expect(identities.body.items).toEqual([
      expect.objectContaining({ providerId: provider.id, providerName: 'Acme Login', subject: verified.sub }),
    ]);
    // Bound now: a changed email at the provider still signs in the same user.
    idp.people.set(verified.sub, { ...verified, email: 'changed@example.com', email_verified: false });
    expect((await sessionOf((await signInThrough(slug, verified.sub)).cookie)).body.user.id).toBe(user.id);

    const unlinked = await owner.del(`/users/${user.id}/identities/${provider.id}`);
    expect(unlinked.status).toBe(204);
    expect((await owner.get(`/users/${user.id}/identities`)).body.items).toEqual([]);
    expect((await owner.del(`/users/${user.id}/identities/${provider.id}`)).status).toBe(404);
    const audit = await owner.get('/audit?limit=50');
    const actions = audit.body.items.map((event: { action: string }) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['user.identity_link', 'user.identity_unlink']));
    // Unlinked, with an email no longer verified: refused again.
    expect(refusal((await signInThrough(slug, verified.sub)).location)).toBe('NotLinked');
  });

  it('creates a user at first sign-in only when the provider allows it, with the access type chosen', async () => {
    const { slug, owner, provider } = await setup({ usernameClaim: 'preferred_username' });
    const newcomer = person({
      preferred_username: `New.Comer${people}`,
      email: `newcomer${people}@example.com`,
      email_verified: true,
    });
    expect(refusal((await signInThrough(slug, newcomer.sub)).location)).toBe('NotLinked');

    await owner.patch(`/identity-providers/${provider.id}`, { createUsers: true, newUserAccessType: 'read_only' });
    const created = await signInThrough(slug, newcomer.sub);
    expect(created.location).toBe('/');
    const me = (await sessionOf(created.cookie)).body.user;
    expect(me).toMatchObject({
      username: newcomer.preferred_username?.toLowerCase(),
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: newcomer.email,
      emailVerified: true,
      accessType: 'read_only',
      authMethod: 'sso',
    });
    // The second sign-in finds the bound user; no second user is made.
    const again = await signInThrough(slug, newcomer.sub);
    expect((await sessionOf(again.cookie)).body.user.id).toBe(me.id);
    const audit = await owner.get('/audit?limit=50');
    const creation = audit.body.items.find(
      (event: { action: string; target: { id: string } }) =>
        event.action === 'user.create' && event.target.id === String(me.id),
    );
    expect(creation.actor.username).toBe('sso:acme');

    // A username already taken by someone else is never taken over.
    const existing = await h.buildUser(owner);
    const impostor = person({ preferred_username: existing.username, email: 'imp@example.com' });
    expect(refusal((await signInThrough(slug, impostor.sub)).location)).toBe('UsernameTaken');
    // No username claim at all: nothing is made up.
    const nameless = person({ email: 'nameless@example.com', email_verified: true });
    expect(refusal((await signInThrough(slug, nameless.sub)).location)).toBe('UserNotCreated');
  });

  it('refuses disabled, expired and not yet valid users; an sso user has no password sign-in', async () => {
    const { slug, owner, provider } = await setup();
    const user = await h.buildUser(owner, { password: PASSWORD });
    const p = person();
    await bind(provider.id, p.sub, user.id);
    await owner.patch(`/users/${user.id}`, { enabled: false });
    expect(refusal((await signInThrough(slug, p.sub)).location)).toBe('UserDisabled');
    await owner.patch(`/users/${user.id}`, { enabled: true, expiresAt: '2026-05-01T00:00:00Z' });
    expect(refusal((await signInThrough(slug, p.sub)).location)).toBe('Expired');
    await owner.patch(`/users/${user.id}`, { expiresAt: null, validFrom: '2027-01-01T00:00:00Z' });
    expect(refusal((await signInThrough(slug, p.sub)).location)).toBe('NotYetValid');
    await owner.patch(`/users/${user.id}`, { validFrom: null });

    // A password user may also sign in through a bound identity; once their method is sso, only that way.
    expect(
      (await h.raw('POST', '/auth/sign-in', { account: slug, username: user.username, password: PASSWORD })).status,
    ).toBe(200);
    await owner.patch(`/users/${user.id}`, { authMethod: 'sso' });
    const password = await h.raw('POST', '/auth/sign-in', {
      account: slug,
      username: user.username,
      password: PASSWORD,
    });
    expect(password.status).toBe(403);
    expect(password.body.error.code).toBe('SingleSignOnOnly');
    expect((await signInThrough(slug, p.sub)).location).toBe('/');
  });

  it('limits the single sign-on requests of one client address', async () => {
    const { slug } = await setup();
    const limit = h.ctx.config.signInAddressLimit * 4;
    const from = { 'x-forwarded-for': `10.9.8.${dialect === 'sqlite' ? 1 : 2}` };
    for (let i = 0; i < limit; i++) {
      const reply = await h.app.request(`/api/v1/auth/sso/nope/start?account=${slug}`, { headers: from });
      expect(reply.status).toBe(302);
    }
    const over = await h.app.request(`/api/v1/auth/sso/callback?state=x`, { headers: from });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not held back.
    const other = await h.app.request(`/api/v1/auth/sso/nope/start?account=${slug}`, {
      headers: { 'x-forwarded-for': '10.9.9.9' },
    });
    expect(other.status).toBe(302);
  });
});
