// Team memberships through the set-based service methods: main-team rules, supervisors, skips, accounts apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/policy.js';
import type { Trx } from '../../server/services/teams.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

describe.each(DIALECTS)('teams service (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  async function setup() {
    const account = await h.newAccount();
    const session = await account.owner.get('/session');
    const actor: Actor = {
      userId: session.body.user.id,
      accountId: account.accountId,
      username: 'owner',
      accessType: 'admin',
      isOwner: true,
    };
    const group = async (name: string, parentId?: number) => (await h.ctx.groups.create(actor, { name, parentId })).id;
    const users = [];
    for (let i = 0; i < 3; i++) users.push((await h.buildUser(account.owner)).id as number);
    return { ...account, actor, group, users };
  }

  const within = <T>(fn: (trx: Trx) => Promise<T>) => h.ctx.database.db.transaction().execute(fn);

  const mainOf = async (userId: number) =>
    (
      await h.ctx.database.db
        .selectFrom('group_members')
        .select('group_id')
        .where('user_id', '=', userId)
        .where('is_main', '=', 1)
        .execute()
    ).map((r) => r.group_id);

  it('makes the first team main, keeps one main, and promotes the alphabetically first remaining team', async () => {
    const { actor, accountId, group, users } = await setup();
    const zulu = await group('Zulu');
    const alpha = await group('alpha');
    const bravo = await group('Bravo');
    const [a, b, c] = users as [number, number, number];

    const first = await within((trx) => h.ctx.teams.assignTeamWithin(trx, actor, accountId, [a, b], zulu));
    expect([...first.values()]).toEqual([{ status: 'done' }, { status: 'done' }]);
    expect(await mainOf(a)).toEqual([zulu]);

    const again = await within((trx) => h.ctx.teams.assignTeamWithin(trx, actor, accountId, [a, c], zulu));
    expect(again.get(a)).toEqual({ status: 'skipped', reason: 'already a member' });
    expect(again.get(c)).toEqual({ status: 'done' });

    await within((trx) => h.ctx.teams.assignTeamWithin(trx, actor, accountId, [a], bravo));
    await within((trx) => h.ctx.teams.assignTeamWithin(trx, actor, accountId, [a], alpha));
    expect(await mainOf(a)).toEqual([zulu]);

    const notMember = await within((trx) => h.ctx.teams.setMainTeamWithin(trx, actor, accountId, [a, b], bravo));
    expect(notMember.get(a)).toEqual({ status: 'done' });
    expect(notMember.get(b)).toEqual({ status: 'skipped', reason: 'not a member of the team' });
    expect(await mainOf(a)).toEqual([bravo]);

    // Removing the main team: "alpha" comes before "Zulu" whatever the case.
    const left = await within((trx) => h.ctx.teams.unassignTeamWithin(trx, actor, accountId, [a, b], bravo));
    expect(left.get(b)).toEqual({ status: 'skipped', reason: 'not a member' });
    expect(await mainOf(a)).toEqual([alpha]);
    // Removing a team that is not main changes nothing else.
    await within((trx) => h.ctx.teams.unassignTeamWithin(trx, actor, accountId, [a], zulu));
    expect(await mainOf(a)).toEqual([alpha]);
    await within((trx) => h.ctx.teams.unassignTeamWithin(trx, actor, accountId, [a], alpha));
    expect(await mainOf(a)).toEqual([]);

    const teams = await h.ctx.teams.teamsOf(actor, b);
    expect(teams.teams).toMatchObject([{ id: zulu, name: 'Zulu', isMain: true }]);
  });

  it('assigns and unassigns supervisors, and writes audit entries', async () => {
    const { actor, accountId, group, users, owner } = await setup();
    const team = await group('Support');
    const [a, b] = users as [number, number];
    const assigned = await within((trx) => h.ctx.teams.assignSupervisorWithin(trx, actor, accountId, [a], team));
    expect(assigned.get(a)).toEqual({ status: 'done' });
    const twice = await within((trx) => h.ctx.teams.assignSupervisorWithin(trx, actor, accountId, [a], team));
    expect(twice.get(a)).toEqual({ status: 'skipped', reason: 'already a supervisor' });
    const removed = await within((trx) => h.ctx.teams.unassignSupervisorWithin(trx, actor, accountId, [a, b], team));
    expect(removed.get(a)).toEqual({ status: 'done' });
    expect(removed.get(b)).toEqual({ status: 'skipped', reason: 'not a supervisor' });
    const audit = await owner.get(`/audit?targetId=${a}&limit=50`);
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions).toContain('user.supervisor.assign');
    expect(actions).toContain('user.supervisor.unassign');
  });

  it("refuses another account's group and never touches another account's users", async () => {
    const one = await setup();
    const two = await setup();
    const foreign = await two.group('Theirs');
    await expect(
      within((trx) => h.ctx.teams.assignTeamWithin(trx, one.actor, one.accountId, one.users, foreign)),
    ).rejects.toMatchObject({ code: 'NotFound' });
    const mine = await one.group('Mine');
    const outcome = await within((trx) =>
      h.ctx.teams.assignTeamWithin(trx, one.actor, one.accountId, [two.users[0] as number], mine),
    );
    expect(outcome.get(two.users[0] as number)).toEqual({ status: 'skipped', reason: 'not a user of the account' });
  });
});
