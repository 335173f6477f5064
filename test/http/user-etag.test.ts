// ETag and If-Match on Roster's own users API (RFC 9110 8.8.3, 13.1.1): every single-user answer names the user's
// version, and a PATCH sent with a stale one is refused with 412 and writes nothing, so two admins cannot overwrite
// each other silently.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';

const WEAK_TAG = /^W\/"[A-Za-z0-9_-]{22}"$/;

describe.each(DIALECTS)('user ETag and If-Match (%s)', (dialect) => {
  let h: Harness;
  let owner: Client;
  beforeAll(async () => {
    h = await createHarness(dialect);
    ({ owner } = await h.newAccount());
  });
  afterAll(() => h.close());

  const patch = (id: number, body: unknown, ifMatch?: string) =>
    owner.request('PATCH', `/users/${id}`, body, ifMatch === undefined ? {} : { 'if-match': ifMatch });

  it('sends an ETag with every single-user answer, and a new one after each change', async () => {
    const created = await owner.post('/users', { username: 'etag1', firstName: 'Ada', password: PASSWORD });
    expect(created.status).toBe(201);
    const first = created.headers.get('etag') ?? '';
    expect(first).toMatch(WEAK_TAG);
    const read = await owner.get(`/users/${created.body.id}`);
    expect(read.headers.get('etag')).toBe(first);
    // Reading again, or a change that changes nothing, keeps the version.
    expect((await owner.get(`/users/${created.body.id}`)).headers.get('etag')).toBe(first);

    const edited = await patch(created.body.id, { lastName: 'Lovelace' });
    const second = edited.headers.get('etag') ?? '';
    expect(second).toMatch(WEAK_TAG);
    expect(second).not.toBe(first);
    expect((await owner.get(`/users/${created.body.id}`)).headers.get('etag')).toBe(second);

    h.clock.advance(1000);
    const password = await owner.request('PUT', `/users/${created.body.id}/password`, {
      password: 'Another-pass-2026!',
      temporary: true,
    });
    expect(password.status).toBe(200);
    const third = password.headers.get('etag') ?? '';
    expect(third).toMatch(WEAK_TAG);
    expect(third).not.toBe(second);
    const unlocked = await owner.post(`/users/${created.body.id}/unlock`);
    expect(unlocked.headers.get('etag')).toBe(third);
  });

  it('edits with the current ETag, refuses a stale one with 412 and writes nothing, and allows *', async () => {
    const user = await h.buildUser(owner, { firstName: 'Grace', lastName: 'Hopper' });
    const read = await owner.get(`/users/${user.id}`);
    const etag = read.headers.get('etag') ?? '';

    const ok = await patch(user.id, { department: 'Navy' }, etag);
    expect(ok.status).toBe(200);
    expect(ok.body.department).toBe('Navy');
    const current = ok.headers.get('etag') ?? '';

    const auditBefore = (await owner.get('/audit?action=user.update')).body.items.length;
    h.clock.advance(1000);
    const stale = await patch(user.id, { lastName: 'Murray' }, etag);
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PreconditionFailed');
    expect(stale.body.error.message).toMatch(/someone else changed this user.*reload/i);
    const after = await owner.get(`/users/${user.id}`);
    expect(after.body).toMatchObject({ lastName: 'Hopper', department: 'Navy' });
    expect(after.headers.get('etag')).toBe(current);
    expect((await owner.get('/audit?action=user.update')).body.items.length).toBe(auditBefore);
    // Not even the department a stale edit names is created.
    expect((await patch(user.id, { department: 'Stale Fleet' }, etag)).status).toBe(412);
    const departments = JSON.stringify((await owner.get('/departments')).body);
    expect(departments).toContain('Navy');
    expect(departments).not.toContain('Stale Fleet');

    // Several tags, one of them current; the W/ prefix is compared weakly.
    const listed = await patch(user.id, { lastName: 'Murray' }, `${etag}, ${current.replace(/^W\//, '')}`);
    expect(listed.status).toBe(200);
    const star = await patch(user.id, { lastName: 'Hopper' }, '*');
    expect([star.status, star.body.lastName]).toEqual([200, 'Hopper']);
    // Without If-Match, as before: the edit is made.
    const blind = await patch(user.id, { lastName: 'Brewster' });
    expect([blind.status, blind.body.lastName]).toEqual([200, 'Brewster']);
    // A user out of reach is still "not found", whatever If-Match says.
    expect((await patch(999_999_999, { lastName: 'X' }, etag)).status).toBe(404);
  });

  it('lets exactly one of two concurrent edits with the same ETag through', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await h.buildUser(owner, { firstName: 'Race' });
      const etag = (await owner.get(`/users/${user.id}`)).headers.get('etag') ?? '';
      const replies = await Promise.all([
        patch(user.id, { lastName: `First${round}` }, etag),
        patch(user.id, { lastName: `Second${round}` }, etag),
      ]);
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412]);
      const winner = replies.find((r) => r.status === 200);
      expect((await owner.get(`/users/${user.id}`)).body.lastName).toBe(winner?.body.lastName);
    }
  });

  it('documents If-Match, the ETag header and 412 in the OpenAPI description', async () => {
    const doc = (await h.raw('GET', '/openapi.json')).body;
    const operation = doc.paths['/users/{id}'].patch;
    expect(operation.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'if-match', in: 'header', required: false })]),
    );
    expect(operation.responses['412']).toBeDefined();
    expect(operation.responses['200'].headers.ETag).toBeDefined();
    expect(doc.paths['/users/{id}'].get.responses['200'].headers.ETag).toBeDefined();
  });
});
