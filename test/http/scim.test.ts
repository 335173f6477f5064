// SCIM 2.0 driven the way Microsoft Entra ID and Okta drive it (request shapes from their public SCIM documents):
// discovery, users and groups, filters, PATCH with each provider's quirks, ETags, errors, accounts kept apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ROSTER = 'urn:roster:params:scim:schemas:extension:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Scim {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are read loosely.
  body: any;
  headers: Headers;
}

describe.each(DIALECTS)('SCIM 2.0 (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  /** A new account and a SCIM client of it. */
  async function client() {
    const account = await h.newAccount();
    const created = await account.owner.post('/scim-tokens', { name: 'Entra ID' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ): Promise<Scim> => {
      const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
      if (body !== undefined) {
        (init.headers as Record<string, string>)['content-type'] ??= 'application/scim+json';
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const response = await h.app.request(`/scim/v2${path}`, init);
      const text = await response.text();
      if (path !== '/Bulk') expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(500);
      return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
    };
    return { ...account, token, call };
  }

  const patchOps = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
  const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;

  // Microsoft's documented "create user" request (Entra ID provisioning, SCIM endpoint tutorial).
  const entraUser = (userName: string, externalId: string, email: string) => ({
    schemas: [USER, ENTERPRISE],
    externalId,
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: email }],
    meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    roles: [],
  });

  it('tells the truth about itself: service provider config, resource types, schemas', async () => {
    const { call } = await client();
    const config = await call('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toContain('application/scim+json');
    expect(config.body.patch.supported).toBe(true);
    expect(config.body.filter).toEqual({ supported: true, maxResults: 200 });
    expect(config.body.etag.supported).toBe(true);
    expect(config.body.bulk.supported).toBe(false);
    expect(config.body.authenticationSchemes[0].type).toBe('oauthbearertoken');
    const types = await call('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    const schemas = await call('GET', '/Schemas');
    const user = schemas.body.Resources.find((s: { id: string }) => s.id === USER);
    const userName = user.attributes.find((a: { name: string }) => a.name === 'userName');
    expect(userName).toMatchObject({ mutability: 'immutable', uniqueness: 'server', required: true });
    expect(
      (await call('GET', `/Schemas/${ENTERPRISE}`)).body.attributes.map((a: { name: string }) => a.name),
    ).toContain('manager');
    expect((await call('POST', '/Bulk', { schemas: [] })).status).toBe(501);
  });

  it('refuses requests without a valid token, and keeps accounts apart', async () => {
    const a = await client();
    const b = await client();
    const bare = await h.app.request('/scim/v2/Users');
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toContain('Bearer');
    expect((await bare.json()).schemas).toEqual([ERROR]);
    const wrong = await h.app.request('/scim/v2/Users', { headers: { authorization: 'Bearer rscim_nope' } });
    expect(wrong.status).toBe(401);
    const created = await a.call('POST', '/Users', entraUser('alice@contoso.com', 'ext-a', 'alice@contoso.com'));
    expect(created.status).toBe(201);
    expect((await b.call('GET', `/Users/${created.body.id}`)).status).toBe(404);
    expect((await b.call('GET', `/Users?${q('userName eq "alice@contoso.com"')}`)).body.totalResults).toBe(0);
    expect((await b.call('DELETE', `/Users/${created.body.id}`)).status).toBe(404);
  });

  it('creates, reads, finds and deletes a user as Entra ID does', async () => {
    const { call, owner } = await client();
    const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
    const none = await call('GET', `/Users?${q(`userName eq "${userName}"`)}`);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await call(
      'POST',
      '/Users',
      entraUser(userName, '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef', 'Test_User@testuser.com'),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(new RegExp(`/scim/v2/Users/${created.body.id}$`));
    expect(created.headers.get('etag')).toBe(created.body.meta.version);
    expect(created.body).toMatchObject({
      userName: userName.toLowerCase(),
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      active: true,
      name: { givenName: 'givenName', familyName: 'familyName', formatted: 'givenName familyName' },
      emails: [{ value: 'Test_User@testuser.com', type: 'work', primary: true }],
      meta: { resourceType: 'User' },
    });
    expect(created.body[ROSTER].source).toBe('scim');
    // Roster sees the user with source "scim".
    const roster = await owner.get(`/users/${created.body.id}`);
    expect(roster.body).toMatchObject({ source: 'scim', externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef' });
    // Entra ID looks users up by userName (any case) and by externalId.
    const byName = await call('GET', `/Users?${q(`userName eq "${userName.toUpperCase()}"`)}`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0].id).toBe(created.body.id);
    const byExternal = await call('GET', `/Users?${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`);
    expect(byExternal.body.totalResults).toBe(1);
    // externalId is case-exact.
    expect(
      (await call('GET', `/Users?${q('externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"')}`)).body.totalResults,
    ).toBe(0);
    const again = await call('POST', '/Users', entraUser(userName, 'other', 'x@testuser.com'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    expect((await call('DELETE', `/Users/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/Users/${created.body.id}`)).status).toBe(404);
    expect((await call('DELETE', `/Users/${created.body.id}`)).status).toBe(404);
  });

  it("applies Entra ID's PATCH requests, with each of its documented deviations", async () => {
    const { call } = await client();
    const manager = await call('POST', '/Users', entraUser('boss@contoso.com', 'ext-boss', 'boss@contoso.com'));
    const created = await call('POST', '/Users', {
      schemas: [USER],
      userName: 'jdoe@contoso.com',
      name: { givenName: 'John', familyName: 'Doe' },
      active: true,
    });
    const id = created.body.id;
    expect(created.body.emails).toBeUndefined();
    // Replace of emails[type eq "work"].value before any work email exists: the email is added.
    const patched = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 425 555 0100' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425 555 0199' },
        { op: 'Add', path: 'title', value: 'Agent' },
        { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: 'E-1001' },
        { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Ventas' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.body.id },
        { op: 'Add', path: 'preferredLanguage', value: 'pt-BR' },
        { op: 'Add', path: 'timezone', value: 'America/Sao_Paulo' },
      ),
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: { givenName: 'John', familyName: 'updatedFamilyName' },
      emails: [{ type: 'work', value: 'updatedEmail@microsoft.com' }],
      title: 'Agent',
      preferredLanguage: 'pt-BR',
      timezone: 'America/Sao_Paulo',
      [ENTERPRISE]: {
        employeeNumber: 'E-1001',
        department: 'Ventas',
        manager: { value: manager.body.id, displayName: 'givenName familyName' },
      },
    });
    // Roster dials the work phone; the mobile one is kept and returned.
    expect(patched.body.phoneNumbers).toEqual([
      { type: 'work', value: '+1 425 555 0100' },
      { type: 'mobile', value: '+1 425 555 0199' },
    ]);
    const row = await h.db.selectFrom('users').selectAll().where('id', '=', Number(id)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      phone: '+1 425 555 0100',
      email: 'updatedEmail@microsoft.com',
      manager_id: Number(manager.body.id),
    });
    // "active" as the string "False", op names in any case.
    const disabled = await call('PATCH', `/Users/${id}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }));
    expect(disabled.body.active).toBe(false);
    const enabled = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', value: { active: 'True' } }));
    expect(enabled.body.active).toBe(true);
    // No path, an object whose keys are dotted or schema-qualified.
    const flat = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({
        op: 'replace',
        value: {
          'name.givenName': 'Jane',
          [`${ENTERPRISE}:department`]: 'Soporte',
          displayName: 'Jane D',
          'urn:ietf:params:scim:schemas:core:2.0:User:title': 'Supervisor',
        },
      }),
    );
    expect(flat.body).toMatchObject({ name: { givenName: 'Jane' }, displayName: 'Jane D', title: 'Supervisor' });
    expect(flat.body[ENTERPRISE].department).toBe('Soporte');
    // The manager as {value}, then removed; an empty string clears the title.
    const other = await call('POST', '/Users', entraUser('boss2@contoso.com', 'ext-boss2', 'boss2@contoso.com'));
    const objectManager = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: other.body.id } }),
    );
    expect(objectManager.body[ENTERPRISE].manager.value).toBe(other.body.id);
    const cleared = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'Remove', path: `${ENTERPRISE}:manager` }, { op: 'Replace', path: 'title', value: '' }),
    );
    expect(cleared.body[ENTERPRISE].manager).toBeUndefined();
    expect(cleared.body.title).toBeUndefined();
    // A manager who is not a user of the account.
    const nobody = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'Add', path: `${ENTERPRISE}:manager`, value: '999999' }),
    );
    expect(nobody.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    // Removing the work email by filter; a filter that matches nothing is noTarget.
    const noEmail = await call('PATCH', `/Users/${id}`, patchOps({ op: 'remove', path: 'emails[type eq "work"]' }));
    expect(noEmail.body.emails).toBeUndefined();
    const noTarget = await call('PATCH', `/Users/${id}`, patchOps({ op: 'remove', path: 'emails[type eq "home"]' }));
    expect(noTarget.body).toMatchObject({ status: '400', scimType: 'noTarget' });
  });

  it('keeps userName immutable, and names what is wrong', async () => {
    const { call } = await client();
    const created = await call('POST', '/Users', entraUser('keep@contoso.com', 'ext-keep', 'keep@contoso.com'));
    const id = created.body.id;
    const renamed = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'replace', path: 'userName', value: 'other@contoso.com' }),
    );
    expect(renamed.body).toMatchObject({ status: '400', scimType: 'mutability' });
    const put = await call('PUT', `/Users/${id}`, {
      ...entraUser('other@contoso.com', 'ext-keep', 'keep@contoso.com'),
    });
    expect(put.body.scimType).toBe('mutability');
    // The same userName in another case is the same value.
    const same = await call('PUT', `/Users/${id}`, entraUser('KEEP@contoso.com', 'ext-keep', 'keep@contoso.com'));
    expect(same.status).toBe(200);
    const badEmail = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'replace', path: 'emails[type eq "work"].value', value: 'not an email' }),
    );
    expect(badEmail.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect(badEmail.body.detail).toContain('emails');
    const badZone = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'replace', path: 'timezone', value: 'Mars/Olympus' }),
    );
    expect(badZone.body.detail).toContain('timezone');
    const badPath = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'shoeSize', value: '44' }));
    expect(badPath.body).toMatchObject({ status: '400', scimType: 'invalidPath' });
    const badOp = await call('PATCH', `/Users/${id}`, patchOps({ op: 'merge', path: 'title', value: 'x' }));
    expect(badOp.body.scimType).toBe('invalidSyntax');
    const readOnly = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'groups', value: [] }));
    expect(readOnly.body.scimType).toBe('mutability');
    const noSchema = await call('PATCH', `/Users/${id}`, {
      Operations: [{ op: 'replace', path: 'title', value: 'x' }],
    });
    expect(noSchema.body.scimType).toBe('invalidSyntax');
    const notJson = await call('POST', '/Users', '{"userName":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.schemas).toEqual([ERROR]);
    const noUserName = await call('POST', '/Users', { schemas: [USER], name: { givenName: 'X' } });
    expect(noUserName.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    const badUserName = await call('POST', '/Users', { schemas: [USER], userName: 'has space' });
    expect(badUserName.body.detail).toContain('userName');
    // Okta repeats the id in a replace: the same id is no change, another one is refused.
    const okta = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', value: { id, active: false } }));
    expect(okta.body.active).toBe(false);
    const otherId = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', value: { id: '1', active: true } }));
    expect(otherId.body.scimType).toBe('mutability');
  });

  it('replaces a user with PUT as Okta does, password and Roster attributes included', async () => {
    const { call, slug } = await client();
    const body = {
      schemas: [USER, ENTERPRISE, ROSTER],
      userName: 'okta.user@example.com',
      name: { givenName: 'Okta', familyName: 'User' },
      emails: [{ primary: true, value: 'okta.user@example.com', type: 'work' }],
      displayName: 'Okta User',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: 'Longer-passphrase-2026!',
      active: true,
      [ROSTER]: { accessType: 'standard', licenses: ['call_recording'], agentId: 'A-77' },
    };
    const created = await call('POST', '/Users', body);
    expect(created.status).toBe(201);
    expect(created.body.password).toBeUndefined();
    expect(created.body[ROSTER]).toMatchObject({
      accessType: 'standard',
      licenses: ['call_recording'],
      agentId: 'A-77',
    });
    expect(created.body).toMatchObject({ locale: 'en-US', displayName: 'Okta User' });
    // The password the client set signs in.
    const signIn = await h.raw('POST', '/auth/sign-in', {
      account: slug,
      username: 'okta.user@example.com',
      password: body.password,
    });
    expect(signIn.status).toBe(200);
    // A replace without a phone, title or licenses clears them; the name and the access type change.
    const put = await call('PUT', `/Users/${created.body.id}`, {
      ...body,
      password: undefined,
      name: { givenName: 'Okta', familyName: 'Renamed' },
      [ROSTER]: { accessType: 'read_only', licenses: [] },
    });
    expect(put.status).toBe(200);
    expect(put.body.name.familyName).toBe('Renamed');
    expect(put.body[ROSTER]).toMatchObject({ accessType: 'read_only', licenses: [] });
    const weak = await call(
      'PATCH',
      `/Users/${created.body.id}`,
      patchOps({ op: 'replace', path: 'password', value: 'short' }),
    );
    expect(weak.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect(weak.body.detail).toContain('password');
  });

  it('filters with every operator, and/or/not, value filters and dates, as indexed queries', async () => {
    const { call } = await client();
    const people = [
      ['ana.souza', 'Ana', 'Souza', 'ana.souza@example.com', 'Ventas'],
      ['bjorn.odegard', 'Bjørn', 'Ødegård', 'bjorn@example.no', 'Soporte'],
      ['chen.wei', 'Wei', 'Chen', 'chen.wei@example.cn', 'Ventas'],
      ['dana.smith', 'Dana', 'Smith', 'dana@contoso.com', 'Soporte'],
    ];
    const ids: Record<string, string> = {};
    for (const [userName, givenName, familyName, email, department] of people) {
      const created = await call('POST', '/Users', {
        schemas: [USER, ENTERPRISE],
        userName,
        name: { givenName, familyName },
        emails: [{ value: email, type: 'work', primary: true }],
        title: userName === 'dana.smith' ? 'Supervisor' : undefined,
        [ENTERPRISE]: { department },
      });
      expect(created.status).toBe(201);
      ids[userName as string] = created.body.id;
    }
    h.clock.advance(60_000);
    const later = h.clock.now().toISOString();
    h.clock.advance(60_000);
    await call('PATCH', `/Users/${ids['dana.smith']}`, patchOps({ op: 'replace', path: 'active', value: false }));
    const names = async (filter: string, extra = '') => {
      const reply = await call('GET', `/Users?${q(filter)}${extra}`);
      expect(reply.status, `${filter}: ${JSON.stringify(reply.body)}`).toBe(200);
      return (reply.body.Resources as { userName: string }[])
        .map((r) => r.userName)
        .filter((n) => n !== 'owner')
        .sort();
    };
    expect(await names('userName eq "ANA.SOUZA"')).toEqual(['ana.souza']);
    expect(await names('userName ne "ana.souza" and userName ne "owner"')).toEqual([
      'bjorn.odegard',
      'chen.wei',
      'dana.smith',
    ]);
    expect(await names('userName co "N.W"')).toEqual(['chen.wei']);
    expect(await names('userName sw "b"')).toEqual(['bjorn.odegard']);
    expect(await names('userName ew "smith"')).toEqual(['dana.smith']);
    expect(await names('userName gt "chen.wei" and userName lt "owner"')).toEqual(['dana.smith']);
    expect(await names('userName ge "chen.wei" and userName le "dana.smith"')).toEqual(['chen.wei', 'dana.smith']);
    expect(await names('title pr')).toEqual(['dana.smith']);
    expect(await names('name.familyName eq "ødegård"')).toEqual(['bjorn.odegard']);
    // Substring tests go through the search index first: letters outside ASCII and short texts find the same users.
    expect(await names('name.familyName co "DEGÅ"')).toEqual(['bjorn.odegard']);
    expect(await names('name.givenName co "jø"')).toEqual(['bjorn.odegard']);
    expect(await names('emails co "EXAMPLE.NO"')).toEqual(['bjorn.odegard']);
    expect(await names('emails co "@example.c"')).toEqual(['chen.wei', 'ana.souza'].sort());
    expect(await names('emails[type eq "work" and value co "@example.com"]')).toEqual(['ana.souza']);
    expect(await names('emails.value ew ".no"')).toEqual(['bjorn.odegard']);
    expect(await names(`${ENTERPRISE}:department eq "ventas" and not (name.givenName sw "A")`)).toEqual(['chen.wei']);
    expect(await names('(userName sw "a" or userName sw "b") and active eq true')).toEqual([
      'ana.souza',
      'bjorn.odegard',
    ]);
    expect(await names('active eq false')).toEqual(['dana.smith']);
    expect(await names(`meta.lastModified gt "${later}"`)).toEqual(['dana.smith']);
    expect(await names(`id eq "${ids['chen.wei']}"`)).toEqual(['chen.wei']);
    expect(await names('id eq "not-a-number"')).toEqual([]);
    expect(await names('USERNAME EQ "dana.smith"')).toEqual(['dana.smith']);
    expect(await names(`${USER}:userName eq "dana.smith"`)).toEqual(['dana.smith']);
    // Pagination: exact totals, 1-based start, count.
    const page = await call('GET', `/Users?${q('userName ne "owner"')}&sortBy=userName&startIndex=2&count=2`);
    expect(page.body).toMatchObject({ totalResults: 4, startIndex: 2, itemsPerPage: 2 });
    expect(page.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(['bjorn.odegard', 'chen.wei']);
    // The last, shorter page and a page past the end answer the same total.
    const last = await call('GET', `/Users?${q('userName ne "owner"')}&sortBy=userName&startIndex=4&count=2`);
    expect(last.body).toMatchObject({ totalResults: 4, startIndex: 4, itemsPerPage: 1 });
    const past = await call('GET', `/Users?${q('userName ne "owner"')}&startIndex=9&count=2`);
    expect(past.body).toMatchObject({ totalResults: 4, itemsPerPage: 0 });
    const none = await call('GET', `/Users?${q('userName eq "nobody"')}`);
    expect(none.body).toMatchObject({ totalResults: 0, itemsPerPage: 0 });
    const descending = await call(
      'GET',
      `/Users?${q('userName ne "owner"')}&sortBy=name.familyName&sortOrder=descending&count=1`,
    );
    expect(descending.body.Resources[0].userName).toBe('bjorn.odegard');
    const onlyCount = await call('GET', '/Users?count=0');
    expect(onlyCount.body).toMatchObject({ totalResults: 5, Resources: [] });
    // attributes / excludedAttributes.
    const slim = await call(
      'GET',
      `/Users/${ids['ana.souza']}?attributes=userName,name.givenName,${ENTERPRISE}:department`,
    );
    expect(slim.body).toEqual({
      schemas: [USER, ENTERPRISE, ROSTER],
      id: ids['ana.souza'],
      userName: 'ana.souza',
      name: { givenName: 'Ana' },
      [ENTERPRISE]: { department: 'Ventas' },
    });
    const without = await call('GET', `/Users/${ids['ana.souza']}?excludedAttributes=emails,groups,${ROSTER}`);
    expect(without.body.emails).toBeUndefined();
    expect(without.body[ROSTER]).toBeUndefined();
    expect(without.body.userName).toBe('ana.souza');
    // Two characters of which one is outside the first plane: three UTF-16 units, and too short for the trigram index
    // to narrow by (its phrase would match nobody), so the filter tests the rows.
    const yoshida = await call('POST', '/Users', {
      schemas: [USER],
      userName: 'yoshida',
      name: { givenName: '太郎', familyName: '𠮷田' },
    });
    expect(yoshida.status).toBe(201);
    expect(await names('name.familyName co "𠮷田"')).toEqual(['yoshida']);
    expect(await names('name.familyName co "𠮷"')).toEqual(['yoshida']);
    // Refusals: 400 invalidFilter, never a 500.
    for (const bad of [
      'userName eq',
      'userName xx "a"',
      'nickName eq "x"',
      'active gt true',
      'meta.created gt "yesterday"',
      // Dates JavaScript reads but PostgreSQL's timestamps do not hold.
      'meta.lastModified gt "+100000-01-01T00:00:00Z"',
      'meta.lastModified lt "-000001-01-01T00:00:00Z"',
      'meta.created ge "0000-01-01T00:00:00Z"',
      '((((',
      'emails[type eq "work"',
    ]) {
      const reply = await call('GET', `/Users?${q(bad)}`);
      expect(reply.status, bad).toBe(400);
      expect(reply.body.scimType, bad).toBe('invalidFilter');
    }
    expect((await call('GET', '/Users?startIndex=abc')).body.scimType).toBe('invalidValue');
    expect((await call('GET', '/Users?sortBy=password')).status).toBe(400);
    // POST /Users/.search takes the same parameters in its body.
    const search = await call('POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName sw "c"',
      attributes: ['userName'],
    });
    expect(search.body.Resources).toEqual([
      { schemas: [USER, ENTERPRISE, ROSTER], id: ids['chen.wei'], userName: 'chen.wei' },
    ]);
  });

  it('answers email substring filters from the email index: exact totals, every page, in step with each change', async () => {
    const scim = await client();
    const other = await client();
    // Addresses as directories hold them: mixed case, punctuation LIKE would read as wildcards, letters outside ASCII.
    const locals = ['john.smith', 'Jo.Hansen', 'maria_garcia', 'ana%souza', "o'brien", 'jürgen.groß', 'li.na', 'x'];
    const domains = ['Example.com', 'ex-ample.co.uk', 'bücher.de', 'mail.example.com'];
    const users = Array.from({ length: 64 }, (_, i) => ({
      username: `mail.${i}`,
      firstName: 'Mail',
      lastName: `User ${i}`,
      email: `${locals[i % locals.length]}${i % 5 === 0 ? '' : i}@${domains[i % domains.length]}`,
    }));
    // A bulk insert (imports write this way), and the same addresses in another account, which must not be counted.
    await insertUsersInBulk(h.ctx.database, scim.accountId, users);
    await insertUsersInBulk(h.ctx.database, other.accountId, users);
    const made = await scim.call('POST', '/Users', {
      schemas: [USER],
      userName: 'made.by.scim',
      emails: [{ value: 'Made.By.SCIM@Example.COM', type: 'work', primary: true }],
    });
    expect(made.status).toBe(201);
    const emails = new Map<string, string>([
      ['owner', 'owner@example.com'],
      ['made.by.scim', 'Made.By.SCIM@Example.COM'],
    ]);
    for (const user of users) emails.set(user.username, user.email);

    const expected = (op: string, text: string) =>
      [...emails]
        .filter(([, email]) => {
          const [e, t] = [email.toLowerCase(), text.toLowerCase()];
          return op === 'co' ? e.includes(t) : op === 'sw' ? e.startsWith(t) : e.endsWith(t);
        })
        .map(([name]) => name)
        .sort();
    /** Every page of the filter, 7 at a time; each page's total must be the same exact number. */
    const found = async (filter: string) => {
      const names: string[] = [];
      for (let start = 1; ; start += 7) {
        const reply = await scim.call('GET', `/Users?${q(filter)}&startIndex=${start}&count=7&attributes=userName`);
        expect(reply.status, `${filter}: ${JSON.stringify(reply.body)}`).toBe(200);
        names.push(...reply.body.Resources.map((r: { userName: string }) => r.userName));
        if (start + 7 > reply.body.totalResults) {
          expect(names.length, filter).toBe(reply.body.totalResults);
          return names.sort();
        }
      }
    };
    const fragments = [
      'son',
      'SON',
      '.jo',
      'o.h',
      'e.c',
      '@ex',
      'a_g',
      '_',
      '%so',
      '%',
      "o'b",
      'ür',
      'GROSS',
      'groß',
      '12@',
      'zzz',
      'li',
      '.',
    ];
    const check = async () => {
      for (const text of fragments)
        expect(await found(`emails co "${text}"`), `co ${text}`).toEqual(expected('co', text));
      for (const text of ['jo', 'MARIA_', "o'b"])
        expect(await found(`emails sw "${text}"`), `sw ${text}`).toEqual(expected('sw', text));
      for (const text of ['.de', 'example.com', '.UK'])
        expect(await found(`emails ew "${text}"`), `ew ${text}`).toEqual(expected('ew', text));
      expect(await found('emails.value co "son" and userName sw "mail.1"')).toEqual(
        expected('co', 'son').filter((name) => name.startsWith('mail.1')),
      );
      expect(await found('emails[type eq "work" and value co "@bücher"]')).toEqual(expected('co', '@bücher'));
    };
    await check();

    // A changed address is found by its new text only, a deleted user not at all.
    const ids = Object.fromEntries(
      (await scim.call('GET', `/Users?${q('userName sw "mail."')}&count=100&attributes=userName`)).body.Resources.map(
        (r: { id: string; userName: string }) => [r.userName, r.id],
      ),
    );
    const changed = await scim.call(
      'PATCH',
      `/Users/${ids['mail.1']}`,
      patchOps({ op: 'replace', path: 'emails[type eq "work"].value', value: 'Renamed.Person@Elsewhere.org' }),
    );
    expect(changed.status).toBe(200);
    emails.set('mail.1', 'Renamed.Person@Elsewhere.org');
    expect((await scim.call('DELETE', `/Users/${ids['mail.2']}`)).status).toBe(204);
    emails.delete('mail.2');
    const cleared = await scim.call(
      'PATCH',
      `/Users/${ids['mail.3']}`,
      patchOps({ op: 'remove', path: 'emails[type eq "work"].value' }),
    );
    expect(cleared.status).toBe(200);
    emails.delete('mail.3');
    fragments.push('renamed.p', 'elsewhere');
    await check();
  });

  it('honours If-Match with ETags, on SCIM and on the users API', async () => {
    const { call } = await client();
    const created = await call('POST', '/Users', entraUser('etag@contoso.com', 'ext-etag', 'etag@contoso.com'));
    const id = created.body.id;
    const etag = created.headers.get('etag') as string;
    expect(etag).toMatch(/^W\/".+"$/);
    const stale = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'title', value: 'A' }), {
      'if-match': etag,
    });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('etag')).not.toBe(etag);
    const refused = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'title', value: 'B' }), {
      'if-match': etag,
    });
    expect(refused.status).toBe(412);
    expect((await call('GET', `/Users/${id}`)).body.title).toBe('A');
    expect((await call('DELETE', `/Users/${id}`, undefined, { 'if-match': etag })).status).toBe(412);
    const any = await call('PATCH', `/Users/${id}`, patchOps({ op: 'replace', path: 'title', value: 'C' }), {
      'if-match': '*',
    });
    expect(any.status).toBe(200);
  });

  it('leaves alone a user whose synchronization is off', async () => {
    const { call, owner } = await client();
    const created = await call('POST', '/Users', entraUser('kept@contoso.com', 'ext-kept', 'kept@contoso.com'));
    const id = Number(created.body.id);
    await h.db.updateTable('users').set({ sync_enabled: 0 }).where('id', '=', id).execute();
    const patched = await call(
      'PATCH',
      `/Users/${id}`,
      patchOps({ op: 'replace', path: 'name.familyName', value: 'Changed' }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.name.familyName).toBe('familyName');
    expect(patched.body[ROSTER].syncEnabled).toBe(false);
    const removed = await call('DELETE', `/Users/${id}`);
    expect(removed.status).toBe(409);
    expect((await owner.get(`/users/${id}`)).status).toBe(200);
  });

  it('reads ids past what an id column holds as naming nobody, never as a 500', async () => {
    const { call } = await client();
    const user = await call('POST', '/Users', entraUser('range@contoso.com', 'ext-range', 'range@contoso.com'));
    const group = await call('POST', '/Groups', { schemas: [GROUP], displayName: 'Range' });
    const huge = '99999999999';
    expect((await call('GET', `/Users/${huge}`)).status).toBe(404);
    expect((await call('GET', `/Groups/${huge}`)).status).toBe(404);
    const count = async (filter: string) => (await call('GET', `/Users?${q(filter)}`)).body.totalResults;
    const all = await count('userName pr');
    expect(await count(`id eq "${huge}"`)).toBe(0);
    expect(await count(`id gt "${huge}"`)).toBe(0);
    expect(await count(`id lt "${huge}"`)).toBe(all);
    expect(await count(`id ne "${huge}"`)).toBe(all);
    expect(await count(`${ENTERPRISE}:manager.value eq "${huge}"`)).toBe(0);
    const member = await call(
      'PATCH',
      `/Groups/${group.body.id}`,
      patchOps({ op: 'add', path: 'members', value: [{ value: huge }] }),
    );
    expect([member.status, member.body.scimType]).toEqual([400, 'invalidValue']);
    const managed = await call(
      'PATCH',
      `/Users/${user.body.id}`,
      patchOps({ op: 'replace', path: `${ENTERPRISE}:manager`, value: huge }),
    );
    expect([managed.status, managed.body.scimType]).toEqual([400, 'invalidValue']);
  });

  it('provisions groups and their members as Entra ID and Okta do', async () => {
    const { call, owner } = await client();
    const members: string[] = [];
    for (let i = 0; i < 4; i++) {
      members.push(
        (await call('POST', '/Users', entraUser(`member${i}@contoso.com`, `ext-m${i}`, `member${i}@contoso.com`))).body
          .id,
      );
    }
    // Entra ID: does the group exist? then create it.
    const missing = await call('GET', `/Groups?excludedAttributes=members&${q('displayName eq "Inbound Sales"')}`);
    expect(missing.body.totalResults).toBe(0);
    const created = await call('POST', '/Groups', {
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Inbound Sales',
      meta: { resourceType: 'Group' },
      schemas: [GROUP],
      members: [{ value: members[0] }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      displayName: 'Inbound Sales',
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
    });
    expect(created.body.members.map((m: { value: string }) => m.value)).toEqual([members[0]]);
    const groupId = created.body.id;
    const found = await call('GET', `/Groups?excludedAttributes=members&${q('displayName eq "inbound sales"')}`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].members).toBeUndefined();
    expect((await call('POST', '/Groups', { schemas: [GROUP], displayName: 'Inbound Sales' })).body.scimType).toBe(
      'uniqueness',
    );
    // Entra ID adds and removes members with a list of {value}.
    const added = await call(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({
        op: 'Add',
        path: 'members',
        value: [
          { $ref: null, value: members[1] },
          { $ref: null, value: members[2] },
        ],
      }),
    );
    expect(added.status).toBe(200);
    expect(added.body.members.map((m: { value: string }) => m.value).sort()).toEqual(
      [members[0], members[1], members[2]].sort(),
    );
    const removed = await call(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'Remove', path: 'members', value: [{ $ref: null, value: members[0] }] }),
    );
    expect(removed.body.members.map((m: { value: string }) => m.value).sort()).toEqual([members[1], members[2]].sort());
    // Okta removes by filter and renames with no path (repeating the id).
    const byFilter = await call(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'remove', path: `members[value eq "${members[1]}"]` }),
    );
    expect(byFilter.body.members.map((m: { value: string }) => m.value)).toEqual([members[2]]);
    const renamed = await call(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'replace', value: { id: groupId, displayName: 'Outbound Sales' } }),
    );
    expect(renamed.body.displayName).toBe('Outbound Sales');
    // The user's groups, and Roster's team view.
    const user = await call('GET', `/Users/${members[2]}`);
    expect(user.body.groups).toEqual([
      expect.objectContaining({ value: groupId, display: 'Outbound Sales', type: 'direct' }),
    ]);
    const teams = await owner.get(`/users/${members[2]}/teams`);
    expect(teams.body.teams.map((t: { name: string }) => t.name)).toEqual(['Outbound Sales']);
    expect((await call('GET', `/Users?${q(`groups eq "${groupId}"`)}`)).body.totalResults).toBe(1);
    expect((await call('GET', `/Groups?${q(`members[value eq "${members[2]}"]`)}`)).body.totalResults).toBe(1);
    // PUT sets the members exactly; an unknown member is refused and nothing changes.
    const put = await call('PUT', `/Groups/${groupId}`, {
      schemas: [GROUP],
      displayName: 'Outbound Sales',
      members: [{ value: members[3] }],
    });
    expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([members[3]]);
    const unknown = await call(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'add', path: 'members', value: [{ value: members[0] }, { value: '99999999' }] }),
    );
    expect(unknown.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect((await call('GET', `/Groups/${groupId}`)).body.members.map((m: { value: string }) => m.value)).toEqual([
      members[3],
    ]);
    // ETag and If-Match on groups.
    const current = await call('GET', `/Groups/${groupId}`);
    const etag = current.headers.get('etag') as string;
    await call('PATCH', `/Groups/${groupId}`, patchOps({ op: 'add', path: 'members', value: [{ value: members[0] }] }));
    const stale = await call(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'replace', path: 'displayName', value: 'X' }),
      { 'if-match': etag },
    );
    expect(stale.status).toBe(412);
    // A delete with a stale ETag deletes nothing; with the current one it deletes.
    expect((await call('DELETE', `/Groups/${groupId}`, undefined, { 'if-match': etag })).status).toBe(412);
    const now = (await call('GET', `/Groups/${groupId}`)).headers.get('etag') as string;
    expect(now).not.toBe(etag);
    expect((await call('DELETE', `/Groups/${groupId}`, undefined, { 'if-match': now })).status).toBe(204);
    expect((await call('GET', `/Groups/${groupId}`)).status).toBe(404);
    expect((await owner.get(`/users/${members[3]}/teams`)).body.teams).toEqual([]);

    // A change racing a delete with the ETag both read: never do both succeed.
    for (let round = 0; round < 10; round++) {
      const group = await call('POST', '/Groups', { schemas: [GROUP], displayName: `Race ${round}` });
      const read = group.headers.get('etag') as string;
      const [changed, deleted] = await Promise.all([
        call(
          'PATCH',
          `/Groups/${group.body.id}`,
          patchOps({ op: 'replace', path: 'displayName', value: `Raced ${round}` }),
          {
            'if-match': read,
          },
        ),
        call('DELETE', `/Groups/${group.body.id}`, undefined, { 'if-match': read }),
      ]);
      expect([changed.status, deleted.status], `round ${round}`).not.toEqual([200, 204]);
      expect([200, 412, 404]).toContain(changed.status);
      expect([204, 412]).toContain(deleted.status);
    }
  });

  it('adds 1,000 members to a group of 5,000 in one PATCH', async () => {
    const { call, accountId } = await client();
    const { insertUsersInBulk } = await import('../../server/services/user-bulk-insert.js');
    await insertUsersInBulk(
      h.ctx.database,
      accountId,
      Array.from({ length: 6000 }, (_, i) => ({ username: `bulk${i}`, firstName: 'Bulk', lastName: String(i) })),
    );
    const ids = (
      await h.db
        .selectFrom('users')
        .select('id')
        .where('account_id', '=', accountId)
        .where('username', 'like', 'bulk%')
        .orderBy('id')
        .execute()
    ).map((r) => String(r.id));
    const group = await call('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Big',
      members: ids.slice(0, 5000).map((value) => ({ value })),
    });
    expect(group.status).toBe(201);
    expect(group.body.members).toHaveLength(5000);
    const added = await call(
      'PATCH',
      `/Groups/${group.body.id}?excludedAttributes=members`,
      patchOps({ op: 'add', path: 'members', value: ids.slice(5000).map((value) => ({ value })) }),
    );
    expect(added.status).toBe(200);
    const count = await h.db
      .selectFrom('group_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('group_id', '=', Number(group.body.id))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(6000);
  });

  it('reduces a PATCH that adds and removes the same members many times to its net effect', async () => {
    const { call } = await client();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await call('POST', '/Users', { schemas: [USER], userName: `churn${i}` })).body.id);
    const group = await call('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'Churn',
      members: [{ value: ids[0] }],
    });
    const operations = Array.from({ length: 500 }, (_, i) => ({
      op: i % 2 === 0 ? 'add' : 'remove',
      path: 'members',
      value: ids.map((value) => ({ value })),
    }));
    // The last operation adds them all; the one removing the first member earlier leaves no trace.
    operations.push({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) });
    const before = await h.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const patched = await call('PATCH', `/Groups/${group.body.id}`, patchOps(...operations));
    expect(patched.status).toBe(200);
    expect(patched.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...ids].sort());
    const after = await h.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // Two users joined: two membership events, not a thousand.
    expect(Number(after.n) - Number(before.n)).toBe(2);
    const tooMany = await call(
      'PATCH',
      `/Groups/${group.body.id}`,
      patchOps(
        ...Array.from({ length: 3 }, () => ({
          op: 'add',
          path: 'members',
          value: Array.from({ length: 8000 }, () => ({ value: ids[0] })),
        })),
      ),
    );
    expect(tooMany.body).toMatchObject({ status: '400', scimType: 'tooMany' });
  });

  it('cuts a page of large groups short rather than return tens of thousands of members at once', async () => {
    const { call, accountId } = await client();
    const { insertUsersInBulk } = await import('../../server/services/user-bulk-insert.js');
    await insertUsersInBulk(
      h.ctx.database,
      accountId,
      Array.from({ length: 20_002 }, (_, i) => ({ username: `page${i}`, firstName: 'Page', lastName: String(i) })),
    );
    const ids = (
      await h.db
        .selectFrom('users')
        .select('id')
        .where('account_id', '=', accountId)
        .where('username', 'like', 'page%')
        .orderBy('id')
        .execute()
    ).map((r) => ({ value: String(r.id) }));
    for (const [name, members] of [
      ['Large A', ids.slice(0, 10_001)],
      ['Large B', ids.slice(10_001)],
    ] as const) {
      expect(
        (await call('POST', '/Groups?excludedAttributes=members', { schemas: [GROUP], displayName: name, members }))
          .status,
      ).toBe(201);
    }
    const page = await call('GET', '/Groups?count=2');
    expect(page.body).toMatchObject({ totalResults: 2, itemsPerPage: 1, startIndex: 1 });
    expect(page.body.Resources[0].members).toHaveLength(10_001);
    const next = await call('GET', '/Groups?startIndex=2&count=2');
    expect(next.body.Resources[0].members).toHaveLength(10_001);
    const slim = await call('GET', '/Groups?count=2&excludedAttributes=members');
    expect(slim.body.itemsPerPage).toBe(2);
  });
});
