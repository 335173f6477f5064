// Team memberships (with the main-team rules), supervisors of teams and "can manage" groups, and moving a user to
// another group. Every change is set-based SQL over chunks of user ids, so assigning a team to 100,000 users costs a
// few dozen statements, not one per user; the audit entries are written the same way.

import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { idChunks, idIn, typedParams } from '../db/sql-helpers.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { type GroupFacts, NO_GROUPS, type Resource } from '../policy/decide.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditEntry, AuditLog } from './audit.js';
import { type EmittedUserEvent, emitUserEvents } from './user-events.js';
import { findVisibleUser } from './user-lookup.js';
import type { RequestMeta } from './users.js';

export type Trx = Transaction<Database>;
export type MembershipOutcome = { status: 'done' } | { status: 'skipped'; reason: string };

export interface TeamGroup {
  id: number;
  name: string;
  /** The group's path under the account, e.g. "Sales / Inbound". */
  path: string;
  level: number;
}

export interface UserTeams {
  userId: number;
  teams: (TeamGroup & { isMain: boolean })[];
  supervises: TeamGroup[];
  canManage: TeamGroup[];
}

export interface MoveInput {
  toGroupId: number;
  /** The group the user leaves; by default their main team. */
  fromGroupId?: number;
  /** Ask the applications holding the user's calls to move them to the new group as well. */
  moveCalls?: boolean;
}

type RoleTable = 'group_supervisors' | 'group_managers';

/** One user's joins and leaves of groups (group ids). */
export interface MembershipChange {
  userId: number;
  join: readonly number[];
  leave: readonly number[];
}

/** Membership rows per insert: five columns each, well under SQLite's parameter limit. */
const MEMBERSHIP_ROWS = 2000;

export class Teams {
  private readonly db: Db;
  private readonly dialect: DatabaseHandle['dialect'];
  private readonly p: ReturnType<typeof typedParams>;

  constructor(
    handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
    this.p = typedParams(handle.dialect);
  }

  private idIn(column: string, ids: readonly number[]): RawBuilder<boolean> {
    return idIn(this.dialect, column, ids);
  }

  /** The rows of a membership table (members, supervisors, managers) for the group among some users. */
  private holdersIn(
    trx: Trx,
    table: 'group_members' | RoleTable,
    accountId: number,
    groupId: number,
    userIds: number[],
  ) {
    return trx
      .selectFrom(table as 'group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('account_id', '=', accountId)
      .where(this.idIn('user_id', userIds));
  }

  // ---- Set-based operations inside the caller's transaction (bulk actions and the single-user routes) ----

  /** Adds the users to the team; a user's first team becomes their main team. */
  async assignTeamWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    const group = await this.groupWithin(trx, accountId, groupId);
    const out = new Map<number, MembershipOutcome>();
    const at = this.now().toISOString();
    for (const chunk of idChunks(userIds)) {
      const existing = await this.holdersIn(trx, 'group_members', accountId, groupId, chunk).execute();
      const members = new Set(existing.map((row) => row.user_id));
      const todo = chunk.filter((id) => !members.has(id));
      for (const id of members) out.set(id, { status: 'skipped', reason: 'already a member' });
      if (todo.length === 0) continue;
      const inserted = await trx
        .insertInto('group_members')
        .columns(['group_id', 'user_id', 'account_id', 'is_main', 'created_at'])
        .expression(
          trx
            .selectFrom('users as u')
            .select([
              this.p.int(groupId).as('group_id'),
              'u.id',
              'u.account_id',
              sql<number>`case when exists (select 1 from group_members m where m.user_id = u.id) then 0 else 1 end`.as(
                'is_main',
              ),
              this.p.timestamp(at).as('created_at'),
            ])
            .where('u.account_id', '=', accountId)
            .where(this.idIn('u.id', todo)),
        )
        .returning(['user_id', 'is_main'])
        .execute();
      const done = inserted.map((row) => row.user_id);
      markDone(out, todo, done);
      await this.auditUsers(trx, actor, accountId, done, 'user.team.assign', { team: describe(group) });
      if (done.length > 0) await this.touch(trx, [groupId]);
      await this.membershipEvents(trx, accountId, done, { joined: describe(group) });
    }
    return out;
  }

  /**
   * Many users' joins and leaves across many groups at once (a directory sync's batch): each step is one statement
   * for the whole batch (the membership rows, their audit entries, the groups' versions, the events), not one per
   * group. Each user gets one `team.membership_changed` event saying every group they joined and left. Joins of
   * memberships that exist, leaves of memberships that do not, and users who are not the account's are skipped; a
   * user without a main team gets the alphabetically first of the groups they join as main, and one who leaves their
   * main team the alphabetically first of their remaining teams. Answers how many
   * memberships changed.
   */
  async changeMembershipsWithin(
    trx: Trx,
    actor: Actor,
    accountId: number,
    changes: readonly MembershipChange[],
    /** Said in every audit entry and event (e.g. which directory the change comes from). */
    extra: Record<string, unknown> = {},
  ): Promise<number> {
    const userIds = [...new Set(changes.map((change) => change.userId))];
    if (userIds.length === 0) return 0;
    const at = this.now().toISOString();
    const usernames = new Map<number, string>();
    for (const chunk of idChunks(userIds)) {
      const rows = await trx
        .selectFrom('users')
        .select(['id', 'username'])
        .where('account_id', '=', accountId)
        .where(this.idIn('id', chunk))
        .execute();
      for (const row of rows) usernames.set(row.id, row.username);
    }
    const groupIds = [...new Set(changes.flatMap((change) => [...change.join, ...change.leave]))];
    const groups = new Map<number, { id: number; path: string }>();
    const nameKeys = new Map<number, string>();
    for (const chunk of idChunks(groupIds)) {
      const rows = await trx
        .selectFrom('groups as g')
        .leftJoin('groups as p', 'p.id', 'g.parent_id')
        .select(['g.id', 'g.name', 'g.name_key', 'p.name as parent_name'])
        .where('g.account_id', '=', accountId)
        .where(this.idIn('g.id', chunk))
        .execute();
      for (const row of rows) {
        groups.set(row.id, { id: row.id, path: row.parent_name ? `${row.parent_name} / ${row.name}` : row.name });
        nameKeys.set(row.id, row.name_key);
      }
    }
    const joined = new Map<number, number[]>();
    const left = new Map<number, number[]>();
    const note = (into: Map<number, number[]>, userId: number, groupId: number) => {
      const list = into.get(userId);
      if (list) list.push(groupId);
      else into.set(userId, [groupId]);
    };

    // Joins: one multi-row insert per few thousand (the rows that exist already are skipped); main teams after.
    const joins = changes.flatMap((change) =>
      usernames.has(change.userId)
        ? change.join.filter((groupId) => groups.has(groupId)).map((groupId) => ({ groupId, userId: change.userId }))
        : [],
    );
    // A joining user without a main team gets the alphabetically first of the groups they join as main (decided
    // here: an UPDATE looking through each user's teams costs more than the inserts).
    const withMain = new Set<number>();
    const joiners = [...new Set(joins.map((join) => join.userId))];
    for (const chunk of idChunks(joiners)) {
      const rows = await trx
        .selectFrom('group_members')
        .select('user_id')
        .where(this.idIn('user_id', chunk))
        .where('is_main', '=', 1)
        .execute();
      for (const row of rows) withMain.add(row.user_id);
    }
    const mainOf = new Map<number, number>();
    const before = (a: number, b: number) => {
      const ka = nameKeys.get(a) as string;
      const kb = nameKeys.get(b) as string;
      return ka < kb || (ka === kb && a < b);
    };
    for (const join of joins) {
      if (withMain.has(join.userId)) continue;
      const main = mainOf.get(join.userId);
      if (main === undefined || before(join.groupId, main)) mainOf.set(join.userId, join.groupId);
    }
    for (let start = 0; start < joins.length; start += MEMBERSHIP_ROWS) {
      const inserted = await trx
        .insertInto('group_members')
        .values(
          joins.slice(start, start + MEMBERSHIP_ROWS).map((join) => ({
            group_id: join.groupId,
            user_id: join.userId,
            account_id: accountId,
            is_main: mainOf.get(join.userId) === join.groupId ? 1 : 0,
            created_at: at,
          })),
        )
        .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
        .returning(['group_id', 'user_id'])
        .execute();
      for (const row of inserted) note(joined, row.user_id, row.group_id);
    }
    // Leaves: one delete per group left (a sync's leaves are few), answering who was a member.
    const leaving = new Map<number, number[]>();
    const lostMain = new Set<number>();
    for (const change of changes) for (const groupId of change.leave) note(leaving, groupId, change.userId);
    for (const [groupId, members] of leaving) {
      for (const chunk of idChunks(members)) {
        const removed = await trx
          .deleteFrom('group_members')
          .where('account_id', '=', accountId)
          .where('group_id', '=', groupId)
          .where(this.idIn('user_id', chunk))
          .returning(['user_id', 'is_main'])
          .execute();
        for (const row of removed) {
          note(left, row.user_id, groupId);
          if (row.is_main === 1) lostMain.add(row.user_id);
        }
      }
    }
    const changed = [...new Set([...joined.keys(), ...left.keys()])];
    // Whoever left their main team gets the alphabetically first of their remaining teams.
    for (const chunk of idChunks([...lostMain])) await this.promoteFirstRemaining(trx, chunk);

    const describeAll = (ids: number[] | undefined) => (ids ?? []).map((id) => groups.get(id) as { id: number });
    const entries: AuditEntry[] = [];
    for (const [action, byUser] of [
      ['user.team.assign', joined],
      ['user.team.unassign', left],
    ] as const)
      for (const [userId, ids] of byUser)
        for (const groupId of ids)
          entries.push({
            accountId,
            actor,
            action,
            target: { type: 'user', id: userId, label: usernames.get(userId) as string },
            after: { team: groups.get(groupId), ...extra },
          });
    await this.audit.recordMany(trx, entries, at);
    const touched = [...new Set([...joined.values(), ...left.values()].flat())];
    for (const chunk of idChunks(touched)) await this.touch(trx, chunk);
    await emitUserEvents(
      trx,
      this.dialect,
      changed.map((userId) => ({
        accountId,
        userId,
        type: 'team.membership_changed' as const,
        change: {
          ...(joined.has(userId) ? { joined: describeAll(joined.get(userId)) } : {}),
          ...(left.has(userId) ? { left: describeAll(left.get(userId)) } : {}),
          ...extra,
        },
      })),
      at,
    );
    return entries.length;
  }

  /** The groups' members changed: their version and last-modified time move on (a group's ETag in SCIM). */
  private async touch(trx: Trx, groupIds: number[]) {
    await trx
      .updateTable('groups')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: this.now().toISOString() }))
      .where(this.idIn('id', groupIds))
      .execute();
  }

  /**
   * Removes the users from the team; whoever loses their main team gets the alphabetically first of their remaining
   * teams as main.
   */
  async unassignTeamWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    const group = await this.groupWithin(trx, accountId, groupId);
    const out = new Map<number, MembershipOutcome>();
    for (const chunk of idChunks(userIds)) {
      const rows = await this.holdersIn(trx, 'group_members', accountId, groupId, chunk).select('is_main').execute();
      const members = rows.map((row) => row.user_id);
      markDone(out, chunk, members, 'not a member');
      if (members.length === 0) continue;
      await trx
        .deleteFrom('group_members')
        .where('group_id', '=', groupId)
        .where(this.idIn('user_id', members))
        .execute();
      await this.promoteFirstRemaining(
        trx,
        rows.filter((row) => row.is_main === 1).map((row) => row.user_id),
      );
      await this.auditUsers(trx, actor, accountId, members, 'user.team.unassign', { team: describe(group) });
      await this.touch(trx, [groupId]);
      await this.membershipEvents(trx, accountId, members, { left: describe(group) });
    }
    return out;
  }

  /** Makes the team the users' main team; users who are not members of it are skipped. */
  async setMainTeamWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    const group = await this.groupWithin(trx, accountId, groupId);
    const out = new Map<number, MembershipOutcome>();
    for (const chunk of idChunks(userIds)) {
      const rows = await this.holdersIn(trx, 'group_members', accountId, groupId, chunk).select('is_main').execute();
      const members = new Map(rows.map((row) => [row.user_id, row.is_main === 1]));
      const targets: number[] = [];
      for (const id of chunk) {
        const main = members.get(id);
        if (main === undefined) out.set(id, { status: 'skipped', reason: 'not a member of the team' });
        else if (main) out.set(id, { status: 'skipped', reason: 'already the main team' });
        else {
          targets.push(id);
          out.set(id, { status: 'done' });
        }
      }
      if (targets.length === 0) continue;
      // Clear first: the unique index allows one main team per user at every moment.
      await trx
        .updateTable('group_members')
        .set({ is_main: 0 })
        .where(this.idIn('user_id', targets))
        .where('is_main', '=', 1)
        .execute();
      await trx
        .updateTable('group_members')
        .set({ is_main: 1 })
        .where('group_id', '=', groupId)
        .where(this.idIn('user_id', targets))
        .execute();
      await this.auditUsers(trx, actor, accountId, targets, 'user.team.main', { mainTeam: describe(group) });
      await this.membershipEvents(trx, accountId, targets, { mainTeam: describe(group) });
    }
    return out;
  }

  assignSupervisorWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    return this.addRole(trx, 'group_supervisors', actor, accountId, userIds, groupId);
  }

  unassignSupervisorWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    return this.removeRole(trx, 'group_supervisors', actor, accountId, userIds, groupId);
  }

  assignCanManageWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    return this.addRole(trx, 'group_managers', actor, accountId, userIds, groupId);
  }

  unassignCanManageWithin(trx: Trx, actor: Actor, accountId: number, userIds: number[], groupId: number) {
    return this.removeRole(trx, 'group_managers', actor, accountId, userIds, groupId);
  }

  /**
   * Removes every membership of the users in the given groups (a group being deleted), applying the main-team rule
   * once for all of them.
   */
  async removeMembershipsWithin(trx: Trx, accountId: number, groupIds: number[]): Promise<number> {
    if (groupIds.length === 0) return 0;
    const leaving = await trx
      .selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .leftJoin('groups as p', 'p.id', 'g.parent_id')
      .select(['m.user_id', 'g.id', 'g.name', 'g.level', 'p.name as parent_name'])
      .where('m.account_id', '=', accountId)
      .where(this.idIn('m.group_id', groupIds))
      .orderBy('m.user_id')
      .orderBy('g.id')
      .execute();
    const lostMain = await trx
      .selectFrom('group_members')
      .select('user_id')
      .where('account_id', '=', accountId)
      .where(this.idIn('group_id', groupIds))
      .where('is_main', '=', 1)
      .execute();
    const removed = await trx
      .deleteFrom('group_members')
      .where('account_id', '=', accountId)
      .where(this.idIn('group_id', groupIds))
      .executeTakeFirst();
    for (const chunk of idChunks(lostMain.map((row) => row.user_id))) await this.promoteFirstRemaining(trx, chunk);
    const left = new Map<number, ReturnType<typeof describe>[]>();
    for (const row of leaving) {
      const path = row.parent_name ? `${row.parent_name} / ${row.name}` : row.name;
      left.set(row.user_id, [...(left.get(row.user_id) ?? []), { id: row.id, path }]);
    }
    const at = this.now().toISOString();
    const events = [...left].map(([userId, groups]) => ({
      accountId,
      userId,
      type: 'team.membership_changed' as const,
      change: { left: groups, groupDeleted: true },
    }));
    await emitUserEvents(trx, this.dialect, events, at);
    return Number(removed.numDeletedRows);
  }

  /** A `team.membership_changed` event for each user, saying what `change` they went through. */
  private async membershipEvents(trx: Trx, accountId: number, userIds: number[], change: Record<string, unknown>) {
    const events = userIds.map((userId) => ({
      accountId,
      userId,
      type: 'team.membership_changed' as const,
      change,
    }));
    await emitUserEvents(trx, this.dialect, events, this.now().toISOString());
  }

  /** Gives every user who has teams but no main team the alphabetically first of their teams as main. */
  private async promoteFirstRemaining(trx: Trx, userIds: number[]) {
    if (userIds.length === 0) return;
    await trx
      .updateTable('group_members')
      .set({ is_main: 1 })
      .where(this.idIn('user_id', userIds))
      .where(
        'group_id',
        '=',
        sql<number>`(select m2.group_id from group_members m2 join groups g on g.id = m2.group_id
          where m2.user_id = group_members.user_id order by g.name_key, g.id limit 1)`,
      )
      .where(
        sql<boolean>`not exists (select 1 from group_members m3 where m3.user_id = group_members.user_id and m3.is_main = 1)`,
      )
      .execute();
  }

  private async addRole(
    trx: Trx,
    table: RoleTable,
    actor: Actor,
    accountId: number,
    userIds: number[],
    groupId: number,
  ) {
    const group = await this.groupWithin(trx, accountId, groupId);
    const out = new Map<number, MembershipOutcome>();
    const at = this.now().toISOString();
    const already = table === 'group_supervisors' ? 'already a supervisor' : 'already manages the group';
    for (const chunk of idChunks(userIds)) {
      const existing = await this.holdersIn(trx, table, accountId, groupId, chunk).execute();
      const has = new Set(existing.map((row) => row.user_id));
      for (const id of has) out.set(id, { status: 'skipped', reason: already });
      const todo = chunk.filter((id) => !has.has(id));
      if (todo.length === 0) continue;
      const inserted = await trx
        .insertInto(table)
        .columns(['group_id', 'user_id', 'account_id', 'created_at'])
        .expression(
          trx
            .selectFrom('users as u')
            .select([this.p.int(groupId).as('group_id'), 'u.id', 'u.account_id', this.p.timestamp(at).as('created_at')])
            .where('u.account_id', '=', accountId)
            .where(this.idIn('u.id', todo)),
        )
        .returning('user_id')
        .execute();
      const done = inserted.map((row) => row.user_id);
      markDone(out, todo, done);
      const action = table === 'group_supervisors' ? 'user.supervisor.assign' : 'user.can_manage.assign';
      await this.auditUsers(trx, actor, accountId, done, action, { group: describe(group) });
    }
    return out;
  }

  private async removeRole(
    trx: Trx,
    table: RoleTable,
    actor: Actor,
    accountId: number,
    userIds: number[],
    groupId: number,
  ) {
    const group = await this.groupWithin(trx, accountId, groupId);
    const out = new Map<number, MembershipOutcome>();
    const missing = table === 'group_supervisors' ? 'not a supervisor' : 'does not manage the group';
    for (const chunk of idChunks(userIds)) {
      const rows = await this.holdersIn(trx, table, accountId, groupId, chunk).execute();
      const holders = rows.map((row) => row.user_id);
      markDone(out, chunk, holders, missing);
      if (holders.length === 0) continue;
      await trx.deleteFrom(table).where('group_id', '=', groupId).where(this.idIn('user_id', holders)).execute();
      const action = table === 'group_supervisors' ? 'user.supervisor.unassign' : 'user.can_manage.unassign';
      await this.auditUsers(trx, actor, accountId, holders, action, { group: describe(group) });
    }
    return out;
  }

  /** One audit entry per user (one INSERT ... SELECT). */
  private async auditUsers(
    trx: Trx,
    actor: Actor,
    accountId: number,
    userIds: number[],
    action: string,
    after: unknown,
    before: unknown = null,
  ) {
    await this.audit.recordForUsers(trx, { accountId, actor, action, userIds, before, after });
  }

  /** The group, if it is a group of the account; else a NotFound error. */
  async groupWithin(executor: Db | Trx, accountId: number, groupId: number): Promise<TeamGroup> {
    const row = await executor
      .selectFrom('groups as g')
      .leftJoin('groups as p', 'p.id', 'g.parent_id')
      .select(['g.id', 'g.name', 'g.level', 'p.name as parent_name'])
      .where('g.account_id', '=', accountId)
      .where('g.id', '=', groupId)
      .executeTakeFirst();
    if (!row) throw notFound('Group');
    return {
      id: row.id,
      name: row.name,
      level: row.level,
      path: row.parent_name ? `${row.parent_name} / ${row.name}` : row.name,
    };
  }

  /**
   * The group facts decisions need, for the users asked about and the groups and owners the questions name: one
   * query on memberships and one on "can manage" groups, none when no question names a group.
   */
  async groupFacts(accountId: number, userIds: number[], resources: (Resource | undefined)[]): Promise<GroupFacts> {
    const groupIds = new Set<number>();
    const people = new Set(userIds);
    for (const resource of resources) {
      if (resource?.groupId === undefined) continue;
      groupIds.add(resource.groupId);
      if (resource.ownerId !== undefined) people.add(resource.ownerId);
    }
    if (groupIds.size === 0 || userIds.length === 0) return NO_GROUPS;
    const groups = [...groupIds];
    const members = await this.db
      .selectFrom('group_members')
      .select(['user_id', 'group_id'])
      .where('account_id', '=', accountId)
      .where(this.idIn('group_id', groups))
      .where(this.idIn('user_id', [...people]))
      .execute();
    const managers = await this.db
      .selectFrom('group_managers')
      .select(['user_id', 'group_id'])
      .where('account_id', '=', accountId)
      .where(this.idIn('group_id', groups))
      .where(this.idIn('user_id', userIds))
      .execute();
    const key = (userId: number, groupId: number) => `${userId}:${groupId}`;
    const memberOf = new Set(members.map((row) => key(row.user_id, row.group_id)));
    const manages = new Set(managers.map((row) => key(row.user_id, row.group_id)));
    return {
      isMember: (userId, groupId) => memberOf.has(key(userId, groupId)),
      // Direct members only: membership of a subgroup is a row for the subgroup, never for its parent.
      canReview: (userId, groupId, ownerId) =>
        ownerId !== undefined && manages.has(key(userId, groupId)) && memberOf.has(key(ownerId, groupId)),
    };
  }

  // ---- Single-user operations (the console's Teams and Can manage tabs, and the move) ----

  private assertUser(actor: Actor, userId: number) {
    authorize(actor, 'users.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage teams'),
    );
    return findVisibleUser(this.db, actor, userId);
  }

  /** A user's teams (main first, then by name), the teams they supervise and the groups they can manage. */
  async teamsOf(actor: Actor, userId: number): Promise<UserTeams> {
    await this.assertUser(actor, userId);
    const list = async (table: 'group_members' | RoleTable) => {
      const rows = await this.db
        .selectFrom(`${table} as m` as 'group_members as m')
        .innerJoin('groups as g', 'g.id', 'm.group_id')
        .leftJoin('groups as p', 'p.id', 'g.parent_id')
        .select(['g.id', 'g.name', 'g.level', 'p.name as parent_name'])
        .select(table === 'group_members' ? sql<number>`m.is_main`.as('is_main') : sql<number>`0`.as('is_main'))
        .where('m.user_id', '=', userId)
        .where('m.account_id', '=', actor.accountId)
        .orderBy('g.name_key')
        .orderBy('g.id')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        level: row.level,
        path: row.parent_name ? `${row.parent_name} / ${row.name}` : row.name,
        isMain: Number(row.is_main) === 1,
      }));
    };
    const teams = await list('group_members');
    teams.sort((a, b) => Number(b.isMain) - Number(a.isMain));
    const strip = (items: Awaited<ReturnType<typeof list>>) => items.map(({ isMain: _m, ...group }) => group);
    return {
      userId,
      teams,
      supervises: strip(await list('group_supervisors')),
      canManage: strip(await list('group_managers')),
    };
  }

  /** Runs one set-based operation for one user and answers with the user's teams; a skip becomes a 409. */
  private async one(
    actor: Actor,
    userId: number,
    run: (trx: Trx) => Promise<Map<number, MembershipOutcome>>,
  ): Promise<UserTeams> {
    await this.assertUser(actor, userId);
    await this.db.transaction().execute(async (trx) => {
      const outcome = (await run(trx)).get(userId);
      if (outcome?.status === 'skipped') {
        throw conflict('MembershipUnchanged', `Nothing changed: ${outcome.reason}`, [
          { path: 'groupId', message: capitalize(outcome.reason) },
        ]);
      }
    });
    return this.teamsOf(actor, userId);
  }

  joinTeam(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) => this.assignTeamWithin(trx, actor, actor.accountId, [userId], groupId));
  }

  leaveTeam(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) => this.unassignTeamWithin(trx, actor, actor.accountId, [userId], groupId));
  }

  setMainTeam(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) => this.setMainTeamWithin(trx, actor, actor.accountId, [userId], groupId));
  }

  addSupervisor(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) =>
      this.assignSupervisorWithin(trx, actor, actor.accountId, [userId], groupId),
    );
  }

  removeSupervisor(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) =>
      this.unassignSupervisorWithin(trx, actor, actor.accountId, [userId], groupId),
    );
  }

  addCanManage(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) => this.assignCanManageWithin(trx, actor, actor.accountId, [userId], groupId));
  }

  removeCanManage(actor: Actor, userId: number, groupId: number) {
    return this.one(actor, userId, (trx) =>
      this.unassignCanManageWithin(trx, actor, actor.accountId, [userId], groupId),
    );
  }

  /**
   * Moves a user to another group: they leave their main team (or `fromGroupId`) and join the target, which becomes
   * their main team; their other teams stay. A `user.moved` event tells the applications holding the user's calls,
   * in the same transaction, whether to move the calls too.
   */
  async move(actor: Actor, userId: number, input: MoveInput, meta: RequestMeta = {}) {
    const user = await this.assertUser(actor, userId);
    const accountId = actor.accountId;
    const event = await this.db.transaction().execute(async (trx) => {
      const to = await this.groupWithin(trx, accountId, input.toGroupId);
      let from: TeamGroup | null = null;
      if (input.fromGroupId !== undefined) {
        from = await this.groupWithin(trx, accountId, input.fromGroupId);
        const member = await trx
          .selectFrom('group_members')
          .select('user_id')
          .where('group_id', '=', from.id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (!member)
          throw conflict('NotAMember', `The user is not a member of ${from.path}`, [
            { path: 'fromGroupId', message: 'The user is not a member of this group' },
          ]);
      } else {
        const main = await trx
          .selectFrom('group_members')
          .select('group_id')
          .where('user_id', '=', userId)
          .where('is_main', '=', 1)
          .executeTakeFirst();
        if (main) from = await this.groupWithin(trx, accountId, main.group_id);
      }
      if (from?.id === to.id)
        throw conflict('SameGroup', 'The user is already in this group', [
          { path: 'toGroupId', message: 'Choose another group than the one the user leaves' },
        ]);
      if (from) {
        await trx.deleteFrom('group_members').where('group_id', '=', from.id).where('user_id', '=', userId).execute();
        await this.touch(trx, [from.id]);
      }
      await trx.updateTable('group_members').set({ is_main: 0 }).where('user_id', '=', userId).execute();
      const at = this.now().toISOString();
      await trx
        .insertInto('group_members')
        .values({ group_id: to.id, user_id: userId, account_id: accountId, is_main: 1, created_at: at })
        .onConflict((oc) => oc.columns(['group_id', 'user_id']).doUpdateSet({ is_main: 1 }))
        .execute();
      await this.touch(trx, [to.id]);
      const moved = { userId, fromGroupId: from?.id ?? null, toGroupId: to.id, moveCalls: input.moveCalls === true };
      const change = { before: { mainTeam: from ? describe(from) : null }, after: { mainTeam: describe(to) } };
      // Subscribers to membership changes learn of it too; user.moved follows with what the calls should do.
      const membership = { ...(from ? { left: describe(from) } : {}), joined: describe(to), mainTeam: describe(to) };
      const [, event] = await emitUserEvents(
        trx,
        this.dialect,
        [
          { accountId, userId, type: 'team.membership_changed', change: membership },
          { accountId, userId, type: 'user.moved', change, extra: moved },
        ],
        at,
      );
      await this.audit.record(trx, {
        accountId,
        actor,
        action: 'user.move',
        target: { type: 'user', id: userId, label: user.username },
        before: { mainTeam: from ? describe(from) : null },
        after: { mainTeam: describe(to), moveCalls: moved.moveCalls },
        ip: meta.ip,
      });
      const { id, type, payload, createdAt, sequence } = event as EmittedUserEvent;
      return { id, type, userId, sequence, payload, createdAt };
    });
    return { teams: await this.teamsOf(actor, userId), event };
  }
}

/** Marks `done` ids done and every other id of `asked` skipped for `reason` (a user the statement did not touch). */
function markDone(
  out: Map<number, MembershipOutcome>,
  asked: number[],
  done: number[],
  reason = 'not a user of the account',
) {
  const set = new Set(done);
  for (const id of asked) out.set(id, set.has(id) ? { status: 'done' } : { status: 'skipped', reason });
}

const describe = (group: TeamGroup) => ({ id: group.id, path: group.path });
const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
