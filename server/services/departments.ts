// Departments (named units of an account; users carry their department's name) and chat-routing groups linked to
// departments. A user given a department name that does not exist yet creates it, in the same transaction; names are
// compared ignoring case and accents, so "ventas" given where "Ventas" exists is "Ventas".
import type { CompiledQuery, Transaction } from 'kysely';
import type { ChatGroupInput } from '../../shared/organization-schemas.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { conflict, forbidden, notFound, validationFailed } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import { departmentKey } from './department-key.js';
import { emitUserEvents } from './user-events.js';
import { derivedColumns, type UserRow } from './user-presenter.js';
import { isUniqueViolation, type RequestMeta, scopedDepartments } from './users.js';

export { departmentKey };

type Trx = Transaction<Database>;

/** Users whose department is renamed are rewritten this many at a time (their search documents change too). */
const RENAME_BATCH = 1000;

export class Departments {
  private readonly db: Db;

  private readonly dialect: DatabaseHandle['dialect'];

  constructor(
    handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
  }

  private assertCanManage(actor: Actor) {
    authorize(actor, 'users.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage departments'),
    );
  }

  /** Changing departments and chat-routing groups changes them for every user: limited admins read them only. */
  private assertCanChange(actor: Actor) {
    this.assertCanManage(actor);
    authorize(actor, 'organization.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Changing departments needs an admin whose profile allows every user'),
    );
  }

  async list(actor: Actor) {
    this.assertCanManage(actor);
    const departments = await this.db
      .selectFrom('departments')
      .select(['id', 'name', 'created_at'])
      .where('account_id', '=', actor.accountId)
      .orderBy('name')
      .execute();
    // User counts come from the facet counts the triggers keep: no scan of the users table.
    const counts = await this.db
      .selectFrom('user_facets')
      .select(['department', (eb) => eb.fn.sum<number>('n').as('n')])
      .where('account_id', '=', actor.accountId)
      .groupBy('department')
      .execute();
    const byName = new Map(counts.map((row) => [row.department, Number(row.n)]));
    const links = await this.db
      .selectFrom('chat_group_departments as l')
      .innerJoin('chat_groups as c', 'c.id', 'l.chat_group_id')
      .select(['l.department_id', 'c.id', 'c.name'])
      .where('c.account_id', '=', actor.accountId)
      .orderBy('c.name')
      .execute();
    // An admin limited to some departments sees those (as in the user list's facets).
    const scope = scopedDepartments(actor);
    return {
      items: departments
        .filter((d) => scope === null || scope.includes(d.name))
        .map((d) => ({
          id: d.id,
          name: d.name,
          userCount: byName.get(d.name) ?? 0,
          chatGroups: links.filter((l) => l.department_id === d.id).map((l) => ({ id: l.id, name: l.name })),
          createdAt: d.created_at,
        })),
    };
  }

  private async find(executor: Trx | Db, accountId: number, id: number) {
    const row = await executor
      .selectFrom('departments')
      .select(['id', 'name'])
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Department');
    return row;
  }

  async create(actor: Actor, name: string, meta: RequestMeta = {}) {
    this.assertCanChange(actor);
    const id = await this.db.transaction().execute(async (trx) => {
      const existing = await findDepartment(trx, actor.accountId, name);
      if (existing) throw departmentTaken(existing.name);
      const row = await trx
        .insertInto('departments')
        .values({
          account_id: actor.accountId,
          name,
          name_key: departmentKey(name),
          created_at: this.now().toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? departmentTaken(name) : error;
        });
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'department.create',
        target: { type: 'department', id: row.id, label: name },
        after: { name },
        ip: meta.ip,
      });
      return row.id;
    });
    return this.one(actor, id);
  }

  private async one(actor: Actor, id: number) {
    const all = await this.list(actor);
    const found = all.items.find((d) => d.id === id);
    if (!found) throw notFound('Department');
    return found;
  }

  /** Renames a department and, in the same transaction, every user's department (and search document). */
  async rename(actor: Actor, id: number, name: string, meta: RequestMeta = {}) {
    this.assertCanChange(actor);
    await this.db.transaction().execute(async (trx) => {
      const before = await this.find(trx, actor.accountId, id);
      if (before.name === name) return;
      // Another department of the same name in any case or accents is taken; this one may change its case.
      const taken = await findDepartment(trx, actor.accountId, name);
      if (taken && taken.id !== id) throw departmentTaken(taken.name);
      await trx
        .updateTable('departments')
        .set({ name, name_key: departmentKey(name) })
        .where('id', '=', id)
        .execute()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? departmentTaken(name) : error;
        });
      const at = this.now().toISOString();
      let users = 0;
      let after = 0;
      for (;;) {
        const rows = (await trx
          .selectFrom('users')
          .selectAll()
          .where('account_id', '=', actor.accountId)
          .where('department', '=', before.name)
          .where('id', '>', after)
          .orderBy('id')
          .limit(RENAME_BATCH)
          .execute()) as UserRow[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const changed = { ...row, department: name };
          await trx
            .updateTable('users')
            .set({ department: name, ...derivedColumns(changed), updated_at: at })
            .where('id', '=', row.id)
            .execute();
        }
        const change = { before: { department: before.name }, after: { department: name } };
        const events = rows.map((row) => ({
          accountId: actor.accountId,
          userId: row.id,
          type: 'user.updated' as const,
          change,
        }));
        await emitUserEvents(trx, this.dialect, events, at);
        users += rows.length;
        after = rows[rows.length - 1]?.id as number;
      }
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'department.rename',
        target: { type: 'department', id, label: name },
        before: { name: before.name },
        after: { name, users },
        ip: meta.ip,
      });
    });
    return this.one(actor, id);
  }

  /** Deletes a department nobody carries and no chat-routing group is linked to; otherwise says what uses it. */
  async remove(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanChange(actor);
    await this.db.transaction().execute(async (trx) => {
      const department = await this.find(trx, actor.accountId, id);
      const used = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', actor.accountId)
        .where('department', '=', department.name)
        .executeTakeFirstOrThrow();
      const linked = await trx
        .selectFrom('chat_group_departments as l')
        .innerJoin('chat_groups as c', 'c.id', 'l.chat_group_id')
        .select('c.name')
        .where('l.department_id', '=', id)
        .execute();
      const problems: string[] = [];
      if (Number(used.n) > 0) problems.push(`${used.n} user(s) are in it: give them another department first`);
      if (linked.length > 0)
        problems.push(`chat-routing groups ${linked.map((l) => l.name).join(', ')} are linked to it: unlink it first`);
      if (problems.length > 0) {
        throw conflict('DepartmentInUse', `${department.name} cannot be deleted: ${problems.join('; ')}`);
      }
      await trx.deleteFrom('departments').where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'department.delete',
        target: { type: 'department', id, label: department.name },
        before: { name: department.name },
        ip: meta.ip,
      });
    });
  }

  // ---- Chat-routing groups ----

  async chatGroups(actor: Actor) {
    this.assertCanManage(actor);
    const groups = await this.db
      .selectFrom('chat_groups')
      .select(['id', 'name', 'created_at'])
      .where('account_id', '=', actor.accountId)
      .orderBy('name')
      .execute();
    const links = await this.db
      .selectFrom('chat_group_departments as l')
      .innerJoin('departments as d', 'd.id', 'l.department_id')
      .select(['l.chat_group_id', 'd.id', 'd.name'])
      .where('d.account_id', '=', actor.accountId)
      .orderBy('d.name')
      .execute();
    return {
      items: groups.map((g) => ({
        id: g.id,
        name: g.name,
        departments: links.filter((l) => l.chat_group_id === g.id).map((l) => ({ id: l.id, name: l.name })),
        createdAt: g.created_at,
      })),
    };
  }

  private async chatGroup(actor: Actor, id: number) {
    const found = (await this.chatGroups(actor)).items.find((g) => g.id === id);
    if (!found) throw notFound('Chat-routing group');
    return found;
  }

  async saveChatGroup(actor: Actor, id: number | null, input: ChatGroupInput, meta: RequestMeta = {}) {
    this.assertCanChange(actor);
    const saved = await this.db.transaction().execute(async (trx) => {
      let groupId = id;
      let before: { name: string; departmentIds: number[] } | null = null;
      if (groupId === null) {
        if (!input.name) throw validationFailed([{ path: 'name', message: 'Name is required' }]);
        const row = await trx
          .insertInto('chat_groups')
          .values({ account_id: actor.accountId, name: input.name, created_at: this.now().toISOString() })
          .returning('id')
          .executeTakeFirstOrThrow()
          .catch((error: unknown) => {
            throw isUniqueViolation(error) ? chatGroupTaken(input.name as string) : error;
          });
        groupId = row.id;
      } else {
        const row = await trx
          .selectFrom('chat_groups')
          .select(['id', 'name'])
          .where('account_id', '=', actor.accountId)
          .where('id', '=', groupId)
          .executeTakeFirst();
        if (!row) throw notFound('Chat-routing group');
        const links = await trx
          .selectFrom('chat_group_departments')
          .select('department_id')
          .where('chat_group_id', '=', groupId)
          .execute();
        before = { name: row.name, departmentIds: links.map((l) => l.department_id).sort((a, b) => a - b) };
        if (input.name && input.name !== row.name) {
          await trx
            .updateTable('chat_groups')
            .set({ name: input.name })
            .where('id', '=', groupId)
            .execute()
            .catch((error: unknown) => {
              throw isUniqueViolation(error) ? chatGroupTaken(input.name as string) : error;
            });
        }
      }
      if (input.departmentIds) {
        const wanted = [...new Set(input.departmentIds)];
        if (wanted.length > 0) {
          const found = await trx
            .selectFrom('departments')
            .select('id')
            .where('account_id', '=', actor.accountId)
            .where('id', 'in', wanted)
            .execute();
          const known = new Set(found.map((d) => d.id));
          const unknown = wanted.filter((d) => !known.has(d));
          if (unknown.length > 0) {
            throw validationFailed(
              [{ path: 'departmentIds', message: `No such department: ${unknown.join(', ')}` }],
              'Some departments do not exist',
            );
          }
        }
        await trx.deleteFrom('chat_group_departments').where('chat_group_id', '=', groupId).execute();
        if (wanted.length > 0) {
          await trx
            .insertInto('chat_group_departments')
            .values(wanted.map((departmentId) => ({ chat_group_id: groupId as number, department_id: departmentId })))
            .execute();
        }
      }
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: id === null ? 'chat_group.create' : 'chat_group.update',
        target: { type: 'chat_group', id: groupId, label: input.name ?? before?.name ?? '' },
        before,
        after: { name: input.name ?? before?.name, departmentIds: input.departmentIds ?? before?.departmentIds },
        ip: meta.ip,
      });
      return groupId;
    });
    return this.chatGroup(actor, saved);
  }

  async removeChatGroup(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanChange(actor);
    const group = await this.chatGroup(actor, id);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('chat_groups').where('account_id', '=', actor.accountId).where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'chat_group.delete',
        target: { type: 'chat_group', id, label: group.name },
        before: { name: group.name, departmentIds: group.departments.map((d) => d.id) },
        ip: meta.ip,
      });
    });
  }
}

/** The account's department that `name` names, in any case or accents. */
export async function findDepartment(executor: Trx | Db, accountId: number, name: string) {
  return executor
    .selectFrom('departments')
    .select(['id', 'name'])
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('name_key', '=', departmentKey(name)), eb('name', '=', name)]))
    .orderBy('id')
    .executeTakeFirst();
}

/**
 * The department a user given `name` belongs to: the account's department of that name in any case or accents
 * ("ventas" where "Ventas" exists is "Ventas"), created when there is none. Returns the name to store on the user.
 */
export async function ensureDepartment(executor: Trx | Db, accountId: number, name: string, at: string) {
  if (!name) return name;
  const existing = await findDepartment(executor, accountId, name);
  if (existing) return existing.name;
  await executor
    .insertInto('departments')
    .values({ account_id: accountId, name, name_key: departmentKey(name), created_at: at })
    .onConflict((oc) => oc.doNothing())
    .execute();
  // Another transaction may have created it in another case meanwhile: take its name.
  return (await findDepartment(executor, accountId, name))?.name ?? name;
}

/**
 * The statements that make sure the account has departments of these names, 500 a statement, for a writer that runs
 * compiled statements on its own connection (an import). A name that exists in another case or accents is that
 * department (its folded key is taken, and the insert does nothing).
 */
export function ensureDepartmentsStatements(db: Db, accountId: number, names: string[], at: string): CompiledQuery[] {
  const statements: CompiledQuery[] = [];
  for (let i = 0; i < names.length; i += 500) {
    statements.push(
      db
        .insertInto('departments')
        .values(
          names
            .slice(i, i + 500)
            .map((name) => ({ account_id: accountId, name, name_key: departmentKey(name), created_at: at })),
        )
        .onConflict((oc) => oc.doNothing())
        .compile(),
    );
  }
  return statements;
}

/** The names of the account's departments that `names` name (any case or accents), or the first unknown one. */
export async function resolveDepartments(
  executor: Trx | Db,
  accountId: number,
  names: string[],
): Promise<{ names: string[]; unknown: string[] }> {
  if (names.length === 0) return { names: [], unknown: [] };
  const rows = await executor
    .selectFrom('departments')
    .select(['name', 'name_key'])
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('name_key', 'in', names.map(departmentKey)), eb('name', 'in', names)]))
    .orderBy('id')
    .execute();
  const resolved: string[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const found = rows.find((row) => row.name === name) ?? rows.find((row) => row.name_key === departmentKey(name));
    if (found) resolved.push(found.name);
    else unknown.push(name);
  }
  return { names: [...new Set(resolved)], unknown };
}

const departmentTaken = (name: string) =>
  conflict('DepartmentNameTaken', `There is already a department named ${name}`, [
    { path: 'name', message: `A department already has this name: ${name}` },
  ]);

const chatGroupTaken = (name: string) =>
  conflict('ChatGroupNameTaken', `There is already a chat-routing group named ${name}`, [
    { path: 'name', message: 'A chat-routing group already has this name' },
  ]);
