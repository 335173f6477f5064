import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkActions } from '../../server/services/bulk.js';
import { DIALECTS } from '../support/databases.js';
import { type Client, createHarness, type Harness, PASSWORD } from '../support/harness.js';

type Group = { outcome: string; reason: string | null; users: [number, string][] };

/** The report's groups as { "done": [ids], "skipped: reason": [ids] }. */
function outcomes(body: { groups: Group[] }): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const group of body.groups) {
    const key = group.reason ? `${group.outcome}: ${group.reason}` : group.outcome;
    out[key] = group.users.map(([id]) => id).sort((a, b) => a - b);
  }
  return out;
}

const sorted = (...ids: number[]) => [...ids].sort((a, b) => a - b);

describe.each(DIALECTS)('bulk actions (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  async function account() {
    const created = await h.newAccount();
    const me = (await created.owner.get('/session')).body.user;
    return { ...created, ownerId: me.id as number };
  }

  const bulk = (client: Client, body: Record<string, unknown>) => client.post('/users/bulk', body);

  it('counts the selection on a dry run and changes nothing', async () => {
    const { owner } = await account();
    const a = await h.buildUser(owner, { department: 'Sales' });
    const b = await h.buildUser(owner, { department: 'Sales' });
    await h.buildUser(owner, { department: 'Support' });
    const dry = await bulk(owner, { action: 'disable', selection: { filter: { department: 'Sales' } }, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, selected: 2, done: 0, groups: [] });
    expect((await owner.get(`/users/${a.id}`)).body.enabled).toBe(true);
    const byIds = await bulk(owner, { action: 'delete', selection: { ids: [a.id, b.id, a.id] }, dryRun: true });
    expect(byIds.body.selected).toBe(2);
  });

  it('disables and enables, skipping the owner, oneself and users already so, and ends sessions', async () => {
    const { owner, ownerId, slug } = await account();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const adminClient = await h.signIn(slug, admin.username, PASSWORD);
    const agent = await h.buildUser(owner, { password: PASSWORD });
    const agentClient = await h.signIn(slug, agent.username, PASSWORD);
    const off = await h.buildUser(owner, { enabled: false });
    const ids = [ownerId, admin.id, agent.id, off.id];

    const disabled = await bulk(adminClient, { action: 'disable', selection: { ids } });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ selected: 4, done: 1, skipped: 3, failed: 0, completed: true });
    expect(outcomes(disabled.body)).toEqual({
      done: [agent.id],
      'skipped: is the owner': [ownerId],
      'skipped: is you': [admin.id],
      'skipped: already disabled': [off.id],
    });
    expect(disabled.body.groups.find((g: Group) => g.outcome === 'done').users).toEqual([[agent.id, agent.username]]);
    expect((await owner.get(`/users/${agent.id}`)).body.enabled).toBe(false);
    expect((await agentClient.get('/session')).status).toBe(401);
    // The list's counts follow (kept by triggers, a statement at a time on PostgreSQL).
    expect((await owner.get('/users?enabled=false')).body.total).toBe(2);
    expect((await owner.get('/users?enabled=true')).body.total).toBe(2);

    const enabled = await bulk(owner, { action: 'enable', selection: { ids } });
    expect((await owner.get('/users?enabled=false')).body.total).toBe(0);
    expect(outcomes(enabled.body)).toEqual({
      done: sorted(agent.id, off.id),
      'skipped: already enabled': sorted(ownerId, admin.id),
    });
    const audit = await owner.get(`/audit?targetId=${agent.id}&action=user.update`);
    expect(audit.body.items.map((e: { after: unknown }) => e.after)).toEqual([
      { enabled: true, bulk: true },
      { enabled: false, bulk: true },
    ]);
    const summary = await owner.get('/audit?action=users.bulk');
    expect(summary.body.items[0].after).toMatchObject({ action: 'enable', selected: 4, done: 2, skipped: 2 });
  });

  it('acts on everything a filter and search match', async () => {
    const { owner, ownerId } = await account();
    const ann = await h.buildUser(owner, { firstName: 'Annika', department: 'Sales' });
    const anna = await h.buildUser(owner, { firstName: 'Anna', department: 'Sales' });
    const bob = await h.buildUser(owner, { firstName: 'Bob', department: 'Sales' });
    const other = await h.buildUser(owner, { firstName: 'Anneli', department: 'Support' });
    const selection = { filter: { q: 'ann', department: 'Sales' } };
    expect((await bulk(owner, { action: 'disable_sync', selection, dryRun: true })).body.selected).toBe(2);
    const done = await bulk(owner, { action: 'disable_sync', selection });
    expect(outcomes(done.body)).toEqual({ done: sorted(ann.id, anna.id) });
    expect((await owner.get(`/users/${ann.id}`)).body.syncEnabled).toBe(false);
    expect((await owner.get(`/users/${bob.id}`)).body.syncEnabled).toBe(true);
    expect((await owner.get(`/users/${other.id}`)).body.syncEnabled).toBe(true);

    const again = await bulk(owner, { action: 'disable_sync', selection: { filter: { department: 'Sales' } } });
    expect(outcomes(again.body)).toEqual({
      done: [bob.id],
      'skipped: synchronization already off': sorted(ann.id, anna.id),
    });
    const on = await bulk(owner, { action: 'enable_sync', selection: { filter: {} } });
    expect(outcomes(on.body)).toEqual({
      done: sorted(ann.id, anna.id, bob.id),
      'skipped: synchronization already on': sorted(ownerId, other.id),
    });
  });

  it('assigns and unassigns a role', async () => {
    const { owner } = await account();
    const apps = (await owner.get('/applications')).body;
    const roles = apps.items.flatMap((a: { roles: { id: number; name: string }[] }) => a.roles);
    const evalAgents = roles.find((r: { name: string }) => r.name === 'EVAL_AGENTS');
    const ownerRole = roles.find((r: { name: string }) => r.name === 'OWNER');
    const a = await h.buildUser(owner);
    const b = await h.buildUser(owner);
    await owner.post(`/users/${a.id}/roles`, { roleIds: [evalAgents.id] });

    const given = await bulk(owner, { action: 'assign_role', roleId: evalAgents.id, selection: { ids: [a.id, b.id] } });
    expect(outcomes(given.body)).toEqual({ done: [b.id], 'skipped: already has the role': [a.id] });
    const bRoles = (await owner.get(`/users/${b.id}/roles`)).body;
    expect(bRoles.assigned.map((r: { name: string }) => r.name)).toEqual(['EVAL_AGENTS']);

    const taken = await bulk(owner, { action: 'unassign_role', roleId: evalAgents.id, selection: { ids: [a.id] } });
    expect(outcomes(taken.body)).toEqual({ done: [a.id] });
    const none = await bulk(owner, { action: 'unassign_role', roleId: evalAgents.id, selection: { ids: [a.id] } });
    expect(outcomes(none.body)).toEqual({ 'skipped: does not have the role': [a.id] });

    const missing = await bulk(owner, { action: 'assign_role', selection: { ids: [a.id] } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields[0].path).toBe('roleId');
    const unique = await bulk(owner, { action: 'assign_role', roleId: ownerRole.id, selection: { ids: [a.id] } });
    expect(unique.body.error.code).toBe('OwnerRoleUnique');
    const foreign = await account();
    const theirs = await bulk(foreign.owner, {
      action: 'assign_role',
      roleId: evalAgents.id,
      selection: { ids: [a.id] },
    });
    expect(theirs.status).toBe(400);
  });

  it('assigns licenses until the pool is full and reports the rest; revokes them', async () => {
    const { owner } = await account();
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await h.buildUser(owner));
    const ids = users.map((u) => u.id);
    await owner.request('PUT', '/licenses/pools/chat', { size: 3, licensedByDefault: false });
    await owner.post(`/users/${ids[0]}/licenses`, { application: 'chat' });

    const granted = await bulk(owner, { action: 'assign_license', application: 'chat', selection: { ids } });
    expect(granted.body).toMatchObject({ selected: 5, done: 2, skipped: 3, completed: true });
    expect(outcomes(granted.body)).toEqual({
      done: [ids[1], ids[2]],
      'skipped: already licensed': [ids[0]],
      'skipped: no seats left in the pool': [ids[3], ids[4]],
    });
    const pools = (await owner.get('/licenses')).body.applications;
    expect(pools.find((a: { application: string }) => a.application === 'chat').pool.used).toBe(3);
    const listed = (await owner.get(`/users/${ids[1]}`)).body.licenses;
    expect(listed).toEqual([{ app: 'chat', name: 'Smartflows' }]);

    const revoked = await bulk(owner, { action: 'revoke_license', application: 'chat', selection: { ids } });
    expect(outcomes(revoked.body)).toEqual({
      done: [ids[0], ids[1], ids[2]],
      'skipped: not licensed': [ids[3], ids[4]],
    });
    expect((await owner.get(`/users/${ids[1]}`)).body.licenses).toEqual([]);
    const after = (await owner.get('/licenses')).body.applications;
    expect(after.find((a: { application: string }) => a.application === 'chat').pool.used).toBe(0);

    // No pool: no limit.
    const va = await bulk(owner, { action: 'assign_license', application: 'call_tracking', selection: { ids } });
    expect(va.body.done).toBe(5);
    const grants = await owner.get(`/audit?targetId=${ids[4]}&action=user.license.grant`);
    expect(grants.body.items[0].after).toEqual({ license: 'call_tracking', bulk: true });
  });

  it('assigns and unassigns teams and supervisors, and sets the main team', async () => {
    const { owner } = await account();
    const group = async (name: string) => (await owner.post('/groups', { name })).body.id as number;
    const zulu = await group('Zulu');
    const alpha = await group('Alpha');
    const a = await h.buildUser(owner, { department: 'Ops' });
    const b = await h.buildUser(owner, { department: 'Ops' });
    const c = await h.buildUser(owner, { department: 'Ops' });
    await owner.post(`/users/${a.id}/teams`, { groupId: zulu });
    const selection = { filter: { department: 'Ops' } };
    const teamsOf = async (id: number) =>
      (await owner.get(`/users/${id}/teams`)).body.teams.map((t: { name: string; isMain: boolean }) => [
        t.name,
        t.isMain,
      ]);

    const joined = await bulk(owner, { action: 'assign_team', groupId: zulu, selection });
    expect(outcomes(joined.body)).toEqual({ done: sorted(b.id, c.id), 'skipped: already a member': [a.id] });
    const alsoAlpha = await bulk(owner, { action: 'assign_team', groupId: alpha, selection: { ids: [a.id, b.id] } });
    expect(alsoAlpha.body.done).toBe(2);
    // The first team stays the main one.
    expect(await teamsOf(b.id)).toEqual([
      ['Zulu', true],
      ['Alpha', false],
    ]);
    const main = await bulk(owner, { action: 'set_main_team', groupId: alpha, selection });
    expect(outcomes(main.body)).toEqual({
      done: sorted(a.id, b.id),
      'skipped: not a member of the team': [c.id],
    });
    expect((await teamsOf(a.id))[0]).toEqual(['Alpha', true]);

    const left = await bulk(owner, { action: 'unassign_team', groupId: alpha, selection });
    expect(outcomes(left.body)).toEqual({ done: sorted(a.id, b.id), 'skipped: not a member': [c.id] });
    // Losing the main team makes the first remaining one main.
    expect(await teamsOf(a.id)).toEqual([['Zulu', true]]);

    const sup = await bulk(owner, { action: 'assign_supervisor', groupId: zulu, selection: { ids: [a.id] } });
    expect(sup.body.done).toBe(1);
    expect((await owner.get(`/groups/${zulu}`)).body.supervisors).toMatchObject([{ id: a.id }]);
    const unsup = await bulk(owner, { action: 'unassign_supervisor', groupId: zulu, selection: { ids: [a.id, b.id] } });
    expect(unsup.body).toMatchObject({ done: 1, skipped: 1 });
    expect((await owner.get(`/groups/${zulu}`)).body.supervisors).toEqual([]);

    const audit = await owner.get(`/audit?targetId=${c.id}&action=user.team.assign`);
    expect(audit.body.items).toHaveLength(1);
    const missing = await bulk(owner, { action: 'assign_team', selection });
    expect(missing.body.error.fields[0].path).toBe('groupId');
    const foreign = await account();
    const theirs = await bulk(foreign.owner, { action: 'assign_team', groupId: zulu, selection: { filter: {} } });
    expect(theirs.status).toBe(404);
  });

  it('unlocks locked users only', async () => {
    const { owner, slug } = await account();
    const locked = await h.buildUser(owner, { password: PASSWORD });
    const fine = await h.buildUser(owner, { password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      await h.raw('POST', '/auth/sign-in', { account: slug, username: locked.username, password: 'Wrong-pass-1' });
    }
    expect((await owner.get(`/users/${locked.id}`)).body.locked).toBe(true);
    const unlocked = await bulk(owner, { action: 'unlock', selection: { ids: [locked.id, fine.id] } });
    expect(outcomes(unlocked.body)).toEqual({ done: [locked.id], 'skipped: not locked': [fine.id] });
    expect((await owner.get(`/users/${locked.id}`)).body.locked).toBe(false);
    expect((await h.signIn(slug, locked.username, PASSWORD)).csrfToken).toBeTruthy();
  });

  it('adds required actions in the order they are done, and clears them', async () => {
    const { owner, ownerId, slug } = await account();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const adminClient = await h.signIn(slug, admin.username, PASSWORD);
    const agent = await h.buildUser(owner, { password: PASSWORD, email: 'agent.ra@example.com' });
    const asked = await h.buildUser(owner);
    await owner.patch(`/users/${asked.id}`, { requiredActions: ['verify_email', 'configure_otp'] });
    const sso = await h.buildUser(owner, { authMethod: 'sso', email: 'sso.ra@example.com' });
    const none = await bulk(adminClient, { action: 'add_required_actions', selection: { ids: [agent.id] } });
    expect(none.body.error.fields[0].path).toBe('requiredActions');

    const added = await bulk(adminClient, {
      action: 'add_required_actions',
      requiredActions: ['update_profile', 'configure_otp'],
      selection: { ids: [ownerId, agent.id, asked.id, sso.id] },
    });
    expect(outcomes(added.body)).toEqual({
      done: sorted(agent.id, asked.id, sso.id),
      'skipped: is the owner': [ownerId],
    });
    const actionsOf = async (id: number) => (await owner.get(`/users/${id}`)).body.requiredActions;
    expect(await actionsOf(agent.id)).toEqual(['configure_otp', 'update_profile']);
    expect(await actionsOf(asked.id)).toEqual(['configure_otp', 'update_profile', 'verify_email']);
    // A single sign-on user has no Roster password or code to set up.
    expect(await actionsOf(sso.id)).toEqual(['update_profile']);
    expect(await actionsOf(ownerId)).toEqual([]);
    const audit = await owner.get(`/audit?targetId=${asked.id}&action=user.update`);
    expect(audit.body.items[0]).toMatchObject({
      before: { requiredActions: ['verify_email', 'configure_otp'] },
      after: { requiredActions: ['configure_otp', 'update_profile', 'verify_email'], bulk: true },
    });
    // The agent must do them before anything else.
    const agentClient = await h.signIn(slug, agent.username, PASSWORD);
    expect((await agentClient.get('/session')).body.requiredActions).toEqual(['configure_otp', 'update_profile']);
    expect((await agentClient.get('/me/sessions')).body.error.code).toBe('RequiredActionPending');
    const again = await bulk(adminClient, {
      action: 'add_required_actions',
      requiredActions: ['configure_otp'],
      selection: { ids: [agent.id] },
    });
    expect(outcomes(again.body)).toEqual({ 'skipped: already has these required actions': [agent.id] });

    const cleared = await bulk(adminClient, {
      action: 'clear_required_actions',
      selection: { ids: [agent.id, asked.id, admin.id] },
    });
    expect(outcomes(cleared.body)).toEqual({
      done: sorted(agent.id, asked.id),
      'skipped: has no required actions': [admin.id],
    });
    expect(await actionsOf(asked.id)).toEqual([]);
    expect((await agentClient.get('/session')).body.requiredActions).toEqual([]);
    expect((await agentClient.get('/me/sessions')).status).toBe(200);
  });

  it('deletes, never the owner nor oneself, and never across accounts', async () => {
    const { owner, ownerId, slug } = await account();
    const admin = await h.buildUser(owner, { accessType: 'admin', password: PASSWORD });
    const adminClient = await h.signIn(slug, admin.username, PASSWORD);
    const a = await h.buildUser(owner);
    const b = await h.buildUser(owner);
    const foreign = await account();
    const theirs = await h.buildUser(foreign.owner);

    const deleted = await bulk(adminClient, {
      action: 'delete',
      selection: { ids: [ownerId, admin.id, a.id, b.id, theirs.id, 99_999_999] },
    });
    expect(deleted.body).toMatchObject({ selected: 4, done: 2, skipped: 4 });
    expect(outcomes(deleted.body)).toEqual({
      done: sorted(a.id, b.id),
      'skipped: is the owner': [ownerId],
      'skipped: is you': [admin.id],
      'skipped: no such user in your reach': sorted(theirs.id, 99_999_999),
    });
    expect(JSON.stringify(deleted.body)).not.toContain(theirs.username);
    expect((await owner.get(`/users/${a.id}`)).status).toBe(404);
    expect((await foreign.owner.get(`/users/${theirs.id}`)).status).toBe(200);
    const audit = await owner.get(`/audit?targetId=${a.id}&action=user.delete`);
    expect(audit.body.items[0].before.username).toBe(a.username);

    // A filter over everything still spares the owner and the caller.
    await h.buildUser(owner);
    const all = await bulk(adminClient, { action: 'delete', selection: { filter: {} } });
    expect(all.body).toMatchObject({ selected: 3, done: 1, skipped: 2 });
    expect((await owner.get('/users/facets')).body.total).toBe(2);
    expect((await foreign.owner.get('/users/facets')).body.total).toBe(2);
  });

  it('refuses non-admins and bad requests', async () => {
    const { owner, slug } = await account();
    const agent = await h.buildUser(owner, { password: PASSWORD });
    const client = await h.signIn(slug, agent.username, PASSWORD);
    expect((await bulk(client, { action: 'enable', selection: { ids: [agent.id] } })).status).toBe(403);
    const bad = await bulk(owner, { action: 'explode', selection: { ids: [] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path)).toContain('action');
    expect((await bulk(owner, { action: 'enable', selection: { ids: [] } })).status).toBe(400);
    const noApp = await bulk(owner, { action: 'assign_license', selection: { ids: [agent.id] } });
    expect(noApp.body.error.fields[0].path).toBe('application');
  });

  it('commits finished chunks and reports the rest as failed when a chunk fails', async () => {
    const { owner } = await account();
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await h.buildUser(owner));
    const ids = users.map((u) => u.id);
    // Chunks of 2, and the database fails the second chunk's transaction (a full disk, a lost connection).
    const real = h.ctx.database.db;
    let transactions = 0;
    const failing = new Proxy(real, {
      get(target, property) {
        if (property === 'transaction') {
          return () => {
            transactions++;
            if (transactions === 2) return { execute: async () => Promise.reject(new Error('disk I/O error')) };
            return target.transaction();
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const bulkActions = new BulkActions(
      { ...h.ctx.database, db: failing },
      h.ctx.users,
      h.ctx.roles,
      h.ctx.teams,
      h.ctx.audit,
      () => h.clock.now(),
      2,
    );
    const session = await h.ctx.auth.session(decodeURIComponent(owner.cookie.split('=')[1] as string));
    if (!session) throw new Error('no session');
    const report = await bulkActions.run(session.actor, { action: 'disable', selection: { ids } });
    expect(report).toMatchObject({ completed: false, done: 2, failed: 3, skipped: 0 });
    expect(report.error).toMatch(/database error/);
    expect(outcomes(report)).toEqual({
      done: [ids[0], ids[1]],
      'failed: not processed: the action stopped on an error': [ids[2], ids[3], ids[4]],
    });
    const states = await Promise.all(ids.map(async (id) => (await owner.get(`/users/${id}`)).body.enabled));
    expect(states).toEqual([false, false, true, true, true]);
    const summary = await owner.get('/audit?action=users.bulk');
    expect(summary.body.items[0].after).toMatchObject({ done: 2, failed: 3, completed: false });
  });
});
