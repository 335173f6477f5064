import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';

describe.each(DIALECTS)('users API (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('creates a user, reads it back, and names every invalid field', async () => {
    const { owner } = await h.newAccount();
    const bad = await owner.post('/users', {
      username: 'bad name',
      firstName: '',
      email: 'not-an-email',
      timeZone: 'Mars/Olympus',
      language: 'xx-!!',
      phone: 'call me',
      accessType: 'superuser',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ValidationFailed');
    const paths = bad.body.error.fields.map((f: { path: string }) => f.path).sort();
    expect(paths).toEqual(['accessType', 'email', 'firstName', 'language', 'phone', 'timeZone', 'username']);

    const missing = await owner.post('/users', {});
    expect(missing.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['firstName', 'username']);

    const created = await owner.post('/users', {
      username: '  John.Smith ',
      firstName: 'John',
      lastName: 'Smith',
      email: 'john@example.com',
      phone: '+1 555 0100',
      department: 'Engineering',
      timeZone: 'Europe/Rome',
      language: 'it',
      nicknames: ['Johnny'],
      password: PASSWORD,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      username: 'john.smith',
      displayName: 'John Smith',
      accessType: 'standard',
      authMethod: 'password',
      enabled: true,
      status: 'inactive',
      source: 'local',
      nicknames: ['Johnny'],
      can: { update: true, delete: true },
    });
    expect(created.text).not.toContain(PASSWORD);
    expect(created.text).not.toMatch(/argon2|hash/i);
    const read = await owner.get(`/users/${created.body.id}`);
    expect(read.body.email).toBe('john@example.com');

    const taken = await owner.post('/users', { username: 'JOHN.SMITH', firstName: 'Other' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'UsernameTaken', fields: [{ path: 'username' }] });
  });

  it('edits a user but never the username', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { email: 'a@example.com', emailVerified: true });
    const renamed = await owner.patch(`/users/${user.id}`, { username: 'new-name' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.code).toBe('ValidationFailed');

    const edited = await owner.patch(`/users/${user.id}`, {
      firstName: 'Ann',
      department: 'Sales',
      email: 'b@example.com',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      firstName: 'Ann',
      department: 'Sales',
      email: 'b@example.com',
      emailVerified: false,
    });
    expect(edited.body.username).toBe(user.username);

    const dates = await owner.patch(`/users/${user.id}`, { validFrom: '2026-05-01', expiresAt: '2026-04-01' });
    expect(dates.body.error.fields[0].path).toBe('expiresAt');
  });

  it('deletes with protections for the owner and oneself', async () => {
    const { owner } = await h.newAccount();
    const session = await owner.get('/session');
    const ownerId = session.body.user.id;
    expect(session.body.user.can.delete).toBe(false);
    expect((await owner.del(`/users/${ownerId}`)).body.error.code).toBe('OwnerProtected');
    expect((await owner.patch(`/users/${ownerId}`, { enabled: false })).body.error.code).toBe('OwnerProtected');
    expect((await owner.patch(`/users/${ownerId}`, { accessType: 'standard' })).body.error.code).toBe('OwnerProtected');

    const user = await h.buildUser(owner);
    expect((await owner.del(`/users/${user.id}`)).status).toBe(204);
    expect((await owner.get(`/users/${user.id}`)).status).toBe(404);
    expect((await owner.del(`/users/${user.id}`)).status).toBe(404);
  });

  it('keeps accounts apart whatever ids are sent', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const secret = await h.buildUser(a.owner, { firstName: 'Secret', lastName: 'Agent', department: 'Hidden' });
    expect((await b.owner.get(`/users/${secret.id}`)).status).toBe(404);
    expect((await b.owner.patch(`/users/${secret.id}`, { firstName: 'Hacked' })).status).toBe(404);
    expect((await b.owner.del(`/users/${secret.id}`)).status).toBe(404);
    const search = await b.owner.get('/users?q=secret');
    expect(search.body.items).toEqual([]);
    const listed = await b.owner.get('/users?limit=500');
    expect(listed.body.items.map((u: { id: number }) => u.id)).not.toContain(secret.id);
    expect((await b.owner.get('/users/facets')).body.departments).not.toContain('Hidden');
    const csv = await b.owner.get('/users/export.csv');
    expect(csv.text).not.toContain('Secret');
    const audit = await b.owner.get('/audit?limit=500');
    expect(JSON.stringify(audit.body)).not.toContain('Secret');
    expect((await a.owner.get(`/users/${secret.id}`)).body.firstName).toBe('Secret');
  });

  it('lets only admins manage users', async () => {
    const { slug, owner } = await h.newAccount();
    for (const accessType of ['standard', 'read_only', 'identified_only', 'scorer']) {
      const user = await h.buildUser(owner, { accessType, password: PASSWORD });
      const client = await h.signIn(slug, user.username, PASSWORD);
      const session = await client.get('/session');
      expect(session.body.abilities).toEqual({
        manageUsers: false,
        importUsers: false,
        manageOrganization: false,
        readAudit: false,
        manageAccess: false,
        readProfiles: false,
        createProfiles: false,
        manageSecurity: false,
        manageProvisioning: false,
        manageDirectories: false,
      });
      expect((await client.get('/users')).status).toBe(403);
      expect((await client.get('/users/facets')).status).toBe(403);
      expect((await client.get('/users/export.csv')).status).toBe(403);
      expect((await client.post('/users', { username: 'x', firstName: 'X' })).status).toBe(403);
      expect((await client.patch(`/users/${user.id}`, { firstName: 'Self' })).status).toBe(403);
      expect((await client.get('/audit')).status).toBe(403);
      expect((await client.get('/saved-filters')).status).toBe(403);
      // One's own record is readable.
      expect((await client.get(`/users/${user.id}`)).status).toBe(200);
    }
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const adminClient = await h.signIn(slug, admin.username, PASSWORD);
    expect((await adminClient.get('/users')).status).toBe(200);
    const ownerId = (await owner.get('/session')).body.user.id;
    // An admin who is not the owner cannot edit the owner.
    expect((await adminClient.patch(`/users/${ownerId}`, { firstName: 'Mallory' })).status).toBe(403);
  });

  it('signs in with a temporary password only to replace it', async () => {
    const { slug, owner } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD, temporaryPassword: true });
    const client = await h.signIn(slug, user.username, PASSWORD);
    expect((await client.get('/session')).body.requiredActions).toEqual(['update_password']);
    const weak = await owner.post('/users', {
      username: 'weakling',
      firstName: 'W',
      password: 'weak',
      temporaryPassword: true,
    });
    expect(weak.body.error).toMatchObject({ code: 'PasswordPolicy', fields: [{ path: 'password' }] });
  });

  it('records every change in the audit log with before and after', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { firstName: 'Before' });
    await owner.patch(`/users/${user.id}`, { firstName: 'After' });
    await owner.del(`/users/${user.id}`);
    const log = await owner.get(`/audit?targetId=${user.id}`);
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'user.delete',
      'user.update',
      'user.create',
    ]);
    const update = log.body.items[1];
    expect(update.before).toEqual({ firstName: 'Before' });
    expect(update.after).toEqual({ firstName: 'After' });
    expect(update.actor.username).toBe('owner');
    expect(log.body.items[0].before.username).toBe(user.username);

    const filtered = await owner.get('/audit?action=user.update');
    expect(filtered.body.items.every((e: { action: string }) => e.action === 'user.update')).toBe(true);
    const byText = await owner.get(`/audit?q=${user.username}`);
    expect(byText.body.items).toHaveLength(3);
    const csv = await owner.get(`/audit/export.csv?targetId=${user.id}`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(4);
    const paged = await owner.get('/audit?limit=2');
    expect(paged.body.items).toHaveLength(2);
    const next = await owner.get(`/audit?limit=2&cursor=${paged.body.nextCursor}`);
    expect(next.body.items[0].id).toBeLessThan(paged.body.items[1].id + 1);
    expect(next.body.items[0].id).not.toBe(paged.body.items[1].id);
  });

  it('serves an OpenAPI 3.1 document covering the API', async () => {
    const doc = await h.raw('GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of ['/users', '/users/{id}', '/users/export.csv', '/auth/sign-in', '/audit', '/saved-filters']) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    expect(doc.body.components.schemas.User.properties.username.type).toBe('string');
  });
});
