// The organization over HTTP: group tree (depth limit, move, delete choices), teams with the main-team rules, can
// manage and review decisions, moving a user with its event, departments and chat groups, call-tracking details.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';
import { csv, runImport, upload } from '../support/import-files.js';

describe.each(DIALECTS)('organization API (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  const group = async (owner: Client, name: string, parentId?: number) => {
    const reply = await owner.post('/groups', { name, ...(parentId ? { parentId } : {}) });
    if (reply.status !== 201) throw new Error(`group ${name}: ${reply.status} ${reply.text}`);
    return reply.body.id as number;
  };

  it('keeps the tree three levels deep, renames, moves, and lists it flat with member counts', async () => {
    const { owner } = await h.newAccount();
    const sales = await group(owner, 'Sales');
    const inbound = await group(owner, 'Inbound', sales);
    const support = await group(owner, 'Support');

    const tooDeep = await owner.post('/groups', { name: 'Night shift', parentId: inbound });
    expect(tooDeep.status).toBe(422);
    expect(tooDeep.body.error).toMatchObject({ code: 'GroupDepthExceeded', fields: [{ path: 'parentId' }] });
    expect(tooDeep.body.error.message).toContain('three levels');

    const twin = await owner.post('/groups', { name: 'inbound', parentId: sales });
    expect(twin.status).toBe(409);
    expect(twin.body.error.code).toBe('GroupNameTaken');
    expect((await owner.post('/groups', { name: '' })).body.error.fields[0].path).toBe('name');

    // A group with subgroups cannot go under another group (its subgroups would be on level 4).
    const deeper = await owner.patch(`/groups/${sales}`, { parentId: support });
    expect(deeper.body.error.code).toBe('GroupDepthExceeded');
    const moved = await owner.patch(`/groups/${inbound}`, { parentId: support, name: 'Inbound calls' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      name: 'Inbound calls',
      parentId: support,
      level: 3,
      path: [{ name: 'Support' }],
    });
    const top = await owner.patch(`/groups/${inbound}`, { parentId: null });
    expect(top.body).toMatchObject({ parentId: null, level: 2 });

    const user = await h.buildUser(owner);
    await owner.post(`/users/${user.id}/teams`, { groupId: support });
    const tree = await owner.get('/groups');
    expect(tree.status).toBe(200);
    expect(tree.body.items).toEqual([
      { id: inbound, parentId: null, name: 'Inbound calls', memberCount: 0 },
      { id: sales, parentId: null, name: 'Sales', memberCount: 0 },
      { id: support, parentId: null, name: 'Support', memberCount: 1 },
    ]);
    const page = await owner.get(`/groups/${support}`);
    expect(page.body.members).toMatchObject([{ id: user.id, isMainTeam: true }]);
  });

  it('deletes a non-empty group only the way the admin chooses', async () => {
    const { owner } = await h.newAccount();
    const sales = await group(owner, 'Sales');
    const inbound = await group(owner, 'Inbound', sales);
    const night = await group(owner, 'Night', sales);
    const a = await h.buildUser(owner);
    const b = await h.buildUser(owner);
    await owner.post(`/users/${a.id}/teams`, { groupId: inbound });
    await owner.post(`/users/${b.id}/teams`, { groupId: night });

    const refused = await owner.del(`/groups/${inbound}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('GroupNotEmpty');
    expect(refused.body.error.message).toContain('1 member(s)');

    // Members move to the parent, which becomes their main team.
    const moved = await owner.request('DELETE', `/groups/${inbound}?mode=move_to_parent`);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ deleted: 1, movedMembers: 1 });
    const teams = await owner.get(`/users/${a.id}/teams`);
    expect(teams.body.teams).toMatchObject([{ id: sales, isMain: true }]);

    // A subgroup may carry its parent's name: it takes the deleted parent's place.
    const desk = await group(owner, 'Desk');
    const deskDesk = await group(owner, 'desk', desk);
    const replaced = await owner.request('DELETE', `/groups/${desk}?mode=move_to_parent`);
    expect(replaced.status).toBe(200);
    expect((await owner.get(`/groups/${deskDesk}`)).body).toMatchObject({ parentId: null, level: 2 });

    // Deleting a level-2 group with its subgroups ends every membership in them.
    const all = await owner.request('DELETE', `/groups/${sales}?mode=delete_all`);
    expect(all.body).toMatchObject({ deleted: 2, endedMemberships: 2 });
    expect((await owner.get(`/users/${b.id}/teams`)).body.teams).toEqual([]);
    expect((await owner.get('/groups')).body.items.map((g: { name: string }) => g.name)).toEqual(['desk']);
    expect((await owner.get(`/groups/${sales}`)).status).toBe(404);
  });

  it('applies the main-team rules through the teams routes (the star), supervisors and can-manage', async () => {
    const { owner } = await h.newAccount();
    const zulu = await group(owner, 'Zulu');
    const alpha = await group(owner, 'Alpha');
    const mike = await group(owner, 'Mike');
    const user = await h.buildUser(owner);
    const first = await owner.post(`/users/${user.id}/teams`, { groupId: zulu });
    expect(first.body.teams).toMatchObject([{ id: zulu, isMain: true }]);
    await owner.post(`/users/${user.id}/teams`, { groupId: mike });
    const third = await owner.post(`/users/${user.id}/teams`, { groupId: alpha });
    expect(third.body.teams.map((t: { name: string; isMain: boolean }) => [t.name, t.isMain])).toEqual([
      ['Zulu', true],
      ['Alpha', false],
      ['Mike', false],
    ]);
    const again = await owner.post(`/users/${user.id}/teams`, { groupId: alpha });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'MembershipUnchanged',
      message: 'Nothing changed: already a member',
    });

    const starred = await owner.request('PUT', `/users/${user.id}/main-team`, { groupId: mike });
    expect(starred.body.teams[0]).toMatchObject({ id: mike, isMain: true });
    const left = await owner.del(`/users/${user.id}/teams/${mike}`);
    expect(left.body.teams[0]).toMatchObject({ id: alpha, isMain: true });
    const notMember = await owner.request('PUT', `/users/${user.id}/main-team`, { groupId: mike });
    expect(notMember.body.error.message).toBe('Nothing changed: not a member of the team');

    const sup = await owner.post(`/users/${user.id}/supervised-teams`, { groupId: zulu });
    expect(sup.body.supervises).toMatchObject([{ id: zulu }]);
    const page = await owner.get(`/groups/${zulu}`);
    expect(page.body.supervisors).toMatchObject([{ id: user.id }]);
    const manage = await owner.post(`/users/${user.id}/can-manage`, { groupId: mike });
    expect(manage.body.canManage).toMatchObject([{ id: mike }]);
    const unmanage = await owner.del(`/users/${user.id}/can-manage/${mike}`);
    expect(unmanage.body.canManage).toEqual([]);
  });

  it('answers review and conversation decisions: direct members yes, subgroup members no, roles required', async () => {
    const { owner } = await h.newAccount();
    const sales = await group(owner, 'Sales');
    const inbound = await group(owner, 'Inbound', sales);
    const reviewer = await h.buildUser(owner);
    const plain = await h.buildUser(owner);
    const direct = await h.buildUser(owner);
    const nested = await h.buildUser(owner);
    await owner.post(`/users/${direct.id}/teams`, { groupId: sales });
    await owner.post(`/users/${nested.id}/teams`, { groupId: inbound });
    for (const u of [reviewer, plain]) {
      await owner.post(`/users/${u.id}/can-manage`, { groupId: sales });
      await owner.post(`/users/${u.id}/licenses`, { application: 'quality_management' });
    }
    const apps = await owner.get('/applications');
    const qm = apps.body.items.find((a: { key: string }) => a.key === 'quality_management');
    const supervisor = qm.roles.find((r: { name: string }) => r.name === 'DEFAULT_SUPERVISOR');
    expect((await owner.post(`/users/${reviewer.id}/roles`, { roleIds: [supervisor.id] })).status).toBe(200);

    const key = (await owner.post('/api-keys', { name: 'Quality Management' })).body.key as string;
    const ask = (questions: unknown[]) =>
      h.raw('POST', '/decisions/batch', { questions }, { authorization: `Bearer ${key}` });
    const review = 'quality_management:evaluation.create';
    const view = 'quality_management:interaction.read';
    const answers = await ask([
      { userId: reviewer.id, action: review, resource: { ownerId: direct.id, groupId: sales } },
      { userId: reviewer.id, action: review, resource: { ownerId: nested.id, groupId: sales } },
      { userId: reviewer.id, action: review, resource: { ownerId: nested.id, groupId: inbound } },
      { userId: plain.id, action: review, resource: { ownerId: direct.id, groupId: sales } },
      { userId: reviewer.id, action: view, resource: { ownerId: direct.id, groupId: sales } },
      { userId: plain.id, action: view, resource: { ownerId: direct.id, groupId: sales } },
    ]);
    expect(answers.status).toBe(200);
    const [yes, subgroupOfManaged, unmanaged, noRoles, sees, seesNot] = answers.body.results;
    expect(yes).toMatchObject({ allowed: true, reason: { code: 'Allowed', role: 'EVAL_AGENTS + CREATE_EVALS' } });
    expect(subgroupOfManaged).toMatchObject({ allowed: false, reason: { code: 'OutOfScope' } });
    expect(subgroupOfManaged.reason.message).toContain('direct members');
    expect(unmanaged).toMatchObject({ allowed: false, reason: { code: 'OutOfScope' } });
    expect(noRoles).toMatchObject({ allowed: false, reason: { code: 'NoRole' } });
    expect(noRoles.reason.message).toContain('EVAL_AGENTS + CREATE_EVALS');
    expect(sees).toMatchObject({ allowed: true, reason: { role: 'INTERACTIONS_GROUP_VIEW' } });
    expect(seesNot).toMatchObject({ allowed: false, reason: { code: 'NoRole' } });
    expect(seesNot.reason.message).toContain('INTERACTIONS_GROUP_VIEW');

    // Taking the group away takes the review away.
    await owner.del(`/users/${reviewer.id}/can-manage/${sales}`);
    const after = await ask([
      { userId: reviewer.id, action: review, resource: { ownerId: direct.id, groupId: sales } },
    ]);
    expect(after.body.results[0]).toMatchObject({ allowed: false, reason: { code: 'OutOfScope' } });
  });

  it('moves a user with an event the applications read with their key', async () => {
    const { owner } = await h.newAccount();
    const sales = await group(owner, 'Sales');
    const support = await group(owner, 'Support');
    const extra = await group(owner, 'Extra');
    const user = await h.buildUser(owner);
    await owner.post(`/users/${user.id}/teams`, { groupId: sales });
    await owner.post(`/users/${user.id}/teams`, { groupId: extra });

    const moved = await owner.post(`/users/${user.id}/move`, { toGroupId: support, moveCalls: true });
    expect(moved.status).toBe(200);
    expect(moved.body.teams.teams.map((t: { name: string; isMain: boolean }) => [t.name, t.isMain])).toEqual([
      ['Support', true],
      ['Extra', false],
    ]);
    expect(moved.body.event).toMatchObject({
      type: 'user.moved',
      payload: { userId: user.id, fromGroupId: sales, toGroupId: support, moveCalls: true },
    });
    const same = await owner.post(`/users/${user.id}/move`, { toGroupId: support });
    expect(same.body.error.code).toBe('SameGroup');
    const notIn = await owner.post(`/users/${user.id}/move`, { toGroupId: sales, fromGroupId: sales });
    expect(notIn.body.error).toMatchObject({ code: 'NotAMember', fields: [{ path: 'fromGroupId' }] });
    await owner.post(`/users/${user.id}/move`, { toGroupId: sales, fromGroupId: extra });

    const key = (await owner.post('/api-keys', { name: 'Call Recording' })).body.key as string;
    const read = (query: string) => h.raw('GET', `/events${query}`, undefined, { authorization: `Bearer ${key}` });
    // Every other change of the user writes its events too (see user-events.test.ts): these read the moves only.
    const all = await read('?after=0&type=user.moved');
    expect(all.status).toBe(200);
    expect(all.body.items.map((e: { payload: { moveCalls: boolean } }) => e.payload.moveCalls)).toEqual([true, false]);
    const rest = await read(`?after=${all.body.items[0].id}&type=user.moved`);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.items[0].payload).toMatchObject({ fromGroupId: extra, toGroupId: sales });
    expect((await read(`?after=${all.body.nextAfter}`)).body.items).toEqual([]);
    expect((await owner.get('/events?type=user.moved')).body.items).toHaveLength(2);

    // Another account's key sees none of it; a standard user may not read events.
    const other = await h.newAccount();
    const otherKey = (await other.owner.post('/api-keys', { name: 'x' })).body.key as string;
    const foreign = await h.raw('GET', '/events', undefined, { authorization: `Bearer ${otherKey}` });
    // Only its own owner's creation.
    expect(foreign.body.items.map((e: { type: string }) => e.type)).toEqual(['user.created']);
    expect(foreign.body.items.some((e: { userId: number }) => e.userId === user.id)).toBe(false);
  });

  it('manages departments (auto-created, renamed with their users, deleted when unused) and chat groups', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { department: 'Support Desk' });
    let list = await owner.get('/departments');
    expect(list.body.items).toMatchObject([{ name: 'Support Desk', userCount: 1 }]);
    const created = await owner.post('/departments', { name: 'Billing' });
    expect(created.status).toBe(201);
    expect((await owner.post('/departments', { name: 'Billing' })).body.error.code).toBe('DepartmentNameTaken');

    const desk = list.body.items[0].id;
    const renamed = await owner.patch(`/departments/${desk}`, { name: 'Customer Care' });
    expect(renamed.body).toMatchObject({ name: 'Customer Care', userCount: 1 });
    expect((await owner.get(`/users/${user.id}`)).body.department).toBe('Customer Care');
    const found = await owner.get('/users?q=care');
    expect(found.body.items.map((u: { id: number }) => u.id)).toEqual([user.id]);
    expect((await owner.get('/users?q=desk')).body.items).toEqual([]);
    expect((await owner.get('/users/facets')).body.departments).toEqual(['Customer Care']);

    const chat = await owner.post('/chat-groups', { name: 'Escalations', departmentIds: [desk, created.body.id] });
    expect(chat.status).toBe(201);
    expect(chat.body.departments.map((d: { name: string }) => d.name)).toEqual(['Billing', 'Customer Care']);
    const badLink = await owner.post('/chat-groups', { name: 'Other', departmentIds: [999999] });
    expect(badLink.body.error.fields[0].path).toBe('departmentIds');

    const inUse = await owner.del(`/departments/${desk}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('DepartmentInUse');
    expect(inUse.body.error.message).toContain('1 user(s)');
    expect(inUse.body.error.message).toContain('Escalations');
    await owner.patch(`/chat-groups/${chat.body.id}`, { departmentIds: [created.body.id] });
    await owner.patch(`/users/${user.id}`, { department: 'Field Sales' });
    expect((await owner.del(`/departments/${desk}`)).status).toBe(204);
    list = await owner.get('/departments');
    expect(list.body.items.map((d: { name: string }) => d.name)).toEqual(['Billing', 'Field Sales']);
    expect(list.body.items[0].chatGroups).toMatchObject([{ name: 'Escalations' }]);
  });

  it('creates the departments an import names', async () => {
    const { owner } = await h.newAccount();
    await owner.post('/departments', { name: 'Sales' });
    const file = csv([
      ['Username', 'Full Name', 'Department'],
      ['imp.one', 'Imp One', 'Sales'],
      ['imp.two', 'Imp Two', 'Night Desk'],
    ]);
    const preview = await upload(h, owner, 'people.csv', file);
    expect(preview.status).toBe(201);
    const done = await runImport(owner, preview.body.id);
    expect(done.body.status).toBe('done');
    const list = await owner.get('/departments');
    expect(list.body.items.map((d: { name: string; userCount: number }) => [d.name, d.userCount])).toEqual([
      ['Night Desk', 1],
      ['Sales', 1],
    ]);
  });

  it('stores the call-tracking details and permissions of a user', async () => {
    const { owner } = await h.newAccount();
    const east = await group(owner, 'East');
    const west = await group(owner, 'West');
    const created = await owner.post('/users', {
      username: 'ct.agent',
      firstName: 'Call',
      nicknames: ['Cal', 'CT'],
      agentId: 'A-1001',
      ringTo: '+1 555 0100',
      scoringEnabled: true,
      roamingAgent: true,
      reportingAccess: 'groups',
      audioAccess: 'listen',
      scoringAccess: 'score',
      visibleGroupIds: [east, west],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      nicknames: ['Cal', 'CT'],
      agentId: 'A-1001',
      ringTo: '+1 555 0100',
      scoringEnabled: true,
      roamingAgent: true,
      reportingAccess: 'groups',
      audioAccess: 'listen',
      scoringAccess: 'score',
      visibleGroupIds: [east, west],
    });
    const id = created.body.id;
    const edited = await owner.patch(`/users/${id}`, {
      visibleGroupIds: [west],
      roamingAgent: false,
      audioAccess: 'download',
    });
    expect(edited.body).toMatchObject({ visibleGroupIds: [west], roamingAgent: false, audioAccess: 'download' });
    expect((await owner.get(`/users/${id}`)).body.visibleGroupIds).toEqual([west]);
    const bad = await owner.patch(`/users/${id}`, { audioAccess: 'everything', ringTo: 'call me' });
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['audioAccess', 'ringTo']);

    const other = await h.newAccount();
    const theirs = await group(other.owner, 'Theirs');
    const foreign = await owner.patch(`/users/${id}`, { visibleGroupIds: [theirs] });
    expect(foreign.body.error.fields[0].path).toBe('visibleGroupIds');
    const audit = await owner.get(`/audit?targetId=${id}&action=user.update`);
    expect(audit.body.items[0].after).toMatchObject({ visibleGroupIds: [west], audioAccess: 'download' });
  });

  it('keeps accounts apart and lets only admins manage the organization', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const theirs = await group(a.owner, 'Secret team');
    const theirUser = await h.buildUser(a.owner);
    const mine = await h.buildUser(b.owner);
    expect((await b.owner.get(`/groups/${theirs}`)).status).toBe(404);
    expect((await b.owner.patch(`/groups/${theirs}`, { name: 'Hacked' })).status).toBe(404);
    expect((await b.owner.del(`/groups/${theirs}`)).status).toBe(404);
    expect((await b.owner.post('/groups', { name: 'Sub', parentId: theirs })).status).toBe(404);
    expect((await b.owner.post(`/users/${mine.id}/teams`, { groupId: theirs })).status).toBe(404);
    expect((await b.owner.post(`/users/${theirUser.id}/teams`, { groupId: theirs })).status).toBe(404);
    expect((await b.owner.post(`/users/${mine.id}/move`, { toGroupId: theirs })).status).toBe(404);
    expect((await b.owner.get(`/users/${theirUser.id}/teams`)).status).toBe(404);
    expect((await b.owner.get('/groups')).body.items).toEqual([]);

    await h.buildUser(a.owner, { username: 'plain.agent', password: 'Plain-pass-2026!' });
    const agent = await h.signIn(a.slug, 'plain.agent', 'Plain-pass-2026!');
    expect((await agent.get('/groups')).status).toBe(403);
    expect((await agent.post('/groups', { name: 'Mine' })).status).toBe(403);
    expect((await agent.get('/departments')).status).toBe(403);
    expect((await agent.get('/events')).status).toBe(403);
  });

  it('describes the organization routes in the OpenAPI document', async () => {
    const doc = await h.raw('GET', '/openapi.json');
    const paths = Object.keys(doc.body.paths);
    for (const path of [
      '/groups',
      '/groups/{id}',
      '/users/{id}/teams',
      '/users/{id}/teams/{groupId}',
      '/users/{id}/main-team',
      '/users/{id}/can-manage',
      '/users/{id}/move',
      '/events',
      '/departments',
      '/chat-groups/{id}',
    ]) {
      expect(paths).toContain(path);
    }
    expect(doc.body.components.schemas.User.properties.agentId.type).toBe('string');
    expect(doc.body.components.schemas.GroupTree).toBeDefined();
  });
});
