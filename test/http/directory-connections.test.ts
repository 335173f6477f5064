// Directory connections against a real OpenLDAP server (test/support/slapd): saved and read without their bind
// password, and "test connection" naming the step that fails (filter, DNS, TCP, TLS, bind, base DN) or counting
// exactly the users and groups of the generated directory, past the server's size limit with paged results.
import { Client as LdapClient } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_WINDOW_MINUTES, TESTS_PER_WINDOW } from '../../server/services/directory/connections.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';
import {
  type Directory,
  GROUPS_DN,
  generateDirectory,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  SUFFIX,
} from '../support/ldif.js';
import { SIZE_LIMIT, startSlapd, type TestSlapd } from '../support/slapd.js';

let slapd: TestSlapd;
let directory: Directory;

beforeAll(async () => {
  directory = generateDirectory();
  slapd = await startSlapd(directory.ldif);
}, 60_000);
afterAll(() => slapd?.stop());

/** Settings that work: StartTLS on ldap:// with slapd's own certificate as the CA. */
const working = () => ({
  name: 'Head office',
  url: slapd.url,
  startTls: true,
  caCertificate: slapd.certificate,
  bindDn: SERVICE_DN,
  bindPassword: SERVICE_PASSWORD,
  usersBaseDn: PEOPLE_DN,
  groupsBaseDn: GROUPS_DN,
  vendor: 'openldap',
});

describe.each(DIALECTS)('directory connections (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;

  beforeAll(async () => {
    h = await createHarness(dialect, { directoryTimeoutMs: 1500 });
    owner = (await h.newAccount()).owner;
  }, 60_000);
  afterAll(() => h.close());

  const test = async (settings: Record<string, unknown>) => {
    const reply = await owner.post('/directory-connections/test', settings);
    expect(reply.status, reply.text).toBe(200);
    return reply.body;
  };

  it('saves a connection with its preset filled in, and never answers with the bind password', async () => {
    const created = await owner.post('/directory-connections', working());
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Head office',
      url: slapd.url,
      startTls: true,
      bindDn: SERVICE_DN,
      bindPasswordSet: true,
      usersFilter: '(objectClass=inetOrgPerson)',
      groupsFilter: '(objectClass=groupOfNames)',
      vendor: 'openldap',
      attributes: { username: 'uid', externalId: 'entryUUID', groupMember: 'member', memberOf: null },
    });
    const id = created.body.id;
    const listed = await owner.get('/directory-connections');
    const got = await owner.get(`/directory-connections/${id}`);
    const patched = await owner.patch(`/directory-connections/${id}`, { attributes: { department: 'ou' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.attributes.department).toBe('ou');
    const audit = await owner.get('/audit?limit=200');
    expect(listed.body.items.map((c: { id: number }) => c.id)).toContain(id);
    expect(got.body.caCertificate).toBe(slapd.certificate.trim());
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['directory_connection.create', 'directory_connection.update']),
    );
    for (const reply of [created, listed, got, patched, audit]) {
      expect(reply.text).not.toContain(SERVICE_PASSWORD);
      expect(reply.text).not.toContain('bindPassword"');
    }
    const removed = await owner.del(`/directory-connections/${id}`);
    expect(removed.status).toBe(204);
    expect((await owner.get(`/directory-connections/${id}`)).status).toBe(404);
  });

  it('counts every user and group of the directory, past its size limit, a page at a time', async () => {
    // Without paging the service account meets the size limit: the counts below need paged results.
    const plain = new LdapClient({ url: slapd.url });
    await plain.bind(SERVICE_DN, SERVICE_PASSWORD);
    await expect(
      plain.search(PEOPLE_DN, { filter: '(objectClass=inetOrgPerson)', attributes: ['1.1'] }),
    ).rejects.toMatchObject({ code: 4 });
    await plain.unbind();
    expect(directory.people.length).toBeGreaterThan(SIZE_LIMIT * 10);

    const saved = await owner.post('/directory-connections', { ...working(), name: 'Counted' });
    const result = await owner.post(`/directory-connections/${saved.body.id}/test`);
    expect(result.status, result.text).toBe(200);
    expect(result.body).toMatchObject({
      ok: true,
      failedStep: null,
      users: directory.people.length,
      groups: directory.groups.length,
    });
    // ldaps:// with the CA, and plain ldap:// without StartTLS, see the same.
    expect(await test({ ...working(), url: slapd.tlsUrl })).toMatchObject({ ok: true, users: directory.people.length });
    expect(await test({ ...working(), startTls: false, caCertificate: null })).toMatchObject({
      ok: true,
      groups: directory.groups.length,
    });
    // A narrower filter counts what it matches: the people without a username attribute are left out.
    expect(await test({ ...working(), usersFilter: '(&(objectClass=inetOrgPerson)(uid=*))' })).toMatchObject({
      ok: true,
      users: directory.people.filter((p) => p.uid !== null).length,
    });
  }, 30_000);

  it('names the bind as the failed step for a wrong password', async () => {
    expect(await test({ ...working(), bindPassword: 'Wrong-pass-1' })).toMatchObject({
      ok: false,
      failedStep: 'bind',
      reason: 'InvalidCredentials',
      field: 'bindPassword',
      users: null,
    });
    const saved = await owner.post('/directory-connections', { ...working(), name: 'Wrong', bindPassword: 'nope' });
    expect((await owner.post(`/directory-connections/${saved.body.id}/test`)).body).toMatchObject({
      failedStep: 'bind',
      reason: 'InvalidCredentials',
    });
  });

  it('names TCP for a port nothing listens on and for an address that does not answer', async () => {
    const closed = await test({ ...working(), url: 'ldap://127.0.0.1:9' });
    expect(closed).toMatchObject({ ok: false, failedStep: 'tcp', reason: 'ConnectionRefused', field: 'url' });
    expect(closed.message).toContain('127.0.0.1:9');
    // TEST-NET-1 (RFC 5737) is never routed: the connection times out, or the network says it is unreachable.
    const nowhere = await test({ ...working(), url: 'ldap://192.0.2.1' });
    expect(nowhere).toMatchObject({ ok: false, failedStep: 'tcp' });
    // Some networks refuse at once instead.
    expect(['ConnectTimeout', 'HostUnreachable', 'ConnectionRefused']).toContain(nowhere.reason);
    expect(nowhere.elapsedMs).toBeLessThan(5_000);
  });

  it('names TLS for a self-signed certificate, on ldaps:// and with StartTLS, and for a host it is not issued for', async () => {
    expect(await test({ ...working(), url: slapd.tlsUrl, caCertificate: null })).toMatchObject({
      ok: false,
      failedStep: 'tls',
      reason: 'CertificateNotTrusted',
      field: 'caCertificate',
    });
    expect(await test({ ...working(), caCertificate: null })).toMatchObject({
      failedStep: 'tls',
      reason: 'CertificateNotTrusted',
    });
    // The certificate names 127.0.0.1 only.
    expect(await test({ ...working(), url: `ldaps://localhost:${slapd.tlsPort}` })).toMatchObject({
      failedStep: 'tls',
      reason: 'HostnameMismatch',
    });
    // ldaps:// to the plain port: no TLS answers.
    expect(await test({ ...working(), url: `ldaps://127.0.0.1:${slapd.port}` })).toMatchObject({ failedStep: 'tls' });
  });

  it('names the base DN that does not exist', async () => {
    expect(await test({ ...working(), usersBaseDn: `ou=nobody,${SUFFIX}` })).toMatchObject({
      ok: false,
      failedStep: 'baseDn',
      reason: 'NoSuchBaseDn',
      field: 'usersBaseDn',
    });
    expect(await test({ ...working(), groupsBaseDn: `ou=Grüppchen,${SUFFIX}` })).toMatchObject({
      failedStep: 'baseDn',
      field: 'groupsBaseDn',
    });
  });

  it('names a filter with a syntax error before connecting, and refuses to save it', async () => {
    const result = await test({
      ...working(),
      url: 'ldap://127.0.0.1:9',
      usersFilter: '(&(objectClass=person)(uid=*)',
    });
    expect(result).toMatchObject({ ok: false, failedStep: 'filter', reason: 'FilterSyntax', field: 'usersFilter' });
    expect(await test({ ...working(), groupsFilter: '(|(cn=a)(=b))' })).toMatchObject({
      failedStep: 'filter',
      field: 'groupsFilter',
    });
    const saved = await owner.post('/directory-connections', { ...working(), name: 'Bad', groupsFilter: 'cn=a)(' });
    expect(saved.status).toBe(400);
    expect(saved.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['groupsFilter']);
  });

  it('names DNS for a host name nobody knows', async () => {
    const result = await test({ ...working(), url: 'ldaps://no-such-directory.invalid' });
    expect(result).toMatchObject({ ok: false, failedStep: 'dns', field: 'url' });
    expect(result.message).toContain('no-such-directory.invalid');
  });

  it('refuses URLs that are not ldap:// or ldaps://, naming the field', async () => {
    for (const url of ['https://dc1.example.com', 'ldapi:///var/run/slapd.sock', 'dc1.example.com', 'ldap://h/dc=x']) {
      const reply = await owner.post('/directory-connections/test', { ...working(), url });
      expect(reply.status, url).toBe(400);
      expect(reply.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['url']);
    }
  });

  it('keeps the stored password from going anywhere new, and names unique in the account', async () => {
    const saved = await owner.post('/directory-connections', { ...working(), name: 'Branch' });
    const id = saved.body.id;
    const moved = await owner.patch(`/directory-connections/${id}`, { url: 'ldaps://ldap.attacker.example' });
    expect(moved.status).toBe(400);
    expect(moved.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['bindPassword']);
    const clear = await owner.patch(`/directory-connections/${id}`, { startTls: false });
    expect(clear.status).toBe(400);
    const renamed = await owner.patch(`/directory-connections/${id}`, { name: 'Branch office', bindDn: SERVICE_DN });
    expect(renamed.status, renamed.text).toBe(200);
    expect((await owner.post(`/directory-connections/${id}/test`)).body.ok).toBe(true);
    const taken = await owner.post('/directory-connections', { ...working(), name: 'BRANCH OFFICE' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('DirectoryNameTaken');
    const switched = await owner.patch(`/directory-connections/${id}`, { vendor: 'active_directory' });
    expect(switched.body).toMatchObject({
      usersFilter: '(&(objectCategory=person)(objectClass=user))',
      attributes: { username: 'sAMAccountName', externalId: 'objectGUID' },
    });
  });

  it('never lets directory-password sign-in send passwords in clear', async () => {
    const clear = await owner.post('/directory-connections', {
      ...working(),
      name: 'Clear',
      startTls: false,
      passwordSignIn: true,
    });
    expect(clear.status, clear.text).toBe(400);
    expect(clear.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['passwordSignIn']);
    const saved = await owner.post('/directory-connections', { ...working(), name: 'Signs in', passwordSignIn: true });
    expect(saved.status, saved.text).toBe(201);
    const off = await owner.patch(`/directory-connections/${saved.body.id}`, {
      startTls: false,
      bindPassword: SERVICE_PASSWORD,
    });
    expect(off.status, off.text).toBe(400);
    expect(off.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['passwordSignIn']);
    // Over ldaps://, or with sign-in off, a connection without StartTLS is fine.
    const tls = await owner.patch(`/directory-connections/${saved.body.id}`, {
      url: slapd.tlsUrl,
      startTls: false,
      bindPassword: SERVICE_PASSWORD,
    });
    expect(tls.status, tls.text).toBe(200);
    const plain = await owner.post('/directory-connections', { ...working(), name: 'Plain', startTls: false });
    expect(plain.status, plain.text).toBe(201);
    expect((await owner.patch(`/directory-connections/${plain.body.id}`, { passwordSignIn: true })).status).toBe(400);
    for (const id of [saved.body.id, plain.body.id]) await owner.del(`/directory-connections/${id}`);
  });

  it('is for admins who manage every user only', async () => {
    const account = await h.newAccount();
    await account.owner.post('/departments', { name: 'Sales' });
    const profile = (
      await account.owner.post('/profiles', {
        name: 'Sales only',
        modules: { users: { access: 'some', items: ['Sales'] } },
      })
    ).body;
    const saved = await account.owner.post('/directory-connections', working());
    const standard = await h.buildUser(account.owner, { password: PASSWORD, accessType: 'standard' });
    const limited = await h.buildUser(account.owner, {
      password: PASSWORD,
      accessType: 'admin',
      department: 'Sales',
      profileId: profile.id,
    });
    for (const user of [standard, limited]) {
      const session = await h.signIn(account.slug, user.username, PASSWORD);
      for (const [method, path, body] of [
        ['GET', '/directory-connections', undefined],
        ['POST', '/directory-connections', { ...working(), name: 'Mine' }],
        ['POST', '/directory-connections/test', working()],
        ['GET', `/directory-connections/${saved.body.id}`, undefined],
        ['PATCH', `/directory-connections/${saved.body.id}`, { name: 'Taken over' }],
        ['POST', `/directory-connections/${saved.body.id}/test`, undefined],
        ['DELETE', `/directory-connections/${saved.body.id}`, undefined],
      ] as const) {
        const reply = await session.request(method, path, body);
        expect(reply.status, `${user.username} ${method} ${path}`).toBe(403);
      }
    }
    // Another account's owner does not see it either.
    expect((await owner.get(`/directory-connections/${saved.body.id}`)).status).toBe(404);
    expect((await account.owner.get(`/directory-connections/${saved.body.id}`)).body.name).toBe('Head office');
  });
  it("tests an account's connections a limited number of times in a window: no scan of the hosts and ports in reach", async () => {
    const account = await h.newAccount();
    const saved = await account.owner.post('/directory-connections', working());
    // Each probe of a port answers what it met there: nothing listening, TLS, LDAP.
    const probe = (port: number) =>
      account.owner.post('/directory-connections/test', { ...working(), url: `ldap://127.0.0.1:${port}` });
    for (let i = 0; i < TESTS_PER_WINDOW - 1; i++) {
      const reply = await probe(9);
      expect(reply.status, reply.text).toBe(200);
    }
    expect((await account.owner.post(`/directory-connections/${saved.body.id}/test`)).body.ok).toBe(true);
    for (const reply of [await probe(9), await account.owner.post(`/directory-connections/${saved.body.id}/test`)]) {
      expect(reply.status, reply.text).toBe(429);
      expect(reply.body.error.code).toBe('RateLimited');
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Other accounts test on; the account itself once the window is over.
    expect((await owner.post('/directory-connections/test', working())).body.ok).toBe(true);
    h.clock.advance(TEST_WINDOW_MINUTES * 60_000 + 1000);
    expect((await probe(9)).status).toBe(200);
  }, 60_000);
});
