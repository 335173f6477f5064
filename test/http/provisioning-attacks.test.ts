// The provisioning surface (SCIM 2.0, its tokens, If-Match) attacked the way a hostile client would: other accounts'
// ids, hostile filters and parameters, the owner, half-written changes, tokens used where they do not belong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ROSTER = 'urn:roster:params:scim:schemas:extension:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Scim {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are read loosely.
  body: any;
  text: string;
}

describe.each(DIALECTS)('provisioning under attack (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  async function client() {
    const account = await h.newAccount();
    const created = await account.owner.post('/scim-tokens', { name: 'IdP' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
      if (body !== undefined) {
        (init.headers as Record<string, string>)['content-type'] = 'application/scim+json';
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const response = await h.app.request(`/scim/v2${path}`, init);
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null, text } as Scim;
    };
    return { ...account, token, call };
  }
  const ops = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
  const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

  it('never answers 500 to a filter holding a NUL character (a JSON escape the query guard cannot see)', async () => {
    const { call } = await client();
    for (const filter of [
      'userName eq "a\\u0000b"',
      'emails co "ab\\u0000cd"',
      'externalId sw "\\u0000"',
      'title eq "\\u0000"',
    ]) {
      const listed = await call('GET', `/Users?${q(filter)}`);
      expect(listed.status, `${filter}: ${listed.text}`).toBe(400);
      expect(listed.body.scimType).toBe('invalidFilter');
      const searched = await call('POST', '/Users/.search', { filter });
      expect(searched.status, `.search ${filter}: ${searched.text}`).toBe(400);
    }
    const groups = await call('GET', `/Groups?${q('displayName eq "x\\u0000"')}`);
    expect(groups.status, groups.text).toBe(400);
    const group = await call('POST', '/Groups', { schemas: [], displayName: 'Nul' });
    expect(group.status).toBe(201);
    const removed = await call(
      'PATCH',
      `/Groups/${group.body.id}`,
      ops({ op: 'remove', path: 'members[type eq "\\u0000"]' }),
    );
    expect(removed.status, removed.text).toBe(400);
  });

  it('answers every hostile list parameter, id and PATCH path with a 4xx or a page, never a 500', async () => {
    const { call } = await client();
    const made = await call('POST', '/Users', { schemas: [USER], userName: 'probe@example.com' });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const queries = [
      q('id eq 99999999999999999999'),
      q('id gt -1e400'),
      q('manager eq "1 or 1=1"'),
      q(`userName eq "x' or '1'='1"`),
      q('userName co "%_\\\\"'),
      q('meta.lastModified gt "+275760-09-14T00:00:00Z"'),
      q('meta.created gt "2026-13-45"'),
      q('groups[value eq "1" or display co "a"]'),
      q('emails[value co "a" and emails[value co "b"]]'),
      q('not(not(not(userName pr)))'),
      q(`${'('.repeat(200)}userName pr${')'.repeat(200)}`),
      q(Array.from({ length: 300 }, (_, i) => `userName eq "u${i}"`).join(' or ')),
      q('userName eq "😀\\ud800"'),
      q('urn:unknown:schema:userName eq "a"'),
      q('active gt true'),
      'sortBy=password',
      'sortBy=emails[type eq "work"].value',
      'sortBy=a.b.c',
      'sortBy=groups',
      'attributes=__proto__,constructor.prototype',
      'excludedAttributes=urn:ietf:params:scim:schemas:core:2.0:User:__proto__',
      'attributes=a.b.c.d',
      'startIndex=-999999999&count=-5',
      'startIndex=999999999&count=999999999',
      'startIndex=1e3',
      'count=99999999999999999999',
      'startIndex=0x10',
    ];
    for (const query of queries) {
      const users = await call('GET', `/Users?${query}`);
      expect(users.status, `Users ${query}: ${users.text}`).toBeLessThan(500);
      const groups = await call('GET', `/Groups?${query}`);
      expect(groups.status, `Groups ${query}: ${groups.text}`).toBeLessThan(500);
    }
    for (const path of ['/Users/99999999999999999999', '/Users/-1', '/Users/1.5', '/Users/%00', '/Groups/1e3']) {
      const got = await call('GET', path);
      expect(got.status, `${path}: ${got.text}`).toBe(404);
    }
    for (const path of [
      'emails[type eq "work"].value.extra',
      'emails[type eq "work"',
      'name.__proto__',
      '__proto__',
      'urn:ietf:params:scim:schemas:core:2.0:User:constructor',
      `${ENTERPRISE}:manager.value.x`,
      'members[value eq "1"]',
      '',
    ]) {
      const patched = await call('PATCH', `/Users/${id}`, ops({ op: 'replace', path, value: 'x' }));
      expect(patched.status, `path ${path}: ${patched.text}`).toBeGreaterThanOrEqual(400);
      expect(patched.status, `path ${path}: ${patched.text}`).toBeLessThan(500);
    }
    const proto = await call('PATCH', `/Users/${id}`, ops({ op: 'add', value: { __proto__: { x: 1 }, title: 'T' } }));
    expect(proto.status, proto.text).toBeLessThan(500);
  });

  it('keeps a client in its own account: ids, managers, members and filters of another account', async () => {
    const a = await client();
    const b = await client();
    const bUser = await b.call('POST', '/Users', { schemas: [USER], userName: 'victim@example.com' });
    const bGroup = await b.call('POST', '/Groups', {
      schemas: [],
      displayName: 'B team',
      members: [{ value: bUser.body.id }],
    });
    expect(bGroup.status).toBe(201);
    const aUser = await a.call('POST', '/Users', { schemas: [USER], userName: 'mine@example.com' });
    const aGroup = await a.call('POST', '/Groups', { schemas: [], displayName: 'A team' });

    expect((await a.call('GET', `/Users/${bUser.body.id}`)).status).toBe(404);
    expect((await a.call('GET', `/Groups/${bGroup.body.id}`)).status).toBe(404);
    expect(
      (await a.call('PATCH', `/Users/${bUser.body.id}`, ops({ op: 'replace', path: 'active', value: false }))).status,
    ).toBe(404);
    expect((await a.call('DELETE', `/Groups/${bGroup.body.id}`)).status).toBe(404);
    for (const filter of [
      `id eq "${bUser.body.id}"`,
      `groups[value eq "${bGroup.body.id}"]`,
      `groups.value eq "${bGroup.body.id}"`,
      'userName eq "victim@example.com"',
    ]) {
      const found = await a.call('GET', `/Users?${q(filter)}`);
      expect(found.body.totalResults, filter).toBe(0);
    }
    const groups = await a.call('GET', `/Groups?${q(`members[value eq "${bUser.body.id}"]`)}`);
    expect(groups.body.totalResults).toBe(0);

    const asManager = await a.call(
      'PATCH',
      `/Users/${aUser.body.id}`,
      ops({ op: 'replace', path: `${ENTERPRISE}:manager`, value: bUser.body.id }),
    );
    expect(asManager.status).toBe(400);
    const addForeign = await a.call(
      'PATCH',
      `/Groups/${aGroup.body.id}`,
      ops({ op: 'add', path: 'members', value: [{ value: bUser.body.id }] }),
    );
    expect(addForeign.status).toBe(400);
    const removeForeign = await a.call(
      'PATCH',
      `/Groups/${aGroup.body.id}`,
      ops({ op: 'remove', path: 'members', value: [{ value: bUser.body.id }] }),
    );
    expect(removeForeign.status).toBeLessThan(500);
    const still = await b.call('GET', `/Groups/${bGroup.body.id}`);
    expect(still.body.members.map((m: { value: string }) => m.value)).toEqual([bUser.body.id]);
  });

  it('keeps the owner out of reach and keeps Roster-only fields out of the client’s hands', async () => {
    const { call } = await client();
    const found = await call('GET', `/Users?${q('userName eq "owner"')}`);
    expect(found.body.totalResults).toBe(1);
    const id = found.body.Resources[0].id as string;
    const stored = await h.db
      .selectFrom('users')
      .select(['is_owner'])
      .where('id', '=', Number(id))
      .executeTakeFirstOrThrow();
    expect(stored.is_owner).toBe(1);
    for (const operation of [
      { op: 'replace', path: 'active', value: 'False' },
      { op: 'replace', path: 'password', value: 'Hijacked-pass-2026!' },
      { op: 'replace', path: `${ROSTER}:accessType`, value: 'standard' },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'attacker@example.com' },
    ]) {
      const patched = await call('PATCH', `/Users/${id}`, ops(operation));
      expect(patched.status, JSON.stringify(operation)).toBe(403);
    }
    expect([403, 409]).toContain((await call('DELETE', `/Users/${id}`)).status);
    const reread = await call('GET', `/Users/${id}`);
    expect(reread.body.active).toBe(true);
    expect(reread.body[ROSTER].accessType).toBe('admin');

    const made = await call('POST', '/Users', {
      schemas: [USER, ROSTER],
      userName: 'sneaky@example.com',
      [ROSTER]: { source: 'console', syncEnabled: false, isOwner: true },
      isOwner: true,
    });
    expect(made.status).toBe(201);
    expect(made.body[ROSTER]).toMatchObject({ source: 'scim', syncEnabled: true });
    const row = await h.db
      .selectFrom('users')
      .select(['is_owner'])
      .where('id', '=', Number(made.body.id))
      .executeTakeFirstOrThrow();
    expect(row.is_owner).toBe(0);
  });

  it('never hands out a password, its hash or a token: SCIM answers, the events outbox, the audit log', async () => {
    const { call, token, accountId } = await client();
    const made = await call('POST', '/Users', { schemas: [USER], userName: 'secret@example.com', password: PASSWORD });
    expect(made.status, made.text).toBe(201);
    const changed = await call(
      'PATCH',
      `/Users/${made.body.id}`,
      ops({ op: 'replace', path: 'password', value: 'Second-pass-2026!' }),
    );
    expect(changed.status, changed.text).toBe(200);
    const { password_hash } = await h.db
      .selectFrom('user_credentials')
      .select('password_hash')
      .where('user_id', '=', Number(made.body.id))
      .executeTakeFirstOrThrow();
    const tokenRow = await h.db
      .selectFrom('scim_tokens')
      .select('token_hash')
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    const seen = [
      made.text,
      changed.text,
      (await call('GET', `/Users/${made.body.id}`)).text,
      (await call('GET', `/Users?${q('userName eq "secret@example.com"')}&attributes=password`)).text,
      JSON.stringify(await h.db.selectFrom('events').selectAll().where('account_id', '=', accountId).execute()),
      JSON.stringify(await h.db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId).execute()),
    ].join('\n');
    for (const secret of [PASSWORD, 'Second-pass-2026!', password_hash as string, token, tokenRow.token_hash]) {
      expect(seen.includes(secret), secret.slice(0, 8)).toBe(false);
    }
  });

  it('lets one of two writers holding the same version win, and refuses the other with 412', async () => {
    const { call, owner } = await client();
    const group = await call('POST', '/Groups', { schemas: [], displayName: 'Race' });
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'race@example.com' });
    const groupTag = (await call('GET', `/Groups/${group.body.id}`)).body.meta.version as string;
    const userTag = (await call('GET', `/Users/${user.body.id}`)).body.meta.version as string;
    const rename = (name: string) =>
      call('PATCH', `/Groups/${group.body.id}`, ops({ op: 'replace', path: 'displayName', value: name }), {
        'if-match': groupTag,
      });
    const groups = await Promise.all([rename('Race one'), rename('Race two')]);
    expect(groups.map((r) => r.status).sort()).toEqual([200, 412]);
    const retitle = (title: string) =>
      call('PATCH', `/Users/${user.body.id}`, ops({ op: 'replace', path: 'title', value: title }), {
        'if-match': userTag,
      });
    const users = await Promise.all([retitle('One'), retitle('Two')]);
    expect(users.map((r) => r.status).sort()).toEqual([200, 412]);
    const api = await owner.get(`/users/${user.body.id}`);
    const tag = api.headers.get('etag') as string;
    const edit = (firstName: string, ifMatch: string) =>
      owner.request('PATCH', `/users/${user.body.id}`, { firstName }, { 'if-match': ifMatch });
    expect((await edit('Zed', '"not-the-tag", W/"other"')).status).toBe(412);
    const both = await Promise.all([edit('Ann', tag), edit('Bob', tag)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 412]);
  });

  it('sets no password when the rest of the same replace is refused (nothing half-written)', async () => {
    const { call, slug } = await client();
    const other = await call('POST', '/Users', {
      schemas: [USER, ROSTER],
      userName: 'holder@example.com',
      [ROSTER]: { agentId: 'AG-1' },
    });
    expect(other.status).toBe(201);
    const made = await call('POST', '/Users', {
      schemas: [USER],
      userName: 'target@example.com',
      emails: [{ value: 'target@example.com', primary: true }],
      password: PASSWORD,
    });
    expect(made.status, made.text).toBe(201);
    const replaced = await call('PUT', `/Users/${made.body.id}`, {
      schemas: [USER, ROSTER],
      userName: 'target@example.com',
      emails: [{ value: 'target@example.com', primary: true }],
      password: 'Another-pass-2026!',
      [ROSTER]: { agentId: 'AG-1' },
    });
    expect(replaced.status, replaced.text).toBe(409);
    const stored = await h.db
      .selectFrom('user_credentials')
      .select(['updated_at'])
      .where('user_id', '=', Number(made.body.id))
      .executeTakeFirstOrThrow();
    const before = await h.db
      .selectFrom('users')
      .select(['created_at'])
      .where('id', '=', Number(made.body.id))
      .executeTakeFirstOrThrow();
    // The only password is the one of the create: signing in with it still works, the refused one does not.
    expect(String(stored.updated_at)).toBe(String(before.created_at));
    await expect(h.signIn(slug, 'target@example.com', 'Another-pass-2026!')).rejects.toThrow();
  });

  it('holds SCIM passwords to the account policy and gives single sign-on users none', async () => {
    const { call } = await client();
    const weak = await call('POST', '/Users', { schemas: [USER], userName: 'weak@example.com', password: 'a' });
    expect(weak.status, weak.text).toBe(400);
    expect(weak.body.scimType).toBe('invalidValue');
    const user = await call('POST', '/Users', { schemas: [USER], userName: 'weak2@example.com' });
    const weakPatch = await call(
      'PATCH',
      `/Users/${user.body.id}`,
      ops({ op: 'replace', path: 'password', value: '1' }),
    );
    expect(weakPatch.status, weakPatch.text).toBe(400);
    const sso = await call('POST', '/Users', {
      schemas: [USER, ROSTER],
      userName: 'sso@example.com',
      [ROSTER]: { authMethod: 'sso' },
    });
    expect(sso.status, sso.text).toBe(201);
    const withPassword = await call(
      'PATCH',
      `/Users/${sso.body.id}`,
      ops({ op: 'add', path: 'password', value: 'Sso-user-pass-2026!' }),
    );
    expect(withPassword.status, withPassword.text).toBe(400);
    const credentials = await h.db
      .selectFrom('user_credentials')
      .select('user_id')
      .where('user_id', '=', Number(sso.body.id))
      .execute();
    expect(credentials).toHaveLength(0);
  });

  it('refuses webhook addresses that reach loopback through IPv6 forms of IPv4', async () => {
    const { owner } = await h.newAccount();
    for (const url of [
      'https://[::127.0.0.1]/hook',
      'https://[::a9fe:a9fe]/latest/meta-data',
      'https://[::ffff:0:7f00:1]/hook',
      'https://[64:ff9b:1::a00:1]/hook',
      'https://[2002:c0a8:101::1]/hook',
      'https://0x7f.1/hook',
      'https://2130706433/hook',
      'https://[::ffff:a9fe:a9fe]/hook',
    ]) {
      const reply = await owner.post('/webhooks', { url, eventTypes: ['user.created'] });
      expect(reply.status, url).toBe(400);
    }
  });

  it('keeps SCIM tokens and application keys apart, and slows down a stranger guessing tokens', async () => {
    const { token, owner } = await client();
    const onApi = await h.app.request('/api/v1/users', { headers: { authorization: `Bearer ${token}` } });
    expect(onApi.status).toBe(401);
    const key = (await owner.post('/api-keys', { name: 'App' })).body.key as string;
    const onScim = await h.app.request('/scim/v2/Users', { headers: { authorization: `Bearer ${key}` } });
    expect(onScim.status).toBe(401);
    const revokedId = (await owner.get('/scim-tokens')).body;
    const id = (Array.isArray(revokedId) ? revokedId : revokedId.items)[0].id;
    expect((await owner.del(`/scim-tokens/${id}`)).status).toBe(204);
    const afterRevoke = await h.app.request('/scim/v2/Users', { headers: { authorization: `Bearer ${token}` } });
    expect(afterRevoke.status).toBe(401);
    let last = 0;
    for (let i = 0; i < 40; i++) {
      const guess = await h.app.request('/scim/v2/Users', {
        headers: { authorization: `Bearer rscim_${'A'.repeat(43)}${i}`, 'x-forwarded-for': '203.0.113.9' },
      });
      last = guess.status;
    }
    expect(last).toBe(429);
  });

  it('serves identity providers with their tokens while their address is slowed down for wrong ones', async () => {
    // A new window: the guesses of the test before are forgotten. (Every request here comes from one address.)
    h.clock.advance(11 * 60_000);
    const idp = await client();
    expect((await idp.call('GET', '/Users?count=1')).status).toBe(200);
    const guess = (i: number) =>
      h.app.request('/scim/v2/Users', { headers: { authorization: `Bearer rscim_${'B'.repeat(43)}${i}` } });
    let last = 0;
    for (let i = 0; i < 40; i++) last = (await guess(i)).status;
    expect(last).toBe(429);
    // Past the few seconds a process remembers a token, and a token never used before: both looked up, both served.
    h.clock.advance(6_000);
    expect((await idp.call('GET', '/Users?count=1')).status).toBe(200);
    const other = await client();
    expect((await other.call('GET', '/Users?count=1')).status).toBe(200);
    expect((await guess(99)).status).toBe(429);
    // A revoked token is a wrong one.
    const tokens = (await other.owner.get('/scim-tokens')).body;
    const id = (Array.isArray(tokens) ? tokens : tokens.items)[0].id;
    expect((await other.owner.del(`/scim-tokens/${id}`)).status).toBe(204);
    expect((await other.call('GET', '/Users?count=1')).status).toBe(429);
  });
});
