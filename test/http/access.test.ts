import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsersInBulk } from '../../server/services/user-bulk-insert.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness } from '../support/harness.js';

type Row = { action: string; admin: [boolean, boolean]; standard: [boolean, boolean]; no_access: [boolean, boolean] };

// Seed 000's table, every row, as [own, other user's]; Roster actions ask about the resource owner the same way.
const VA = 'voice_analytics';
const MATRIX: Row[] = [
  // Own recordings CAN be transcribed and analyzed (an admin can still switch it off).
  { action: `${VA}:recording.analyze`, admin: [true, false], standard: [true, false], no_access: [true, false] },
  ...['recording', 'transcription', 'analysis'].flatMap((type) => [
    // Can query and access own / all recordings, transcriptions, analysis.
    { action: `${VA}:${type}.read`, admin: [true, true], standard: [true, false], no_access: [false, false] } as Row,
    // Can delete own recordings, transcriptions, analysis.
    { action: `${VA}:${type}.delete`, admin: [true, false], standard: [true, false], no_access: [false, false] } as Row,
  ]),
  // Can rate own transcriptions.
  { action: `${VA}:transcription.rate`, admin: [true, false], standard: [true, false], no_access: [false, false] },
  // Can access user management.
  { action: 'roster:users.manage', admin: [true, true], standard: [false, false], no_access: [false, false] },
  // Can access the Dashboard.
  { action: `${VA}:dashboard.view`, admin: [true, true], standard: [true, true], no_access: [false, false] },
  // Can apply a filter on own / all recordings in the Dashboard.
  { action: `${VA}:dashboard.filter`, admin: [true, true], standard: [true, false], no_access: [false, false] },
  // Can create an alarm for specific sentiments or words/sentences.
  { action: `${VA}:alarm.create`, admin: [true, true], standard: [false, false], no_access: [false, false] },
];

// The other access types, as Roster's policy defines them (seed 000 names only the three above).
const OTHERS: Record<string, (action: string, own: boolean) => boolean> = {
  // Read-only: look at own recordings and the dashboard, change nothing.
  read_only: (action, own) =>
    action.endsWith('.analyze') ? own : /\.(read|filter)$/.test(action) ? own : action.endsWith('dashboard.view'),
  identified_only: (action, own) => action.endsWith('.analyze') && own,
  scorer: (action, own) => action.endsWith('.analyze') && own,
};

describe.each(DIALECTS)('access decisions (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  async function newKey(owner: Client) {
    const created = await owner.post('/api-keys', { name: 'Voice Analytics' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const ask = (path: string, body?: unknown, method = 'POST') =>
      h.raw(method, path, body, { authorization: `Bearer ${key}` });
    return { key, ask, id: created.body.id as number };
  }

  it('answers the whole voice-analytics matrix of seed 000 for every access type, own and other', async () => {
    const { owner } = await h.newAccount();
    const types = ['admin', 'standard', 'no_access', 'read_only', 'identified_only', 'scorer'];
    const users: Record<string, { id: number }> = {};
    for (const accessType of types) {
      users[accessType] = await h.buildUser(owner, { accessType });
      const granted = await owner.post(`/users/${users[accessType]?.id}/licenses`, { application: VA });
      expect(granted.status).toBe(200);
    }
    const stranger = await h.buildUser(owner);
    const { ask } = await newKey(owner);

    const questions: { userId: number; action: string; resource: { ownerId: number } }[] = [];
    const expected: boolean[] = [];
    const labels: string[] = [];
    for (const accessType of types) {
      for (const row of MATRIX) {
        for (const own of [true, false]) {
          const user = users[accessType] as { id: number };
          questions.push({ userId: user.id, action: row.action, resource: { ownerId: own ? user.id : stranger.id } });
          const known = (row as unknown as Record<string, [boolean, boolean]>)[accessType];
          const roster = row.action.startsWith('roster:');
          expected.push(
            known
              ? known[own ? 0 : 1]
              : roster
                ? false
                : (OTHERS[accessType] as (a: string, o: boolean) => boolean)(row.action, own),
          );
          labels.push(`${accessType} ${row.action} ${own ? 'own' : 'other'}`);
        }
      }
    }
    const reply = await ask('/decisions/batch', { questions });
    expect(reply.status).toBe(200);
    const got = (reply.body.results as { allowed: boolean }[]).map((r, i) => `${labels[i]}: ${r.allowed}`);
    expect(got).toEqual(expected.map((allowed, i) => `${labels[i]}: ${allowed}`));

    // Reasons name the rule, the role and where the role comes from.
    const admin = users.admin as { id: number };
    const single = await ask('/decisions', {
      userId: admin.id,
      action: `${VA}:recording.read`,
      resource: { type: 'recording', ownerId: stranger.id },
    });
    expect(single.body).toMatchObject({
      allowed: true,
      reason: {
        code: 'Allowed',
        rule: 'voice_analytics.recording.read.any',
        role: 'VA_READ_ALL',
        via: 'VA_ALL_RECORDINGS (access type Admin)',
      },
    });
    const standard = users.standard as { id: number };
    const denied = await ask('/decisions', {
      userId: standard.id,
      action: `${VA}:recording.read`,
      resource: { ownerId: stranger.id },
    });
    expect(denied.body).toMatchObject({
      allowed: false,
      reason: { code: 'OutOfScope', rule: 'voice_analytics.recording.read.own' },
    });
  });

  it('answers a batch about many users, and about users of another account as unknown', async () => {
    const { owner, accountId } = await h.newAccount();
    const other = await h.newAccount();
    const many = Array.from({ length: 45 }, (_, i) => ({
      username: `many.${i}`,
      firstName: 'Many',
      accessType: i % 3 === 0 ? 'admin' : 'standard',
      enabled: i % 5 !== 4,
    }));
    await insertUsersInBulk(h.ctx.database, accountId, many);
    const stranger = await h.buildUser(other.owner);
    const ids = await h.ctx.database.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('account_id', '=', accountId)
      .where('username', 'like', 'many.%')
      .execute();
    const idOf = new Map(ids.map((row) => [row.username, row.id]));
    const { ask, key } = await newKey(owner);
    const questions = many.map((u) => ({ userId: idOf.get(u.username) as number, action: 'roster:users.manage' }));
    questions.push({ userId: stranger.id, action: 'roster:users.manage' });
    const reply = await ask('/decisions/batch', { questions });
    expect(reply.status).toBe(200);
    const expected = many.map((u) => u.accessType === 'admin' && u.enabled);
    expect(reply.body.results.map((r: { allowed: boolean }) => r.allowed)).toEqual([...expected, false]);
    expect(reply.body.results.at(-1).reason.code).toBe('UnknownUser');
    // The same batch twice (the statement is reused) gives the same answers.
    const again = await ask('/decisions/batch', { questions });
    expect(again.body).toEqual(reply.body);

    // Validated like every other body: each bad field named, malformed JSON and other media types refused.
    const bad = await ask('/decisions/batch', { questions: [{ userId: 1, action: 'read everything' }, {}], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ValidationFailed');
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      '(body)',
      'questions.0.action',
      'questions.1.action',
    ]);
    expect((await ask('/decisions/batch', { questions: [] })).body.error.fields[0]).toEqual({
      path: 'questions',
      message: 'Ask at least one question',
    });
    expect((await ask('/decisions/batch', '{"questions": [')).body.error.code).toBe('MalformedJson');
    const plain = await h.raw('POST', '/decisions/batch', undefined, {
      authorization: `Bearer ${key}`,
      'content-type': 'text/plain',
    });
    expect([plain.status, plain.body.error.code]).toEqual([415, 'UnsupportedMediaType']);
    const doc = await h.raw('GET', '/openapi.json');
    expect(doc.body.paths['/decisions/batch'].post.requestBody.content['application/json'].schema).toBeTruthy();
  });

  it('lets an admin switch off transcription and analysis for a user', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { accessType: 'no_access' });
    await owner.post(`/users/${user.id}/licenses`, { application: VA });
    const { ask } = await newKey(owner);
    const analyze = () =>
      ask('/decisions', { userId: user.id, action: `${VA}:recording.analyze`, resource: { ownerId: user.id } });
    expect((await analyze()).body.allowed).toBe(true);
    const off = await owner.patch(`/users/${user.id}/app-settings/analysis`, { analysisEnabled: false });
    expect(off.status).toBe(200);
    expect(off.body.analysisEnabled).toBe(false);
    expect((await analyze()).body).toMatchObject({ allowed: false, reason: { code: 'AnalysisDisabled' } });
    const audit = await owner.get(`/audit?action=user.analysis.update&targetId=${user.id}`);
    expect(audit.body.items[0]).toMatchObject({ before: { analysisEnabled: true }, after: { analysisEnabled: false } });
  });

  it('denies without a license, for disabled users, unknown users and unknown actions', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { accessType: 'admin' });
    const { ask } = await newKey(owner);
    const q = (action: string, userId = user.id) => ({ userId, action, resource: { ownerId: userId } });
    let reply = await ask('/decisions/batch', {
      questions: [q(`${VA}:recording.read`), q(`${VA}:nothing.here`), q(`${VA}:recording.read`, 999_999)],
    });
    expect(reply.body.results.map((r: { reason: { code: string } }) => r.reason.code)).toEqual([
      'NotLicensed',
      'UnknownAction',
      'UnknownUser',
    ]);
    await owner.post(`/users/${user.id}/licenses`, { application: VA });
    await owner.patch(`/users/${user.id}`, { enabled: false });
    reply = await ask('/decisions', q(`${VA}:recording.read`));
    expect(reply.body).toMatchObject({ allowed: false, reason: { code: 'UserDisabled' } });
    const invalid = await ask('/decisions', { action: 'no colon' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['action', 'userId']);
  });

  it('maps access types into each application: chat Agent, Administrator and the unique Owner', async () => {
    const { owner } = await h.newAccount();
    const agent = await h.buildUser(owner, { accessType: 'standard', username: 'agent.smith' });
    const admin = await h.buildUser(owner, { accessType: 'admin' });
    for (const u of [agent, admin]) await owner.post(`/users/${u.id}/licenses`, { application: 'chat' });
    const session = await owner.get('/session');
    await owner.post(`/users/${session.body.user.id}/licenses`, { application: 'chat' });
    const { ask } = await newKey(owner);
    const reply = await ask('/decisions/batch', {
      questions: [
        { username: 'agent.smith', action: 'chat:chat.engage' },
        { username: 'Agent.Smith', action: 'chat:conversation.archive' },
        { userId: admin.id, action: 'chat:conversation.archive' },
        { userId: admin.id, action: 'chat:tenant.manage' },
        { userId: session.body.user.id, action: 'chat:tenant.manage' },
      ],
    });
    expect(reply.body.results.map((r: { allowed: boolean }) => r.allowed)).toEqual([true, false, true, false, true]);
    expect(reply.body.results[4].reason).toMatchObject({ role: 'OWNER', via: 'OWNER (Owner)' });

    const roles = await owner.get(`/users/${admin.id}/roles`);
    const chat = roles.body.fromAccessType.find((r: { application: string }) => r.application === 'chat');
    expect(chat).toMatchObject({ name: 'ADMINISTRATOR', via: 'admin' });
    const effectiveChat = roles.body.effective
      .filter((r: { application: string }) => r.application === 'chat')
      .map((r: { name: string }) => r.name);
    expect(effectiveChat).toEqual(['AGENT', 'ADMINISTRATOR']);

    // Nobody else can be made an owner: not through a role mapping, nor through a composite that contains OWNER.
    const apps = await owner.get('/applications');
    const chatRoles = apps.body.items.find((a: { key: string }) => a.key === 'chat').roles;
    const ownerRole = chatRoles.find((r: { name: string }) => r.name === 'OWNER');
    const given = await owner.post(`/users/${admin.id}/roles`, { roleIds: [ownerRole.id] });
    expect(given.status).toBe(409);
    expect(given.body.error.code).toBe('OwnerRoleUnique');
    const sneaky = await owner.post('/roles', {
      application: 'chat',
      name: 'BOSS',
      composite: true,
      children: [ownerRole.id],
    });
    expect(sneaky.status).toBe(409);
    const patch = await owner.patch(`/users/${admin.id}`, { isOwner: true });
    expect(patch.status).toBe(400);
    await expect(
      h.ctx.database.db.updateTable('users').set({ is_owner: 1 }).where('id', '=', admin.id).execute(),
    ).rejects.toThrow();
  });

  it('expands nested composites, refuses cycles with a clear error, and lets admins add their own roles', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { accessType: 'standard' });
    const apps = await owner.get('/applications');
    const qm = apps.body.items.find((a: { key: string }) => a.key === 'quality_management');
    const role = (name: string) => qm.roles.find((r: { name: string }) => r.name === name);
    expect(role('DEFAULT_CC_MANAGER').effective).toEqual(
      expect.arrayContaining([
        'DEFAULT_SUPERVISOR',
        'DEFAULT_TEAM_LEADER',
        'EVAL_AGENTS',
        'CREATE_EVALS',
        'INTERACTIONS_GROUP_VIEW',
      ]),
    );
    expect(role('EVAL_AGENTS').can).toEqual({ update: false, delete: false });

    const plain = await owner.post('/roles', {
      application: 'quality_management',
      name: 'coach calls',
      description: 'Coaching',
    });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({
      name: 'COACH_CALLS',
      composite: false,
      builtIn: false,
      can: { update: true, delete: true },
    });
    const bad = await owner.post('/roles', {
      application: 'quality_management',
      name: '9 lives',
      composite: false,
      children: [1],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['children', 'name']);
    const taken = await owner.post('/roles', { application: 'quality_management', name: 'EVAL_AGENTS' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'RoleExists', fields: [{ path: 'name' }] });

    const a = await owner.post('/roles', {
      application: 'quality_management',
      name: 'LEAD_A',
      composite: true,
      children: [role('DEFAULT_SUPERVISOR').id, plain.body.id],
    });
    const b = await owner.post('/roles', {
      application: 'quality_management',
      name: 'LEAD_B',
      composite: true,
      children: [a.body.id],
    });
    expect(b.body.effective).toEqual(
      expect.arrayContaining(['LEAD_A', 'DEFAULT_SUPERVISOR', 'DEFAULT_AGENT', 'EVAL_AGENTS', 'COACH_CALLS']),
    );

    const cycle = await owner.patch(`/roles/${a.body.id}`, { children: [b.body.id] });
    expect(cycle.status).toBe(409);
    expect(cycle.body.error.code).toBe('RoleCycle');
    expect(cycle.body.error.message).toBe(
      'LEAD_A cannot contain LEAD_B: that would make a cycle (LEAD_A → LEAD_B → LEAD_A)',
    );
    expect(cycle.body.error.fields[0].path).toBe('children');
    const self = await owner.patch(`/roles/${a.body.id}`, { children: [a.body.id] });
    expect(self.body.error.code).toBe('RoleCycle');
    const builtIn = await owner.patch(`/roles/${role('DEFAULT_SUPERVISOR').id}`, { children: [] });
    expect(builtIn.body.error.code).toBe('BuiltInRole');
    const crossApp = await owner.post('/roles', {
      application: 'chat',
      name: 'MIXED',
      composite: true,
      children: [plain.body.id],
    });
    expect(crossApp.status).toBe(400);

    // Assign a composite and a plain role: effective roles show every expansion and where each comes from.
    const assigned = await owner.post(`/users/${user.id}/roles`, { roleIds: [b.body.id, role('FILE_UPLOAD').id] });
    expect(assigned.status).toBe(200);
    expect(assigned.body.assigned.map((r: { name: string }) => r.name)).toEqual(['FILE_UPLOAD', 'LEAD_B']);
    const evalAgents = assigned.body.effective.find((r: { name: string }) => r.name === 'EVAL_AGENTS');
    expect(evalAgents.from).toEqual(['LEAD_B']);

    await owner.post(`/users/${user.id}/licenses`, { application: 'quality_management' });
    const { ask } = await newKey(owner);
    const review = await ask('/decisions/batch', {
      questions: [
        { userId: user.id, action: 'quality_management:file.upload' },
        { userId: user.id, action: 'quality_management:report.view' },
        { userId: user.id, action: 'quality_management:forecast.edit' },
        // Reviewing needs a group the user can manage: none yet.
        { userId: user.id, action: 'quality_management:evaluation.create', resource: { ownerId: 5, groupId: 1 } },
      ],
    });
    expect(review.body.results.map((r: { allowed: boolean }) => r.allowed)).toEqual([true, true, false, false]);
    expect(review.body.results[1].reason.via).toBe('LEAD_B (role mapping)');
    expect(review.body.results[3].reason).toMatchObject({ code: 'OutOfScope', role: 'EVAL_AGENTS + CREATE_EVALS' });

    // Changing a composite changes decisions at once (the cached catalog notices the new version).
    await owner.patch(`/roles/${a.body.id}`, { children: [plain.body.id] });
    const after = await ask('/decisions', { userId: user.id, action: 'quality_management:report.view' });
    expect(after.body).toMatchObject({ allowed: false, reason: { code: 'NoRole' } });

    const removed = await owner.del(`/users/${user.id}/roles/${b.body.id}`);
    expect(removed.body.assigned.map((r: { name: string }) => r.name)).toEqual(['FILE_UPLOAD']);
    expect((await owner.del(`/roles/${b.body.id}`)).status).toBe(204);
    expect((await owner.del(`/roles/${role('EVAL_AGENTS').id}`)).body.error.code).toBe('BuiltInRole');
    const log = await owner.get('/audit?action=role.create');
    expect(log.body.items.map((e: { target: { label: string } }) => e.target.label)).toContain(
      'quality_management/LEAD_B',
    );
  });

  it('answers from role mappings and the analysis switch as they change, one by one, in bulk and by role deletion', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner, { accessType: 'standard' });
    const other = await h.buildUser(owner, { accessType: 'standard' });
    for (const who of [user, other]) {
      await owner.post(`/users/${who.id}/licenses`, { application: 'quality_management' });
      await owner.post(`/users/${who.id}/licenses`, { application: VA });
    }
    const apps = await owner.get('/applications');
    const qm = apps.body.items.find((a: { key: string }) => a.key === 'quality_management');
    const role = (name: string) => qm.roles.find((r: { name: string }) => r.name === name).id as number;
    const { ask } = await newKey(owner);
    const allowed = async (action: string, who = user) =>
      (
        await ask('/decisions/batch', {
          questions: [{ userId: who.id, action: `quality_management:${action}` }],
        })
      ).body.results[0].allowed as boolean;

    const uploaders = await owner.post('/roles', {
      application: 'quality_management',
      name: 'UPLOADERS',
      composite: true,
      children: [role('FILE_UPLOAD')],
    });
    await owner.post(`/users/${user.id}/roles`, { roleIds: [uploaders.body.id, role('FORECAST_EDIT')] });
    expect(await allowed('file.upload')).toBe(true);
    expect(await allowed('file.upload', other)).toBe(false);

    const bulk = (action: string) =>
      owner.post('/users/bulk', { action, selection: { ids: [user.id, other.id] }, roleId: role('REPORTS_VIEW') });
    expect((await bulk('assign_role')).status).toBe(200);
    expect([await allowed('report.view'), await allowed('report.view', other)]).toEqual([true, true]);
    expect((await bulk('unassign_role')).status).toBe(200);
    expect([await allowed('report.view'), await allowed('report.view', other)]).toEqual([false, false]);

    // A deleted role takes its mappings along, and a role created after it does not inherit them.
    expect((await owner.del(`/roles/${uploaders.body.id}`)).status).toBe(204);
    expect(await allowed('file.upload')).toBe(false);
    await owner.post('/roles', {
      application: 'quality_management',
      name: 'UPLOADERS_TOO',
      composite: true,
      children: [role('FILE_UPLOAD')],
    });
    expect(await allowed('file.upload')).toBe(false);
    expect(await allowed('forecast.edit')).toBe(true);
    expect((await owner.del(`/users/${user.id}/roles/${role('FORECAST_EDIT')}`)).status).toBe(200);
    expect(await allowed('forecast.edit')).toBe(false);

    // Users with the same facts, asked the same question in one batch: whose resource it is still counts.
    const twins = [
      await h.buildUser(owner, { accessType: 'standard' }),
      await h.buildUser(owner, { accessType: 'standard' }),
    ];
    for (const twin of twins) await owner.post(`/users/${twin.id}/licenses`, { application: VA });
    const [a, b] = twins as [{ id: number }, { id: number }];
    const read = `${VA}:recording.read`;
    const same = await ask('/decisions/batch', {
      questions: [
        { userId: a.id, action: read, resource: { ownerId: a.id } },
        { userId: b.id, action: read, resource: { ownerId: a.id } },
        { userId: b.id, action: read, resource: { ownerId: b.id } },
        { userId: b.id, action: read },
      ],
    });
    expect(same.body.results.map((r: { allowed: boolean; userId: number }) => [r.userId, r.allowed])).toEqual([
      [a.id, true],
      [b.id, false],
      [b.id, true],
      [b.id, false],
    ]);

    const analyze = async () =>
      (await ask('/decisions', { userId: user.id, action: `${VA}:recording.analyze`, resource: { ownerId: user.id } }))
        .body.allowed;
    await owner.patch(`/users/${user.id}/app-settings/analysis`, { analysisEnabled: false });
    expect(await analyze()).toBe(false);
    await owner.patch(`/users/${user.id}/app-settings/chat`, { tag: 'night shift' });
    expect(await analyze()).toBe(false);
    await owner.patch(`/users/${user.id}/app-settings/analysis`, { analysisEnabled: true });
    expect(await analyze()).toBe(true);
  });

  it('refuses Scorer from the console, in both directions, and allows it through the API', async () => {
    const { owner } = await h.newAccount();
    const console = { 'x-roster-client': 'console' };
    const refused = await owner.request(
      'POST',
      '/users',
      { username: 'sc1', firstName: 'S', accessType: 'scorer' },
      console,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'ScorerApiOnly', fields: [{ path: 'accessType' }] });
    const viaApi = await owner.post('/users', { username: 'sc1', firstName: 'S', accessType: 'scorer' });
    expect(viaApi.status).toBe(201);
    const demote = await owner.request('PATCH', `/users/${viaApi.body.id}`, { accessType: 'standard' }, console);
    expect(demote.status).toBe(403);
    const other = await h.buildUser(owner);
    const promote = await owner.request('PATCH', `/users/${other.id}`, { accessType: 'scorer' }, console);
    expect(promote.status).toBe(403);
    // The console may still edit a Scorer's other fields.
    const edit = await owner.request(
      'PATCH',
      `/users/${viaApi.body.id}`,
      { department: 'QA', accessType: 'scorer' },
      console,
    );
    expect(edit.status).toBe(200);
    expect((await owner.patch(`/users/${viaApi.body.id}`, { accessType: 'standard' })).status).toBe(200);
    // Scorer maps to the Quality Management scorer composite.
    await owner.patch(`/users/${other.id}`, { accessType: 'scorer' });
    const roles = await owner.get(`/users/${other.id}/roles`);
    expect(roles.body.fromAccessType.map((r: { name: string }) => r.name)).toEqual(['DEFAULT_SCORER']);
  });

  it('authenticates applications with keys that are shown once and may do nothing else', async () => {
    const { owner, accountId } = await h.newAccount();
    const user = await h.buildUser(owner, { accessType: 'admin' });
    const { key, ask, id } = await newKey(owner);
    expect(key).toMatch(/^rst_[A-Za-z0-9_-]{43}$/);
    const list = await owner.get('/api-keys');
    expect(list.text).not.toContain(key);
    expect(list.body.items[0]).toMatchObject({ id, name: 'Voice Analytics', hint: `rst_…${key.slice(-4)}` });
    const stored = await h.ctx.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key.slice(4));
    const audit = await owner.get('/audit?action=api_key.create');
    expect(audit.text).not.toContain(key);

    // No CSRF token needed with a key; nothing but decisions and access profiles.
    expect((await ask('/decisions', { userId: user.id, action: 'roster:users.manage' })).body.allowed).toBe(true);
    const profile = await ask(`/access-profiles/${user.id}`, undefined, 'GET');
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({
      id: user.id,
      accessType: 'admin',
      chat: { status: 'available', chatLimit: -1 },
    });
    expect(profile.body.applications.chat.roles).toEqual(['ADMINISTRATOR', 'AGENT']);
    const byName = await ask(`/access-profiles?username=${user.username}`, undefined, 'GET');
    expect(byName.body.id).toBe(user.id);
    for (const [method, path] of [
      ['GET', '/users'],
      ['POST', '/users'],
      ['GET', '/api-keys'],
      ['POST', '/api-keys'],
      ['GET', '/licenses'],
      ['POST', `/users/${user.id}/roles`],
    ] as const) {
      const reply = await ask(path, method === 'POST' ? {} : undefined, method);
      expect([reply.status, reply.body.error.code]).toEqual([403, 'ApiKeyNotAllowed']);
    }
    const wrong = await h.raw(
      'POST',
      '/decisions',
      { userId: user.id, action: 'roster:users.manage' },
      { authorization: 'Bearer rst_nope' },
    );
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'InvalidApiKey']);

    // A key answers only about its own account.
    const other = await h.newAccount();
    const theirs = await h.buildUser(other.owner, { accessType: 'admin' });
    expect((await ask('/decisions', { userId: theirs.id, action: 'roster:users.manage' })).body.reason.code).toBe(
      'UnknownUser',
    );
    expect((await ask(`/access-profiles/${theirs.id}`, undefined, 'GET')).status).toBe(404);

    expect((await owner.del(`/api-keys/${id}`)).status).toBe(204);
    expect((await ask('/decisions', { userId: user.id, action: 'roster:users.manage' })).status).toBe(401);
    expect(accountId).toBeGreaterThan(0);
  });

  it('lets signed-in users ask about themselves only, and keeps every account apart', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const userA = await h.buildUser(a.owner, { accessType: 'standard', password: 'Standard-pass-2026!' });
    const other = await h.buildUser(a.owner);
    const standard = await h.signIn(a.slug, userA.username, 'Standard-pass-2026!');
    expect((await standard.post('/decisions', { userId: userA.id, action: 'roster:users.manage' })).body.allowed).toBe(
      false,
    );
    expect((await standard.post('/decisions', { userId: other.id, action: 'roster:users.manage' })).status).toBe(403);
    expect((await standard.get('/applications')).status).toBe(403);
    expect((await standard.post(`/users/${userA.id}/licenses`, { application: 'chat' })).status).toBe(403);
    expect((await standard.get(`/users/${userA.id}/roles`)).status).toBe(200);

    // Admin of B: 404 for anything of A, whatever ids they send.
    const apps = await a.owner.get('/applications');
    const roleA = apps.body.items[0].roles[0].id;
    const customA = await a.owner.post('/roles', { application: 'chat', name: 'A_ONLY' });
    const keyA = await a.owner.post('/api-keys', { name: 'k' });
    for (const [method, path, body] of [
      ['GET', `/users/${userA.id}/roles`],
      ['POST', `/users/${userA.id}/roles`, { roleIds: [roleA] }],
      ['DELETE', `/users/${userA.id}/roles/${roleA}`],
      ['GET', `/users/${userA.id}/licenses`],
      ['POST', `/users/${userA.id}/licenses`, { application: 'chat' }],
      ['DELETE', `/users/${userA.id}/licenses/chat`],
      ['GET', `/users/${userA.id}/app-settings`],
      ['PATCH', `/users/${userA.id}/app-settings/chat`, { tag: 'x' }],
      ['PATCH', `/roles/${customA.body.id}`, { description: 'mine now' }],
      ['DELETE', `/roles/${customA.body.id}`],
      ['DELETE', `/api-keys/${keyA.body.id}`],
      ['GET', `/access-profiles/${userA.id}`],
    ] as [string, string, unknown?][]) {
      const reply = await b.owner.request(method, path, body);
      expect([method, path, reply.status]).toEqual([method, path, 404]);
    }
    // A role of account A given to a user of B is not a role B knows.
    const userB = await h.buildUser(b.owner);
    const foreign = await b.owner.post(`/users/${userB.id}/roles`, { roleIds: [customA.body.id] });
    expect(foreign.status).toBe(400);
    const child = await b.owner.post('/roles', {
      application: 'chat',
      name: 'B',
      composite: true,
      children: [customA.body.id],
    });
    expect(child.status).toBe(400);
  });

  it('keeps chat settings per user with validated values', async () => {
    const { owner } = await h.newAccount();
    const user = await h.buildUser(owner);
    const initial = await owner.get(`/users/${user.id}/app-settings`);
    expect(initial.body).toMatchObject({
      chat: { status: 'available', chatLimit: -1, tag: '' },
      analysisEnabled: true,
    });
    const bad = await owner.patch(`/users/${user.id}/app-settings/chat`, {
      status: 'busy',
      chatLimit: -2,
      tag: 'x'.repeat(41),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['chatLimit', 'status', 'tag']);
    expect((await owner.patch(`/users/${user.id}/app-settings/chat`, { chatLimit: 2.5 })).status).toBe(400);
    const saved = await owner.patch(`/users/${user.id}/app-settings/chat`, {
      status: 'unavailable',
      chatLimit: 3,
      tag: 'VIP',
    });
    expect(saved.body.chat).toEqual({ status: 'unavailable', chatLimit: 3, tag: 'VIP' });
    const back = await owner.patch(`/users/${user.id}/app-settings/chat`, { chatLimit: -1 });
    expect(back.body.chat).toEqual({ status: 'unavailable', chatLimit: -1, tag: 'VIP' });
  });
});
