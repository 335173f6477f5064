// SCIM tokens: the owner and admins without a profile create them (shown once), list them by hint and revoke them; a
// token authenticates as its own account only, stops working the moment it is revoked, and never reaches the audit
// log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';

describe.each(DIALECTS)('SCIM tokens (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('creates a token shown once, lists it by hint only, and revokes it', async () => {
    const { owner, accountId } = await h.newAccount();
    const created = await owner.post('/scim-tokens', { name: 'Entra ID' });
    expect(created.status).toBe(201);
    const { token, id } = created.body;
    expect(token).toMatch(/^rscim_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'Entra ID', hint: `rscim_…${token.slice(-4)}`, lastUsedAt: null });
    expect(typeof created.body.createdAt).toBe('string');

    const list = await owner.get('/scim-tokens');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(token.slice(6));
    expect(list.body.baseUrl).toMatch(/^https?:\/\/[^/]+\/scim\/v2$/);
    expect(list.body.items).toEqual([
      { id, name: 'Entra ID', hint: `rscim_…${token.slice(-4)}`, createdAt: created.body.createdAt, lastUsedAt: null },
    ]);
    const stored = await h.db.selectFrom('scim_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.account_id).toBe(accountId);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(token.slice(6));

    expect((await owner.del(`/scim-tokens/${id}`)).status).toBe(204);
    expect((await owner.get('/scim-tokens')).body.items).toEqual([]);
    const again = await owner.del(`/scim-tokens/${id}`);
    expect([again.status, again.body.error.code]).toEqual([404, 'NotFound']);
    const blank = await owner.post('/scim-tokens', { name: '  ' });
    expect([blank.status, blank.body.error.fields[0].path]).toEqual([400, 'name']);
  });

  it('is for admins who manage every user only', async () => {
    const { owner, slug } = await h.newAccount();
    await owner.post('/departments', { name: 'Sales' });
    const sales = await owner.post('/profiles', {
      name: 'Sales only',
      modules: { users: { access: 'some', items: ['Sales'] } },
    });
    const standardUser = await h.buildUser(owner, { accessType: 'standard', password: PASSWORD });
    const limitedUser = await h.buildUser(owner, {
      accessType: 'admin',
      department: 'Sales',
      profileId: sales.body.id,
      password: PASSWORD,
    });
    const adminUser = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const existing = (await owner.post('/scim-tokens', { name: 'Okta' })).body;

    const standard = await h.signIn(slug, standardUser.username, PASSWORD);
    const limited = await h.signIn(slug, limitedUser.username, PASSWORD);
    for (const client of [standard, limited]) {
      for (const reply of [
        await client.get('/scim-tokens'),
        await client.post('/scim-tokens', { name: 'Mine' }),
        await client.del(`/scim-tokens/${existing.id}`),
      ]) {
        expect([reply.status, reply.body.error.code]).toEqual([403, 'Forbidden']);
      }
      expect((await client.get('/session')).body.abilities.manageProvisioning).toBe(false);
    }
    const admin = await h.signIn(slug, adminUser.username, PASSWORD);
    expect((await admin.get('/session')).body.abilities.manageProvisioning).toBe(true);
    expect((await admin.get('/scim-tokens')).body.items.map((t: { id: number }) => t.id)).toEqual([existing.id]);
    expect((await owner.get('/scim-tokens')).body.items).toHaveLength(1);
    // An application key is no way in either.
    const key = (await owner.post('/api-keys', { name: 'App' })).body.key;
    const byKey = await h.raw('GET', '/scim-tokens', undefined, { authorization: `Bearer ${key}` });
    expect(byKey.status).toBe(403);
  });

  it('is not for an admin limited by a profile, even one who manages every user: a SCIM client makes admins', async () => {
    const { owner, slug } = await h.newAccount();
    const everyUser = await owner.post('/profiles', {
      name: 'Every user, few profiles',
      modules: { users: { access: 'all' }, profiles: { access: 'none' } },
    });
    const limitedUser = await h.buildUser(owner, {
      accessType: 'admin',
      profileId: everyUser.body.id,
      password: PASSWORD,
    });
    const limited = await h.signIn(slug, limitedUser.username, PASSWORD);
    const admin = {
      username: 'made.admin',
      firstName: 'Made',
      accessType: 'admin',
      password: 'Long-enough-passphrase-1',
    };
    // The limited admin may not make an admin (one without limits, wider than their own rights)...
    expect((await limited.post('/users', admin)).status).toBe(403);
    // ...nor a SCIM client, which acts as an admin without limits and would make one for them.
    expect((await limited.get('/session')).body.abilities.manageProvisioning).toBe(false);
    const token = await limited.post('/scim-tokens', { name: 'Mine' });
    expect(token.status, token.text).toBe(403);
    const existing = (await owner.post('/scim-tokens', { name: 'Okta' })).body;
    expect((await limited.get('/scim-tokens')).status).toBe(403);
    expect((await limited.del(`/scim-tokens/${existing.id}`)).status).toBe(403);
    const made = await h.db.selectFrom('users').select('id').where('username', '=', admin.username).execute();
    expect(made).toEqual([]);
  });

  it('authenticates a token as its own account only, and refuses it at once once revoked', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const tokenA = (await a.owner.post('/scim-tokens', { name: 'Entra ID' })).body;
    const tokenB = (await b.owner.post('/scim-tokens', { name: 'Okta' })).body;

    expect(await h.ctx.scimTokens.authenticate(tokenA.token)).toEqual({
      id: tokenA.id,
      accountId: a.accountId,
      name: 'Entra ID',
    });
    expect(await h.ctx.scimTokens.authenticate(tokenB.token)).toEqual({
      id: tokenB.id,
      accountId: b.accountId,
      name: 'Okta',
    });
    // Near misses, other kinds of secret and garbage are nobody.
    const last = tokenA.token.at(-1) === 'A' ? 'B' : 'A';
    for (const wrong of [
      `${tokenA.token.slice(0, -1)}${last}`,
      tokenA.token.slice(6),
      '',
      'rscim_',
      'x'.repeat(5000),
    ]) {
      expect(await h.ctx.scimTokens.authenticate(wrong)).toBeNull();
    }
    const key = (await a.owner.post('/api-keys', { name: 'App' })).body.key;
    expect(await h.ctx.scimTokens.authenticate(key)).toBeNull();
    expect(await h.ctx.apiKeys.authenticate(tokenA.token)).toBeNull();
    // Account B's admin neither sees nor revokes A's token.
    expect((await b.owner.get('/scim-tokens')).body.items.map((t: { id: number }) => t.id)).toEqual([tokenB.id]);
    expect((await b.owner.del(`/scim-tokens/${tokenA.id}`)).status).toBe(404);
    expect(await h.ctx.scimTokens.authenticate(tokenA.token)).not.toBeNull();

    // Just checked, so remembered: the revocation still takes effect at once.
    expect((await a.owner.del(`/scim-tokens/${tokenA.id}`)).status).toBe(204);
    expect(await h.ctx.scimTokens.authenticate(tokenA.token)).toBeNull();
    expect(await h.ctx.scimTokens.authenticate(tokenB.token)).not.toBeNull();
  });

  it('notes the last use at most once a minute', async () => {
    const { owner } = await h.newAccount();
    const { token, id } = (await owner.post('/scim-tokens', { name: 'JumpCloud' })).body;
    const lastUsed = async () =>
      (await owner.get('/scim-tokens')).body.items.find((t: { id: number }) => t.id === id).lastUsedAt;
    await h.ctx.scimTokens.authenticate(token);
    const first = await lastUsed();
    expect(first).toBe(h.clock.now().toISOString());
    h.clock.advance(30_000);
    await h.ctx.scimTokens.authenticate(token);
    expect(await lastUsed()).toBe(first);
    h.clock.advance(31_000);
    await h.ctx.scimTokens.authenticate(token);
    expect(await lastUsed()).toBe(h.clock.now().toISOString());
  });

  it('audits creation and revocation without the token', async () => {
    const { owner } = await h.newAccount();
    const { token, id } = (await owner.post('/scim-tokens', { name: 'OneLogin' })).body;
    await owner.del(`/scim-tokens/${id}`);
    const created = await owner.get('/audit?action=scim_token.create');
    const revoked = await owner.get('/audit?action=scim_token.revoke');
    expect(created.body.items).toHaveLength(1);
    expect(revoked.body.items).toHaveLength(1);
    expect(created.body.items[0]).toMatchObject({ action: 'scim_token.create' });
    expect(revoked.body.items[0]).toMatchObject({ action: 'scim_token.revoke' });
    expect(JSON.stringify([created.body, revoked.body])).toContain('OneLogin');
    const rows = await h.db.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token.slice(6));
    expect(created.text).not.toContain(token.slice(6));
  });

  it('gives the SCIM base URL under the public URL the operator set', async () => {
    const behindProxy = await createHarness(dialect, { publicUrl: 'https://roster.example.com/' });
    try {
      const { owner } = await behindProxy.newAccount();
      expect((await owner.get('/scim-tokens')).body.baseUrl).toBe('https://roster.example.com/scim/v2');
    } finally {
      await behindProxy.close();
    }
  });
});
