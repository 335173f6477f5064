import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

const ALL = { access: 'all' };
const NONE = { access: 'none' };
const some = (...items: string[]) => ({ access: 'some', items });

describe.each(DIALECTS)('profiles (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  /** An admin of the account with the given profile, signed in. */
  async function adminWith(slug: string, owner: Client, profileId: number | null, department = 'IT') {
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD, department, profileId });
    return { user: admin, client: await h.signIn(slug, admin.username, PASSWORD) };
  }

  it('creates, lists, edits and deletes profiles; the name never changes', async () => {
    const { owner } = await h.newAccount();
    for (const name of ['Sales', 'Support']) expect((await owner.post('/departments', { name })).status).toBe(201);
    // The Users module's items are departments of the account: a typo is refused naming the field.
    const typo = await owner.post('/profiles', { name: 'Typo', modules: { users: some('Sales', 'Suport') } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.fields).toEqual([{ path: 'modules.users.items', message: 'No such department: Suport' }]);
    const created = await owner.post('/profiles', {
      name: 'Team leads',
      description: 'Manage their department',
      // Any case or accents name the department, which is stored as it is spelled.
      modules: { profiles: NONE, users: some('sales', 'SUPPORT'), campaigns: ALL },
    });
    expect(created.status).toBe(201);
    // A module left out is Not allowed.
    expect(created.body.summary).toEqual({
      profiles: 'Not allowed',
      users: '2 items',
      campaigns: 'All',
      connectors: 'Not allowed',
    });
    expect(created.body.modules.users).toEqual({ access: 'some', items: ['Sales', 'Support'] });

    const taken = await owner.post('/profiles', { name: 'team LEADS' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'ProfileNameTaken', fields: [{ path: 'name' }] });
    const empty = await owner.post('/profiles', { name: 'X', modules: { users: { access: 'some', items: [] } } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields[0].path).toBe('modules.users.items');

    const renamed = await owner.patch(`/profiles/${created.body.id}`, { name: 'Renamed' });
    expect(renamed.status).toBe(400);
    const edited = await owner.patch(`/profiles/${created.body.id}`, {
      modules: { users: ALL, connectors: some('LDAP') },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.name).toBe('Team leads');
    expect(edited.body.summary).toMatchObject({ users: 'All', connectors: '1 item', profiles: 'Not allowed' });

    const list = await owner.get('/profiles');
    expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['Team leads']);
    expect(list.body.can.create).toBe(true);

    // In use: cannot be deleted (taking it away would lift its restrictions).
    const user = await h.buildUser(owner, { profileId: created.body.id });
    expect(user.profileId).toBe(created.body.id);
    expect((await owner.get('/profiles')).body.items[0].users).toBe(1);
    const inUse = await owner.del(`/profiles/${created.body.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('ProfileInUse');
    expect((await owner.patch(`/users/${user.id}`, { profileId: null })).body.profileId).toBeNull();
    expect((await owner.del(`/profiles/${created.body.id}`)).status).toBe(204);

    const audit = await owner.get('/audit?limit=50');
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['profile.create', 'profile.update', 'profile.delete']));
  });

  it('enforces the Users module: Not allowed, some departments, or everything', async () => {
    const { slug, owner, accountId } = await h.newAccount();
    for (const name of ['Sales', 'Support']) await owner.post('/departments', { name });
    const blocked = (await owner.post('/profiles', { name: 'No users', modules: { users: NONE } })).body;
    const sales = (await owner.post('/profiles', { name: 'Sales only', modules: { users: some('Sales') } })).body;
    const ann = await h.buildUser(owner, { firstName: 'Ann', department: 'Sales' });
    const bob = await h.buildUser(owner, { firstName: 'Bob', department: 'Support' });

    const none = await adminWith(slug, owner, blocked.id);
    const session = await none.client.get('/session');
    expect(session.body.abilities).toMatchObject({ manageUsers: false, readProfiles: true });
    expect((await none.client.get('/users')).status).toBe(403);
    expect((await none.client.get(`/users/${ann.id}`)).status).toBe(404);
    expect((await none.client.patch(`/users/${ann.id}`, { firstName: 'X' })).status).toBe(403);
    expect((await none.client.post('/users', { username: 'new1', firstName: 'N' })).status).toBe(403);
    const bulk = await none.client.post('/users/bulk', { action: 'disable', selection: { ids: [ann.id] } });
    expect(bulk.status).toBe(403);

    const limited = await adminWith(slug, owner, sales.id, 'Sales');
    const list = await limited.client.get('/users?limit=100');
    expect(list.status).toBe(200);
    const names = list.body.items.map((u: { firstName: string }) => u.firstName);
    expect(names).toContain('Ann');
    expect(names).not.toContain('Bob');
    expect(list.body.items.every((u: { department: string }) => u.department === 'Sales')).toBe(true);
    expect((await limited.client.get('/users?q=bob')).body.items).toEqual([]);
    expect((await limited.client.get('/users/facets')).body.departments).toEqual(['Sales']);
    expect((await limited.client.get(`/users/${bob.id}`)).status).toBe(404);
    expect((await limited.client.get(`/users/${bob.id}/licenses`)).status).toBe(404);
    expect((await limited.client.get(`/users/${ann.id}/teams`)).status).toBe(200);
    expect((await limited.client.get(`/users/${bob.id}/teams`)).status).toBe(404);
    expect((await limited.client.patch(`/users/${ann.id}`, { lastName: 'Sold' })).status).toBe(200);
    const moved = await limited.client.patch(`/users/${ann.id}`, { department: 'Support' });
    expect(moved.status).toBe(403);
    expect(moved.body.error).toMatchObject({ code: 'OutOfScope', fields: [{ path: 'department' }] });
    expect(
      (await limited.client.post('/users', { username: 'n2', firstName: 'N', department: 'Support' })).status,
    ).toBe(403);
    expect((await limited.client.post('/users', { username: 'n3', firstName: 'N', department: 'Sales' })).status).toBe(
      201,
    );
    // Imports need the whole Users module.
    expect(
      (
        await upload(
          h,
          limited.client,
          'u.csv',
          csv([
            ['Username', 'Full Name'],
            ['z1', 'Z One'],
          ]),
        )
      ).status,
    ).toBe(403);
    // A bulk action reaches only the admin's departments, whatever is selected.
    const disabled = await limited.client.post('/users/bulk', {
      action: 'disable',
      selection: { ids: [ann.id, bob.id] },
    });
    expect(disabled.body).toMatchObject({ selected: 1, done: 1, skipped: 1 });
    expect(disabled.body.groups).toContainEqual({
      outcome: 'skipped',
      reason: 'no such user in your reach',
      users: [[bob.id, '']],
    });
    expect((await owner.get(`/users/${bob.id}`)).body.enabled).toBe(true);

    // Groups and departments: read within the admin's departments, changed only with every user in reach.
    expect((await limited.client.get('/session')).body.abilities.manageOrganization).toBe(false);
    expect((await owner.get('/session')).body.abilities.manageOrganization).toBe(true);
    const desk = (await owner.post('/groups', { name: 'Front desk' })).body.id;
    await owner.post(`/users/${ann.id}/teams`, { groupId: desk });
    await owner.post(`/users/${bob.id}/teams`, { groupId: desk });
    await owner.post(`/users/${bob.id}/supervised-teams`, { groupId: desk });
    const tree = await limited.client.get('/groups');
    expect(tree.status).toBe(200);
    expect(tree.body.items.find((g: { id: number }) => g.id === desk).memberCount).toBe(1);
    const detail = await limited.client.get(`/groups/${desk}`);
    expect(detail.body.memberCount).toBe(1);
    expect(detail.body.members.map((m: { id: number }) => m.id)).toEqual([ann.id]);
    expect(detail.body.supervisors).toEqual([]);
    expect((await owner.get(`/groups/${desk}`)).body.memberCount).toBe(2);
    expect((await limited.client.post('/groups', { name: 'Mine' })).status).toBe(403);
    expect((await limited.client.patch(`/groups/${desk}`, { name: 'Renamed' })).status).toBe(403);
    expect((await limited.client.request('DELETE', `/groups/${desk}?mode=delete_all`)).status).toBe(403);
    expect((await owner.get(`/groups/${desk}`)).body.name).toBe('Front desk');
    const departments = await limited.client.get('/departments');
    expect(departments.body.items.map((d: { name: string }) => d.name)).toEqual(['Sales']);
    const support = (await owner.get('/departments')).body.items.find((d: { name: string }) => d.name === 'Support');
    expect((await limited.client.patch(`/departments/${support.id}`, { name: 'Help' })).status).toBe(403);
    expect((await limited.client.post('/departments', { name: 'Ops' })).status).toBe(403);
    expect((await limited.client.post('/chat-groups', { name: 'Chat', departmentIds: [] })).status).toBe(403);

    // The owner is never restricted, even with a profile; an admin without a profile only by the access type.
    const session2 = await owner.get('/session');
    await h.ctx.database.db
      .updateTable('users')
      .set({ profile_id: blocked.id })
      .where('id', '=', session2.body.user.id)
      .where('account_id', '=', accountId)
      .execute();
    expect((await owner.get('/users?q=bob')).body.items).toHaveLength(1);
    const free = await adminWith(slug, owner, null);
    expect((await free.client.get(`/users/${bob.id}`)).status).toBe(200);
  });

  it('enforces the Profiles module and never lets an admin widen their own rights', async () => {
    const { slug, owner } = await h.newAccount();
    const p1 = (await owner.post('/profiles', { name: 'P1', modules: { users: ALL } })).body;
    const p2 = (await owner.post('/profiles', { name: 'P2', modules: { users: ALL } })).body;
    const keeper = (await owner.post('/profiles', { name: 'Keeper', modules: { users: ALL, profiles: some('P1') } }))
      .body;
    const noProfiles = (await owner.post('/profiles', { name: 'Hands off', modules: { users: ALL, profiles: NONE } }))
      .body;

    const k = await adminWith(slug, owner, keeper.id);
    const listed = (await k.client.get('/profiles')).body;
    expect(listed.can.create).toBe(false);
    const byName = (name: string) => listed.items.find((p: { name: string }) => p.name === name);
    expect(byName('P1').can).toEqual({ update: true, delete: true, assign: true });
    expect(byName('P2').can.update).toBe(false);
    // Their own profile: not even with its name in the items.
    expect(byName('Keeper').can.update).toBe(false);
    expect((await k.client.post('/profiles', { name: 'Mine' })).status).toBe(403);
    expect((await k.client.patch(`/profiles/${p1.id}`, { description: 'ok' })).status).toBe(200);
    expect((await k.client.patch(`/profiles/${p2.id}`, { description: 'no' })).status).toBe(403);
    expect((await k.client.patch(`/profiles/${keeper.id}`, { modules: { profiles: ALL } })).status).toBe(403);

    const target = await h.buildUser(owner);
    expect((await k.client.patch(`/users/${target.id}`, { profileId: p1.id })).status).toBe(200);
    expect((await k.client.patch(`/users/${target.id}`, { profileId: p2.id })).status).toBe(403);
    // "No profile" lifts every restriction: only with the whole Profiles module.
    const lifted = await k.client.patch(`/users/${target.id}`, { profileId: null });
    expect(lifted.status).toBe(403);
    expect(lifted.body.error.fields[0].path).toBe('profileId');
    expect((await k.client.patch(`/users/${k.user.id}`, { profileId: p1.id })).status).toBe(403);

    const n = await adminWith(slug, owner, noProfiles.id);
    expect((await n.client.patch(`/profiles/${p1.id}`, { description: 'x' })).status).toBe(403);
    expect((await n.client.del(`/profiles/${p1.id}`)).status).toBe(403);
    expect((await n.client.get('/profiles')).status).toBe(200);
    const standard = await h.buildUser(owner, { password: PASSWORD });
    const s = await h.signIn(slug, standard.username, PASSWORD);
    expect((await s.get('/profiles')).status).toBe(403);
  });

  it('keeps profiles of other accounts out of reach', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const secret = (await a.owner.post('/profiles', { name: 'Secret' })).body;
    expect((await b.owner.get(`/profiles/${secret.id}`)).status).toBe(404);
    expect((await b.owner.patch(`/profiles/${secret.id}`, { description: 'x' })).status).toBe(404);
    expect((await b.owner.del(`/profiles/${secret.id}`)).status).toBe(404);
    expect((await b.owner.get('/profiles')).body.items).toEqual([]);
    const user = await h.buildUser(b.owner);
    const assigned = await b.owner.patch(`/users/${user.id}`, { profileId: secret.id });
    expect(assigned.status).toBe(400);
    expect(assigned.body.error.fields[0].path).toBe('profileId');
  });

  it("imports assign the account's profiles by name and refuse unknown ones", async () => {
    const { owner } = await h.newAccount();
    const agents = (await owner.post('/profiles', { name: 'Agents', modules: { users: NONE } })).body;
    const header = ['Username', 'Full Name', 'Email', 'Profile'];
    const bad = await upload(h, owner, 'p.csv', csv([header, ['pa', 'P A', '', 'Nobody']]));
    expect(bad.body.problems[0]).toMatchObject({ code: 'UnknownProfile', column: 'D', row: 2 });

    const good = await upload(h, owner, 'p.csv', csv([header, ['pa', 'P A', '', 'agents'], ['pb', 'P B', '', '']]));
    expect(good.body.counts).toMatchObject({ badRows: 0, toCreate: 2 });
    expect((await runImport(owner, good.body.id)).body.status).toBe('done');
    const imported = (await owner.get('/users?q=pa')).body.items[0];
    expect(imported.profileId).toBe(agents.id);
    expect((await owner.get('/users?q=pb')).body.items[0].profileId).toBeNull();

    // An update row changes the profile too.
    const other = (await owner.post('/profiles', { name: 'Leads', modules: { users: ALL } })).body;
    const update = await upload(h, owner, 'p.csv', csv([header, ['pa', 'P A', '', 'Leads']]));
    await owner.patch(`/imports/${update.body.id}`, { mode: 'upsert' });
    expect((await runImport(owner, update.body.id, { mode: 'upsert' })).body.status).toBe('done');
    expect((await owner.get(`/users/${imported.id}`)).body.profileId).toBe(other.id);
  });
});

describe.each(DIALECTS)('brute-force lockout (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  const signIn = (slug: string, username: string, password: string) =>
    h.raw('POST', '/auth/sign-in', { account: slug, username, password });

  it('locks after 5 failures in a row, says so whatever the password, and an admin unlocks', async () => {
    const { slug, owner } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    // Failures separated by a success do not add up.
    for (let i = 0; i < 4; i++) expect((await signIn(slug, user.username, 'Wrong-pass-1')).status).toBe(401);
    expect((await signIn(slug, user.username, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      expect((await signIn(slug, user.username, 'Wrong-pass-1')).body.error.code).toBe('InvalidCredentials');
    }
    const fifth = await signIn(slug, user.username, 'Wrong-pass-1');
    expect(fifth.status).toBe(403);
    expect(fifth.body.error.code).toBe('UserLocked');
    const right = await signIn(slug, user.username, PASSWORD);
    const wrong = await signIn(slug, user.username, 'Wrong-pass-2');
    expect(right.status).toBe(403);
    expect(right.body).toEqual(wrong.body);

    const shown = await owner.get(`/users/${user.id}`);
    expect(shown.body.locked).toBe(true);
    expect(shown.body.lockedUntil).toBe(new Date(h.clock.now().getTime() + 15 * 60_000).toISOString());
    expect((await owner.get('/audit?action=auth.locked')).body.items).toHaveLength(1);

    const unlocked = await owner.post(`/users/${user.id}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.locked).toBe(false);
    expect((await signIn(slug, user.username, PASSWORD)).status).toBe(200);
    expect((await owner.get('/audit?action=user.unlock')).body.items).toHaveLength(1);
  });

  it('lifts a lock when its time is up, and the count starts again', async () => {
    const { slug, owner } = await h.newAccount();
    const user = await h.buildUser(owner, { password: PASSWORD });
    for (let i = 0; i < 5; i++) await signIn(slug, user.username, 'Wrong-pass-1');
    expect((await signIn(slug, user.username, PASSWORD)).body.error.code).toBe('UserLocked');
    h.clock.advance(15 * 60_000 + 1000);
    expect((await owner.get(`/users/${user.id}`)).body.locked).toBe(false);
    // One more failure after the lock expired is a first failure, not a sixth.
    expect((await signIn(slug, user.username, 'Wrong-pass-1')).body.error.code).toBe('InvalidCredentials');
    expect((await signIn(slug, user.username, PASSWORD)).status).toBe(200);
  });

  it('lets only admins of the account unlock', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const user = await h.buildUser(a.owner, { password: PASSWORD });
    for (let i = 0; i < 5; i++) await signIn(a.slug, user.username, 'Wrong-pass-1');
    expect((await b.owner.post(`/users/${user.id}/unlock`)).status).toBe(404);
    const standard = await h.buildUser(a.owner, { password: PASSWORD });
    const s = await h.signIn(a.slug, standard.username, PASSWORD);
    expect((await s.post(`/users/${user.id}/unlock`)).status).toBe(403);
    expect((await a.owner.get(`/users/${user.id}`)).body.locked).toBe(true);
  });
});
