// Roles of the suite's applications: the built-in catalog seeded per account, the account's own roles and
// composites (cycles refused), role mappings per user, and each user's effective roles.

import { sql, type Transaction } from 'kysely';
import { APP_KEYS, APPS, type AppKey } from '../../shared/access.js';
import type { RoleCreate, RoleUpdate } from '../../shared/access-schemas.js';
import type { AccessType } from '../../shared/constants.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { dropFromRoleIds, syncRoleIds } from '../db/user-facts.js';
import { conflict, forbidden, notFound, validationFailed } from '../errors.js';
import { BUILT_IN_APPS, BUILT_IN_BY_APP, mappedRole } from '../policy/catalog.js';
import { buildCatalog, type CatalogRole, type RoleCatalog, roleSources } from '../policy/decide.js';
import { type Actor, authorize, roleAbilities, userAccessAbilities } from '../policy.js';
import type { AuditLog } from './audit.js';
import { emitUserEvents } from './user-events.js';
import { findManagedUser, findVisibleUser } from './user-lookup.js';
import type { RequestMeta } from './users.js';

type Trx = Transaction<Database>;
type Executor = Db | Trx;

/** Writes the applications' built-in roles and composites for a new account. */
export async function seedRoleCatalog(trx: Executor, accountId: number, at: string): Promise<void> {
  await trx.insertInto('role_catalogs').values({ account_id: accountId, version: 1 }).execute();
  const rows = BUILT_IN_APPS.flatMap((app) =>
    app.roles.map((role) => ({
      account_id: accountId,
      app: app.key,
      name: role.name,
      description: role.description,
      composite: role.children ? 1 : 0,
      built_in: 1,
      created_at: at,
    })),
  );
  const inserted = await trx.insertInto('roles').values(rows).returning(['id', 'app', 'name']).execute();
  const ids = new Map(inserted.map((row) => [`${row.app}/${row.name}`, row.id]));
  const children = BUILT_IN_APPS.flatMap((app) =>
    app.roles.flatMap((role) =>
      (role.children ?? []).map((child) => ({
        account_id: accountId,
        role_id: ids.get(`${app.key}/${role.name}`) as number,
        child_id: ids.get(`${app.key}/${child}`) as number,
      })),
    ),
  );
  if (children.length > 0) await trx.insertInto('role_children').values(children).execute();
}

export interface PresentedRole {
  id: number;
  application: AppKey;
  name: string;
  description: string;
  composite: boolean;
  builtIn: boolean;
  children: { id: number; name: string }[];
  effective: string[];
  can: { update: boolean; delete: boolean };
}

const isUniqueViolation = (error: unknown) => {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};

export class AccessRoles {
  private readonly db: Db;
  private readonly cache = new Map<number, RoleCatalog>();
  /** On PostgreSQL, role edits lock the account's catalog row, so two edits cannot make a cycle together. */
  private readonly lockRows: boolean;

  constructor(
    readonly handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.lockRows = handle.dialect === 'postgres';
  }

  /**
   * The account's role catalog, from this process's cache while its version is current. Callers that already read
   * the version (in the same query as their other facts) pass it and save a query.
   */
  async catalog(accountId: number, knownVersion?: number | null): Promise<RoleCatalog> {
    const cached = this.cache.get(accountId);
    let version = knownVersion;
    if (version === undefined) {
      const row = await this.db
        .selectFrom('role_catalogs')
        .select('version')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      version = row?.version ?? null;
    }
    if (cached && version !== null && cached.version === version) return cached;
    if (version === null) {
      // An account created before roles existed: give it the built-in catalog now.
      await this.db
        .transaction()
        .execute((trx) => seedRoleCatalog(trx, accountId, this.now().toISOString()))
        .catch((error: unknown) => {
          if (!isUniqueViolation(error)) throw error;
        });
    }
    const loaded = await loadCatalog(this.db, accountId);
    this.cache.set(accountId, loaded);
    return loaded;
  }

  private assertCanManage(actor: Actor) {
    authorize(actor, 'access.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage roles'),
    );
  }

  /** A role of the account that role mappings may give (the owner-only role may not be given), or an error. */
  async assignableRole(accountId: number, roleId: number, path = 'roleId') {
    const catalog = await this.catalog(accountId);
    const role = catalog.roles.get(roleId);
    if (!role) throw validationFailed([{ path, message: `Role ${roleId} does not exist` }]);
    const ownerOnly = BUILT_IN_BY_APP.get(role.app)?.ownerOnlyRole;
    if (ownerOnly && catalog.closure(roleId).has(`${role.app}/${ownerOnly}`)) {
      throw conflict('OwnerRoleUnique', `${ownerOnly} belongs to the account owner only; there is one owner`, [
        { path, message: `${ownerOnly} cannot be given: the account has exactly one owner` },
      ]);
    }
    return role;
  }

  /** Every application of the suite with its roles, and what the caller may do with each. */
  async applications(actor: Actor) {
    this.assertCanManage(actor);
    const catalog = await this.catalog(actor.accountId);
    return APP_KEYS.map((key) => {
      const builtIn = BUILT_IN_BY_APP.get(key);
      const mapping = Object.entries(builtIn?.accessTypeRoles ?? {}).map(([accessType, role]) => ({
        accessType: accessType as AccessType | 'owner',
        role: role as string,
      }));
      return {
        key,
        name: APPS[key].name,
        license: APPS[key].license,
        accessTypeRoles: mapping,
        roles: [...catalog.roles.values()]
          .filter((role) => role.app === key)
          .sort(byRoleOrder)
          .map((role) => presentRole(actor, catalog, role)),
      };
    });
  }

  async createRole(actor: Actor, input: RoleCreate, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const id = await this.db.transaction().execute(async (trx) => {
      const catalog = await loadCatalog(trx, actor.accountId, this.lockRows);
      if (catalog.byKey.has(`${input.application}/${input.name}`)) throw roleTaken(input.name);
      const children = this.checkChildren(catalog, input.application, null, input.children ?? []);
      const created = await trx
        .insertInto('roles')
        .values({
          account_id: actor.accountId,
          app: input.application,
          name: input.name,
          description: input.description ?? '',
          composite: input.composite ? 1 : 0,
          built_in: 0,
          created_at: this.now().toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? roleTaken(input.name) : error;
        });
      if (children.length > 0) {
        await trx
          .insertInto('role_children')
          .values(children.map((child) => ({ account_id: actor.accountId, role_id: created.id, child_id: child })))
          .execute();
      }
      await bumpVersion(trx, actor.accountId);
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'role.create',
        target: { type: 'role', id: created.id, label: `${input.application}/${input.name}` },
        after: {
          application: input.application,
          name: input.name,
          composite: !!input.composite,
          children: children.map((child) => catalog.roles.get(child)?.name),
        },
        ip: meta.ip,
      });
      return created.id;
    });
    return this.presentOne(actor, id);
  }

  async updateRole(actor: Actor, id: number, input: RoleUpdate, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const catalog = await loadCatalog(trx, actor.accountId, this.lockRows);
      const role = catalog.roles.get(id);
      if (!role) throw notFound('Role');
      if (!roleAbilities(actor, { accountId: actor.accountId, builtIn: role.builtIn }).update) {
        throw conflict('BuiltInRole', 'Built-in roles cannot be changed; create your own composite role instead');
      }
      const before = { description: role.description, children: role.children.map((c) => catalog.roles.get(c)?.name) };
      if (input.description !== undefined) {
        await trx.updateTable('roles').set({ description: input.description }).where('id', '=', id).execute();
      }
      let childNames = before.children;
      if (input.children !== undefined) {
        if (!role.composite && input.children.length > 0) {
          throw validationFailed([{ path: 'children', message: 'Only a composite role contains other roles' }]);
        }
        const children = this.checkChildren(catalog, role.app, role, input.children);
        await trx.deleteFrom('role_children').where('role_id', '=', id).execute();
        if (children.length > 0) {
          await trx
            .insertInto('role_children')
            .values(children.map((child) => ({ account_id: actor.accountId, role_id: id, child_id: child })))
            .execute();
        }
        childNames = children.map((child) => catalog.roles.get(child)?.name);
      }
      await bumpVersion(trx, actor.accountId);
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'role.update',
        target: { type: 'role', id, label: role.key },
        before,
        after: { description: input.description ?? role.description, children: childNames },
        ip: meta.ip,
      });
    });
    return this.presentOne(actor, id);
  }

  async deleteRole(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const catalog = await loadCatalog(trx, actor.accountId, this.lockRows);
      const role = catalog.roles.get(id);
      if (!role) throw notFound('Role');
      if (role.builtIn) throw conflict('BuiltInRole', 'Built-in roles cannot be deleted');
      const holders = await trx
        .selectFrom('user_roles')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role_id', '=', id)
        .executeTakeFirstOrThrow();
      const held = await trx.selectFrom('user_roles').select('user_id').where('role_id', '=', id).execute();
      await dropFromRoleIds(trx, this.handle.dialect, actor.accountId, id);
      await trx.deleteFrom('roles').where('account_id', '=', actor.accountId).where('id', '=', id).execute();
      // Its holders lose the role mapping with it.
      const change = { unassigned: [role.key], roleDeleted: true };
      const events = held.map((row) => ({
        accountId: actor.accountId,
        userId: row.user_id,
        type: 'user.roles_changed' as const,
        change,
      }));
      await emitUserEvents(trx, this.handle.dialect, events, this.at());
      await bumpVersion(trx, actor.accountId);
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'role.delete',
        target: { type: 'role', id, label: role.key },
        before: { description: role.description, composite: role.composite, holders: Number(holders.n) },
        ip: meta.ip,
      });
    });
  }

  /** Children must be roles of the same application, must not contain the role itself, nor the owner's role. */
  private checkChildren(catalog: RoleCatalog, app: AppKey, role: CatalogRole | null, ids: number[]): number[] {
    const unique = [...new Set(ids)];
    const ownerOnly = BUILT_IN_BY_APP.get(app)?.ownerOnlyRole;
    for (const childId of unique) {
      const child = catalog.roles.get(childId);
      if (!child) throw validationFailed([{ path: 'children', message: `Role ${childId} does not exist` }]);
      if (child.app !== app) {
        throw validationFailed([
          {
            path: 'children',
            message: `${child.name} belongs to ${APPS[child.app].name}: use roles of the same application`,
          },
        ]);
      }
      if (ownerOnly && catalog.closure(childId).has(`${app}/${ownerOnly}`)) {
        throw conflict('OwnerRoleUnique', `${ownerOnly} belongs to the account owner only`, [
          { path: 'children', message: `${ownerOnly} belongs to the account owner only` },
        ]);
      }
      if (role && catalog.closure(childId).has(role.key)) {
        const path =
          role.id === childId ? [role.name, role.name] : [role.name, ...cyclePath(catalog, childId, role.id)];
        const message = `${role.name} cannot contain ${child.name}: that would make a cycle (${path.join(' → ')})`;
        throw conflict('RoleCycle', message, [{ path: 'children', message }]);
      }
    }
    return unique;
  }

  private async presentOne(actor: Actor, id: number) {
    const catalog = await this.catalog(actor.accountId);
    const role = catalog.roles.get(id);
    if (!role) throw notFound('Role');
    return presentRole(actor, catalog, role);
  }

  /** A user's role mappings, the roles their access type maps to, and every effective role with where it comes from. */
  async userRoles(actor: Actor, userId: number) {
    const user = await this.findUser(this.db, actor, userId);
    const catalog = await this.catalog(actor.accountId);
    const assigned = await this.db
      .selectFrom('user_roles')
      .select('role_id')
      .where('account_id', '=', actor.accountId)
      .where('user_id', '=', userId)
      .execute();
    const subject = {
      id: user.id,
      accountId: actor.accountId,
      username: user.username,
      accessType: user.access_type,
      isOwner: user.is_owner === 1,
      isAdmin: user.access_type === 'admin',
      roleIds: assigned.map((row) => row.role_id),
    };
    const effective = new Map<string, { role: CatalogRole; from: Set<string> }>();
    for (const source of roleSources(subject, catalog)) {
      const origin = catalog.roles.get(source.roleId);
      const label = source.via === 'role mapping' ? (origin?.name ?? '') : `${origin?.name} (${source.via})`;
      for (const key of catalog.closure(source.roleId)) {
        const role = catalog.byKey.get(key);
        if (!role) continue;
        const entry = effective.get(key) ?? { role, from: new Set<string>() };
        entry.from.add(label);
        effective.set(key, entry);
      }
    }
    const brief = (role: CatalogRole) => ({
      id: role.id,
      application: role.app,
      name: role.name,
      description: role.description,
      composite: role.composite,
      builtIn: role.builtIn,
    });
    return {
      assigned: subject.roleIds
        .map((id) => catalog.roles.get(id))
        .filter((role): role is CatalogRole => !!role)
        .sort(byRoleOrder)
        .map(brief),
      fromAccessType: APP_KEYS.flatMap((app) => {
        const name = mappedRole(app, subject.accessType, subject.isOwner);
        const role = name ? catalog.byKey.get(`${app}/${name}`) : undefined;
        const asOwner = subject.isOwner && name !== mappedRole(app, subject.accessType, false);
        return role ? [{ ...brief(role), via: asOwner ? 'owner' : subject.accessType }] : [];
      }),
      effective: [...effective.values()]
        .sort((a, b) => byRoleOrder(a.role, b.role))
        .map((entry) => ({ ...brief(entry.role), from: [...entry.from].sort() })),
      can: userAccessAbilities(actor, {
        id: user.id,
        accountId: actor.accountId,
        isOwner: user.is_owner === 1,
        isAdmin: user.access_type === 'admin',
        department: user.department,
      }),
    };
  }

  async assignRoles(actor: Actor, userId: number, roleIds: number[], meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const user = await findManagedUser(trx, actor, userId, 'user.access');
      const catalog = await loadCatalog(trx, actor.accountId, this.lockRows);
      const held = new Set(
        (await trx.selectFrom('user_roles').select('role_id').where('user_id', '=', userId).execute()).map(
          (row) => row.role_id,
        ),
      );
      const added: string[] = [];
      for (const roleId of new Set(roleIds)) {
        const role = catalog.roles.get(roleId);
        if (!role) throw validationFailed([{ path: 'roleIds', message: `Role ${roleId} does not exist` }]);
        const ownerOnly = BUILT_IN_BY_APP.get(role.app)?.ownerOnlyRole;
        if (ownerOnly && catalog.closure(roleId).has(`${role.app}/${ownerOnly}`)) {
          throw conflict('OwnerRoleUnique', `${ownerOnly} belongs to the account owner only; there is one owner`, [
            { path: 'roleIds', message: `${ownerOnly} cannot be given: the account has exactly one owner` },
          ]);
        }
        if (held.has(roleId)) continue;
        added.push(role.key);
        await trx
          .insertInto('user_roles')
          .values({
            account_id: actor.accountId,
            user_id: userId,
            role_id: roleId,
            created_at: this.now().toISOString(),
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      if (added.length > 0) {
        await syncRoleIds(trx, this.handle.dialect, actor.accountId, [userId]);
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action: 'user.roles.assign',
          target: { type: 'user', id: userId, label: user.username },
          after: { roles: added },
          ip: meta.ip,
        });
        const event = { accountId: actor.accountId, userId, type: 'user.roles_changed' as const };
        await emitUserEvents(trx, this.handle.dialect, [{ ...event, change: { assigned: added } }], this.at());
      }
    });
    return this.userRoles(actor, userId);
  }

  async unassignRole(actor: Actor, userId: number, roleId: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const user = await findManagedUser(trx, actor, userId, 'user.access');
      const removed = await trx
        .deleteFrom('user_roles')
        .where('account_id', '=', actor.accountId)
        .where('user_id', '=', userId)
        .where('role_id', '=', roleId)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) throw notFound('Role mapping');
      await syncRoleIds(trx, this.handle.dialect, actor.accountId, [userId]);
      const role = await trx.selectFrom('roles').select(['app', 'name']).where('id', '=', roleId).executeTakeFirst();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.roles.unassign',
        target: { type: 'user', id: userId, label: user.username },
        before: { roles: [role ? `${role.app}/${role.name}` : String(roleId)] },
        ip: meta.ip,
      });
      const unassigned = [role ? `${role.app}/${role.name}` : String(roleId)];
      const event = { accountId: actor.accountId, userId, type: 'user.roles_changed' as const };
      await emitUserEvents(trx, this.handle.dialect, [{ ...event, change: { unassigned } }], this.at());
    });
    return this.userRoles(actor, userId);
  }

  private at() {
    return this.now().toISOString();
  }

  private findUser(executor: Executor, actor: Actor, userId: number) {
    return findVisibleUser(executor, actor, userId);
  }
}

const APP_ORDER = new Map(APP_KEYS.map((key, index) => [key, index]));

/** Built-in before the account's own; plain roles before composites; then by name. */
function byRoleOrder(a: CatalogRole, b: CatalogRole): number {
  return (
    (APP_ORDER.get(a.app) ?? 0) - (APP_ORDER.get(b.app) ?? 0) ||
    Number(b.builtIn) - Number(a.builtIn) ||
    Number(a.composite) - Number(b.composite) ||
    a.name.localeCompare(b.name)
  );
}

function presentRole(actor: Actor, catalog: RoleCatalog, role: CatalogRole): PresentedRole {
  return {
    id: role.id,
    application: role.app,
    name: role.name,
    description: role.description,
    composite: role.composite,
    builtIn: role.builtIn,
    children: role.children
      .map((id) => catalog.roles.get(id))
      .filter((child): child is CatalogRole => !!child)
      .map((child) => ({ id: child.id, name: child.name })),
    effective: [...catalog.closure(role.id)]
      .filter((key) => key !== role.key)
      .map((key) => key.slice(key.indexOf('/') + 1))
      .sort(),
    can: roleAbilities(actor, { accountId: actor.accountId, builtIn: role.builtIn }),
  };
}

/** The chain of composites from `from` down to `to`, for a cycle's error message. */
function cyclePath(catalog: RoleCatalog, from: number, to: number): string[] {
  const previous = new Map<number, number | null>([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift() as number;
    if (id === to) break;
    for (const child of catalog.roles.get(id)?.children ?? []) {
      if (!previous.has(child)) {
        previous.set(child, id);
        queue.push(child);
      }
    }
  }
  const path: string[] = [];
  for (let id: number | null | undefined = to; id !== null && id !== undefined; id = previous.get(id)) {
    path.unshift(catalog.roles.get(id)?.name ?? String(id));
  }
  return path;
}

async function bumpVersion(trx: Trx, accountId: number) {
  await trx
    .updateTable('role_catalogs')
    .set({ version: sql`version + 1` })
    .where('account_id', '=', accountId)
    .execute();
}

/** Reads an account's roles and composites; `lock` serializes concurrent role edits of the account on PostgreSQL. */
async function loadCatalog(executor: Executor, accountId: number, lock = false): Promise<RoleCatalog> {
  let versionQuery = executor.selectFrom('role_catalogs').select('version').where('account_id', '=', accountId);
  if (lock) versionQuery = versionQuery.forUpdate();
  const version = (await versionQuery.executeTakeFirst())?.version ?? 0;
  const roles = await executor
    .selectFrom('roles')
    .select(['id', 'app', 'name', 'description', 'composite', 'built_in'])
    .where('account_id', '=', accountId)
    .execute();
  const links = await executor
    .selectFrom('role_children')
    .select(['role_id', 'child_id'])
    .where('account_id', '=', accountId)
    .execute();
  const children = new Map<number, number[]>();
  for (const link of links) children.set(link.role_id, [...(children.get(link.role_id) ?? []), link.child_id]);
  return buildCatalog(
    version,
    roles.map((row) => ({
      id: row.id,
      app: row.app as AppKey,
      name: row.name,
      key: `${row.app}/${row.name}`,
      composite: row.composite === 1,
      builtIn: row.built_in === 1,
      description: row.description,
      children: children.get(row.id) ?? [],
    })),
  );
}

const roleTaken = (name: string) =>
  conflict('RoleExists', `This application already has a role ${name}`, [
    { path: 'name', message: 'This application already has a role with this name' },
  ]);
