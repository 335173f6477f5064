// The group tree of an account: level 1 is the account itself, levels 2 and 3 hold any number of groups. Create,
// rename, move and delete (a group with members or subgroups is deleted only in the way the admin chooses).
import { type RawBuilder, sql } from 'kysely';
import type { GroupCreate, GroupDelete, GroupUpdate } from '../../shared/organization-schemas.js';
import { foldAccents } from '../../shared/search-text.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import { AppError, conflict, forbidden, notFound } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import { cursorValueFits } from '../search/order.js';
import type { AuditLog } from './audit.js';
import type { Teams, Trx } from './teams.js';
import { type RequestMeta, scopedDepartments } from './users.js';

/** Levels under the account: 2 (the account's groups) and 3 (their subgroups). */
export const MAX_LEVEL = 3;

/**
 * Which users `actor` sees in groups (members, supervisors and their counts): every one, or for an admin limited to
 * some departments, those of the departments (as in the user list). `department` is the user's column to test.
 */
function seenBy(actor: Actor, department: string) {
  const scope = scopedDepartments(actor);
  if (scope === null) return sql<boolean>`true`;
  return scope.length === 0 ? sql<boolean>`false` : sql<boolean>`${sql.ref(department)} in (${sql.join(scope)})`;
}

/** How many direct members of the group `groupId` (a column or a value) `actor` sees. */
function seenMembers(actor: Actor, groupId: RawBuilder<unknown>) {
  // Every member: no need to read the users.
  if (scopedDepartments(actor) === null) {
    return sql<number>`(select count(*) from group_members m where m.group_id = ${groupId})`;
  }
  return sql<number>`(select count(*) from group_members m inner join users u on u.id = m.user_id
    where m.group_id = ${groupId} and ${seenBy(actor, 'u.department')})`;
}

/** What only provisioning sets on a group (SCIM: the client's external id, members in the same transaction). */
export interface GroupWriteOptions {
  externalId?: string | null;
  also?: (trx: Trx, groupId: number) => Promise<void>;
}

export interface TreeNode {
  id: number;
  parentId: number | null;
  name: string;
  memberCount: number;
}

const depthExceeded = (message: string, path = 'parentId') =>
  new AppError(422, 'GroupDepthExceeded', message, [{ path, message }]);

export class Groups {
  private readonly db: Db;

  constructor(
    handle: DatabaseHandle,
    private readonly teams: Teams,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
  }

  assertCanManage(actor: Actor) {
    authorize(actor, 'users.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage groups'),
    );
  }

  /** Changing the tree changes it for every member: admins limited to some departments read it only. */
  private assertCanChange(actor: Actor) {
    this.assertCanManage(actor);
    authorize(actor, 'organization.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Changing groups needs an admin whose profile allows every user'),
    );
  }

  /** The whole tree as a flat list (parents before children, siblings by name) with direct member counts. */
  async tree(actor: Actor): Promise<{ items: TreeNode[]; total: number }> {
    this.assertCanManage(actor);
    const rows = await this.db
      .selectFrom('groups as g')
      .select(['g.id', 'g.parent_id', 'g.name', 'g.level', seenMembers(actor, sql.ref('g.id')).as('member_count')])
      .where('g.account_id', '=', actor.accountId)
      .orderBy('g.level')
      .orderBy('g.name_key')
      .orderBy('g.id')
      .execute();
    const items = rows.map((row) => ({
      id: row.id,
      parentId: row.parent_id,
      name: row.name,
      memberCount: Number(row.member_count),
    }));
    return { items, total: items.length };
  }

  /** A group with its path, subgroups, supervisors and a page of its direct members. */
  async get(actor: Actor, id: number, options: { memberLimit?: number; after?: string } = {}) {
    this.assertCanManage(actor);
    const group = await this.find(this.db, actor.accountId, id);
    const limit = options.memberLimit ?? 100;
    const subgroups = await this.db
      .selectFrom('groups as g')
      .select([
        'g.id',
        'g.name',
        seenMembers(actor, sql.ref('g.id')).as('member_count'),
        sql<number>`(select count(*) from groups c where c.parent_id = g.id)`.as('subgroup_count'),
      ])
      .where('g.account_id', '=', actor.accountId)
      .where('g.parent_id', '=', id)
      .orderBy('g.name_key')
      .orderBy('g.id')
      .execute();
    const person = ['u.id', 'u.username', 'u.first_name', 'u.last_name', 'u.email', 'u.enabled', 'u.name_key'] as const;
    let members = this.db
      .selectFrom('group_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select([...person, 'm.is_main'])
      .where('m.group_id', '=', id)
      .where(seenBy(actor, 'u.department'))
      .orderBy('u.name_key')
      .orderBy('u.id')
      .limit(limit + 1);
    if (options.after) {
      const [key, userId] = decodeAfter(options.after);
      members = members.where((eb) => eb(eb.refTuple('u.name_key', 'u.id'), '>', eb.tuple(key, userId)));
    }
    const memberRows = await members.execute();
    const more = memberRows.length > limit;
    const page = memberRows.slice(0, limit);
    const last = page[page.length - 1];
    const supervisors = await this.db
      .selectFrom('group_supervisors as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(person)
      .where('s.group_id', '=', id)
      .where(seenBy(actor, 'u.department'))
      .orderBy('u.name_key')
      .orderBy('u.id')
      .execute();
    const counts = await this.db.selectNoFrom(seenMembers(actor, sql`${id}`).as('n')).executeTakeFirstOrThrow();
    const present = (row: {
      id: number;
      username: string;
      first_name: string;
      last_name: string;
      email: string;
      enabled: number;
    }) => ({
      id: row.id,
      username: row.username,
      displayName: `${row.first_name} ${row.last_name}`.trim() || row.username,
      email: row.email || null,
      enabled: row.enabled === 1,
    });
    return {
      ...group,
      memberCount: Number(counts.n),
      subgroups: subgroups.map((row) => ({
        id: row.id,
        name: row.name,
        memberCount: Number(row.member_count),
        subgroupCount: Number(row.subgroup_count),
      })),
      supervisors: supervisors.map(present),
      members: page.map((row) => ({ ...present(row), isMainTeam: row.is_main === 1 })),
      nextMembers: more && last ? encodeAfter(last.name_key, last.id) : null,
      can: { createSubgroup: group.level < MAX_LEVEL },
    };
  }

  private async find(executor: Db | Trx, accountId: number, id: number) {
    const row = await executor
      .selectFrom('groups as g')
      .leftJoin('groups as p', 'p.id', 'g.parent_id')
      .select(['g.id', 'g.name', 'g.parent_id', 'g.level', 'g.created_at', 'g.updated_at', 'p.name as parent_name'])
      .where('g.account_id', '=', accountId)
      .where('g.id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Group');
    return {
      id: row.id,
      name: row.name,
      parentId: row.parent_id,
      level: row.level,
      path: [...(row.parent_id && row.parent_name ? [{ id: row.parent_id, name: row.parent_name }] : [])],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** The level a group gets under `parentId` (null: the account), or a GroupDepthExceeded error. */
  private async levelUnder(trx: Trx, accountId: number, parentId: number | null, field = 'parentId') {
    if (parentId === null) return 2;
    const parent = await trx
      .selectFrom('groups')
      .select(['id', 'level', 'name'])
      .where('account_id', '=', accountId)
      .where('id', '=', parentId)
      .executeTakeFirst();
    if (!parent)
      throw new AppError(404, 'NotFound', 'Parent group not found', [{ path: field, message: 'No such group' }]);
    if (parent.level >= MAX_LEVEL) {
      throw depthExceeded(
        `Groups go three levels deep (the account, its groups, their subgroups): ${parent.name} is on level 3 and cannot hold subgroups`,
        field,
      );
    }
    return parent.level + 1;
  }

  async create(actor: Actor, input: GroupCreate, meta: RequestMeta = {}, options: GroupWriteOptions = {}) {
    this.assertCanChange(actor);
    const at = this.now().toISOString();
    const id = await this.db.transaction().execute(async (trx) => {
      const parentId = input.parentId ?? null;
      const level = await this.levelUnder(trx, actor.accountId, parentId);
      await this.assertNameFree(trx, actor.accountId, parentId, input.name);
      const row = await trx
        .insertInto('groups')
        .values({
          account_id: actor.accountId,
          parent_id: parentId,
          parent_key: parentId ?? 0,
          name: input.name,
          name_key: foldAccents(input.name),
          level,
          created_at: at,
          updated_at: at,
          ...(options.externalId !== undefined ? { external_id: options.externalId } : {}),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'group.create',
        target: { type: 'group', id: row.id, label: input.name },
        after: { name: input.name, parentId, level },
        ip: meta.ip,
      });
      await options.also?.(trx, row.id);
      return row.id;
    });
    return this.get(actor, id);
  }

  private async assertNameFree(
    trx: Trx,
    accountId: number,
    parentId: number | null,
    name: string,
    except: number[] = [],
  ) {
    let q = trx
      .selectFrom('groups')
      .select('id')
      .where('account_id', '=', accountId)
      .where('parent_key', '=', parentId ?? 0)
      .where('name_key', '=', foldAccents(name));
    if (except.length > 0) q = q.where('id', 'not in', except);
    if (await q.executeTakeFirst()) {
      throw conflict('GroupNameTaken', `There is already a group named ${name} here`, [
        { path: 'name', message: 'A sibling group already has this name' },
      ]);
    }
  }

  /** Renames and/or moves a group (with its subgroups) under another parent, or to the top (`parentId: null`). */
  async update(actor: Actor, id: number, input: GroupUpdate, meta: RequestMeta = {}, options: GroupWriteOptions = {}) {
    this.assertCanChange(actor);
    await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor.accountId, id);
      const parentId = input.parentId === undefined ? before.parentId : input.parentId;
      const name = input.name ?? before.name;
      let level = before.level;
      if (parentId !== before.parentId) {
        if (parentId === id) throw depthExceeded('A group cannot be moved under itself');
        level = await this.levelUnder(trx, actor.accountId, parentId);
        const children = await trx
          .selectFrom('groups')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('parent_id', '=', id)
          .executeTakeFirstOrThrow();
        if (Number(children.n) > 0 && level >= MAX_LEVEL) {
          throw depthExceeded(
            `${before.name} has subgroups: under another group they would be on level 4, and groups go three levels deep`,
          );
        }
      }
      await this.assertNameFree(trx, actor.accountId, parentId, name, [id]);
      await trx
        .updateTable('groups')
        .set({
          name,
          name_key: foldAccents(name),
          parent_id: parentId,
          parent_key: parentId ?? 0,
          level,
          updated_at: this.now().toISOString(),
          version: sql<number>`version + 1`,
          ...(options.externalId !== undefined ? { external_id: options.externalId } : {}),
        })
        .where('id', '=', id)
        .execute();
      if (name !== before.name || parentId !== before.parentId) {
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action: parentId !== before.parentId ? 'group.move' : 'group.rename',
          target: { type: 'group', id, label: name },
          before: { name: before.name, parentId: before.parentId },
          after: { name, parentId },
          ip: meta.ip,
        });
      }
      await options.also?.(trx, id);
    });
    return this.get(actor, id);
  }

  /**
   * Deletes a group. An empty group just goes; one with members or subgroups needs the admin's choice:
   * `refuse` (the default) answers GroupNotEmpty; `move_to_parent` moves its subgroups up a level and its members
   * into the parent group (a level-2 group's parent is the account: its members simply leave it); `delete_all`
   * deletes its subgroups too and ends every membership in them. Main teams follow the main-team rule.
   */
  async remove(
    actor: Actor,
    id: number,
    input: GroupDelete,
    meta: RequestMeta = {},
    options: { before?: (trx: Trx) => Promise<void> } = {},
  ) {
    this.assertCanChange(actor);
    const mode = input.mode ?? 'refuse';
    return this.db.transaction().execute(async (trx) => {
      // First in the transaction: a caller's precondition (SCIM's If-Match) holds for what is deleted.
      await options.before?.(trx);
      const group = await this.find(trx, actor.accountId, id);
      const children = await trx.selectFrom('groups').select(['id', 'name']).where('parent_id', '=', id).execute();
      const members = await trx
        .selectFrom('group_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('group_id', '=', id)
        .executeTakeFirstOrThrow();
      const memberCount = Number(members.n);
      if (mode === 'refuse' && (children.length > 0 || memberCount > 0)) {
        throw conflict(
          'GroupNotEmpty',
          `${group.name} has ${memberCount} member(s) and ${children.length} subgroup(s): choose to move them to the parent or to delete them`,
          [{ path: 'mode', message: 'Choose move_to_parent or delete_all' }],
        );
      }
      let moved = 0;
      if (mode === 'move_to_parent') {
        for (const child of children) {
          await this.assertNameFree(trx, actor.accountId, group.parentId, child.name, [child.id, id]);
        }
        // The group leaves its siblings' name space first: a subgroup may carry its name.
        await trx.updateTable('groups').set({ parent_key: -id }).where('id', '=', id).execute();
        await trx
          .updateTable('groups')
          .set({ parent_id: group.parentId, parent_key: group.parentId ?? 0, level: group.level })
          .where('parent_id', '=', id)
          .execute();
        if (group.parentId !== null && memberCount > 0) {
          const ids = (
            await trx.selectFrom('group_members').select('user_id').where('group_id', '=', id).execute()
          ).map((row) => row.user_id);
          const outcome = await this.teams.assignTeamWithin(trx, actor, actor.accountId, ids, group.parentId);
          moved = [...outcome.values()].filter((o) => o.status === 'done').length;
          // Who had the deleted group as main team gets the parent as main.
          await trx
            .updateTable('group_members')
            .set({ is_main: 0 })
            .where('group_id', '=', id)
            .where('is_main', '=', 1)
            .execute();
          await trx
            .updateTable('group_members')
            .set({ is_main: 1 })
            .where('group_id', '=', group.parentId)
            .where(
              sql<boolean>`not exists (select 1 from group_members o where o.user_id = group_members.user_id and o.is_main = 1)`,
            )
            .where('user_id', 'in', trx.selectFrom('group_members').select('user_id').where('group_id', '=', id))
            .execute();
        }
      }
      const doomed = mode === 'delete_all' ? [id, ...children.map((c) => c.id)] : [id];
      const removed = await this.teams.removeMembershipsWithin(trx, actor.accountId, doomed);
      await trx.deleteFrom('groups').where('account_id', '=', actor.accountId).where('id', 'in', doomed).execute();
      // A saved filter of a deleted group would only fail: it goes with the group (any admin's of the account).
      const filters = await trx
        .selectFrom('saved_filters')
        .select(['id', 'params_json'])
        .where('account_id', '=', actor.accountId)
        .where('params_json', 'like', '%"groupId"%')
        .execute();
      const gone = new Set(doomed);
      const stale = filters
        .filter((row) =>
          gone.has((JSON.parse(row.params_json) as { filter?: { groupId?: number } }).filter?.groupId ?? 0),
        )
        .map((row) => row.id);
      if (stale.length > 0) await trx.deleteFrom('saved_filters').where('id', 'in', stale).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'group.delete',
        target: { type: 'group', id, label: group.name },
        before: { name: group.name, parentId: group.parentId, members: memberCount, subgroups: children.length },
        after: { mode, movedMembers: moved, endedMemberships: removed, removedSavedFilters: stale.length },
        ip: meta.ip,
      });
      return {
        deleted: doomed.length,
        movedMembers: moved,
        endedMemberships: removed,
        removedSavedFilters: stale.length,
      };
    });
  }
}

function encodeAfter(key: string, id: number) {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

function decodeAfter(raw: string): [string, number] {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    const [key, id] = Array.isArray(value) ? value : [];
    // A member's name key and id, as a user list's cursor holds them.
    if (cursorValueFits('name_key', key) && cursorValueFits('id', id)) return [key as string, id as number];
  } catch {
    // fall through
  }
  throw new AppError(400, 'ValidationFailed', 'Invalid cursor', [{ path: 'after', message: 'Invalid cursor' }]);
}
