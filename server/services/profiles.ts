// Profiles: named permission sets for the admin modules (Profiles, Users, Campaigns, Connectors), each module All,
// Not allowed or a list of specific items. A user has at most one profile; the policy applies it (policy.ts).
import type { Kysely, Transaction } from 'kysely';
import {
  describeRule,
  type ModuleRule,
  PROFILE_MODULES,
  type ProfileCreate,
  type ProfileModule,
  type ProfileModules,
  type ProfileUpdate,
  ruleOf,
} from '../../shared/profile-schemas.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { conflict, forbidden, notFound, validationFailed } from '../errors.js';
import { type Actor, type ActorProfile, authorize, canOnAccount, canOnProfile, profileAbilities } from '../policy.js';
import { type AuditLog, diff } from './audit.js';
import { resolveDepartments } from './departments.js';
import { type ProfileCatalog, profileCatalog } from './import/validate.js';
import type { RequestMeta } from './users.js';
import { isUniqueViolation } from './users.js';

type Executor = Kysely<Database> | Transaction<Database>;

export interface ProfileRow {
  id: number;
  account_id: number;
  name: string;
  description: string;
  modules_json: string;
  created_at: string;
  updated_at: string;
}

/** Every module's rule; a module the stored JSON does not name is not allowed. */
export function rulesOf(modulesJson: string): Record<ProfileModule, ModuleRule> {
  const modules = JSON.parse(modulesJson || '{}') as ProfileModules;
  return Object.fromEntries(PROFILE_MODULES.map((m) => [m, ruleOf(modules, m)])) as Record<ProfileModule, ModuleRule>;
}

function normalized(modules: ProfileModules | undefined): string {
  return JSON.stringify(rulesOf(JSON.stringify(modules ?? {})));
}

/**
 * The Users module's specific items are department names: each must name a department of the account (in any case or
 * accents, stored as the department is spelled), so a typo cannot quietly make a profile that reaches nobody.
 */
async function withKnownDepartments(
  executor: Executor,
  accountId: number,
  modules: ProfileModules | undefined,
): Promise<ProfileModules | undefined> {
  const users = modules?.users;
  if (!modules || !users || users.access !== 'some') return modules;
  const resolved = await resolveDepartments(executor, accountId, users.items ?? []);
  if (resolved.unknown.length > 0) {
    const message = `No such department: ${resolved.unknown.join(', ')}`;
    throw validationFailed([{ path: 'modules.users.items', message }], message);
  }
  return { ...modules, users: { ...users, items: resolved.names } };
}

/** The profile that narrows what a signed-in admin may do (null for the owner, who is never restricted). */
export async function actorProfile(
  db: Executor,
  user: { account_id: number; profile_id: number | null; is_owner: number },
): Promise<ActorProfile | null> {
  if (user.profile_id === null || user.is_owner === 1) return null;
  const row = await db
    .selectFrom('profiles')
    .select(['id', 'name', 'modules_json'])
    .where('account_id', '=', user.account_id)
    .where('id', '=', user.profile_id)
    .executeTakeFirst();
  return row ? { id: row.id, name: row.name, rules: rulesOf(row.modules_json) } : null;
}

/** A profile of the account, or undefined. */
export async function findProfile(db: Executor, accountId: number, id: number): Promise<ProfileRow | undefined> {
  return db
    .selectFrom('profiles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst() as Promise<ProfileRow | undefined>;
}

const subject = (row: ProfileRow) => ({ id: row.id, accountId: row.account_id, name: row.name });

export class Profiles {
  private readonly db: Db;
  private readonly lockRows: boolean;

  constructor(
    handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.lockRows = handle.dialect === 'postgres';
  }

  private present(actor: Actor, row: ProfileRow, users: number) {
    const modules = rulesOf(row.modules_json);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      modules,
      summary: Object.fromEntries(PROFILE_MODULES.map((m) => [m, describeRule(modules[m])])) as Record<
        ProfileModule,
        string
      >,
      users,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      can: profileAbilities(actor, subject(row)),
    };
  }

  private assertCanRead(actor: Actor) {
    authorize(actor, 'profiles.read', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins see profiles'),
    );
  }

  private async userCounts(accountId: number, ids: number[]): Promise<Map<number, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('users')
      .select(['profile_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', accountId)
      .where('profile_id', 'in', ids)
      .groupBy('profile_id')
      .execute();
    return new Map(rows.map((row) => [row.profile_id as number, Number(row.n)]));
  }

  async list(actor: Actor) {
    this.assertCanRead(actor);
    const rows = (await this.db
      .selectFrom('profiles')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .orderBy('name')
      .execute()) as ProfileRow[];
    const counts = await this.userCounts(
      actor.accountId,
      rows.map((row) => row.id),
    );
    return {
      items: rows.map((row) => this.present(actor, row, counts.get(row.id) ?? 0)),
      can: { create: canOnAccount(actor, 'profiles.create', actor.accountId) },
    };
  }

  async get(actor: Actor, id: number) {
    this.assertCanRead(actor);
    const row = await findProfile(this.db, actor.accountId, id);
    if (!row) throw notFound('Profile');
    return this.present(actor, row, (await this.userCounts(actor.accountId, [id])).get(id) ?? 0);
  }

  async create(actor: Actor, input: ProfileCreate, meta: RequestMeta = {}) {
    authorize(actor, 'profiles.create', 'account', { accountId: actor.accountId }, () =>
      forbidden('Creating profiles needs the whole Profiles module'),
    );
    const at = this.now().toISOString();
    const row = await this.db.transaction().execute(async (trx) => {
      // Imports name profiles case-insensitively, so two names may not differ by case only.
      const clash = await trx
        .selectFrom('profiles')
        .select('id')
        .where('account_id', '=', actor.accountId)
        .where((eb) => eb(eb.fn('lower', ['name']), '=', input.name.toLowerCase()))
        .executeTakeFirst();
      if (clash) throw nameTaken(input.name);
      const modules = await withKnownDepartments(trx, actor.accountId, input.modules);
      const created = (await trx
        .insertInto('profiles')
        .values({
          account_id: actor.accountId,
          name: input.name,
          description: input.description ?? '',
          modules_json: normalized(modules),
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? nameTaken(input.name) : error;
        })) as ProfileRow;
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'profile.create',
        target: { type: 'profile', id: created.id, label: created.name },
        after: { description: created.description, modules: rulesOf(created.modules_json) },
        ip: meta.ip,
      });
      return created;
    });
    return this.present(actor, row, 0);
  }

  async update(actor: Actor, id: number, input: ProfileUpdate, meta: RequestMeta = {}) {
    this.assertCanRead(actor);
    const row = await this.db.transaction().execute(async (trx) => {
      const before = await this.lock(trx, actor.accountId, id);
      if (!canOnProfile(actor, subject(before))) throw notAllowed(before);
      const changes: Partial<ProfileRow> = {};
      if (input.description !== undefined) changes.description = input.description;
      if (input.modules !== undefined) {
        changes.modules_json = normalized(await withKnownDepartments(trx, actor.accountId, input.modules));
      }
      const updated = (await trx
        .updateTable('profiles')
        .set({ ...changes, updated_at: this.now().toISOString() })
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()) as ProfileRow;
      const change = diff(
        { description: before.description, modules: rulesOf(before.modules_json) },
        { description: updated.description, modules: rulesOf(updated.modules_json) },
      );
      if (change.changed) {
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action: 'profile.update',
          target: { type: 'profile', id, label: updated.name },
          before: change.before,
          after: change.after,
          ip: meta.ip,
        });
      }
      return updated;
    });
    return this.get(actor, row.id);
  }

  /** Deletes a profile nobody has: taking it away silently would lift every restriction it holds. */
  async remove(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanRead(actor);
    await this.db.transaction().execute(async (trx) => {
      const before = await this.lock(trx, actor.accountId, id);
      if (!canOnProfile(actor, subject(before))) throw notAllowed(before);
      const holders = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', actor.accountId)
        .where('profile_id', '=', id)
        .executeTakeFirstOrThrow();
      const n = Number(holders.n);
      if (n > 0) {
        throw conflict(
          'ProfileInUse',
          `${n === 1 ? '1 user has' : `${n} users have`} the profile ${before.name}: give them another profile first`,
        );
      }
      await trx.deleteFrom('profiles').where('account_id', '=', actor.accountId).where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'profile.delete',
        target: { type: 'profile', id, label: before.name },
        before: { description: before.description, modules: rulesOf(before.modules_json) },
        ip: meta.ip,
      });
    });
  }

  /**
   * The profile row, locked until commit on PostgreSQL: giving the profile to a user takes the same lock, so a
   * deletion never races an assignment.
   */
  async lock(trx: Executor, accountId: number, id: number): Promise<ProfileRow> {
    let query = trx.selectFrom('profiles').selectAll().where('account_id', '=', accountId).where('id', '=', id);
    if (this.lockRows) query = query.forUpdate();
    const row = (await query.executeTakeFirst()) as ProfileRow | undefined;
    if (!row) throw notFound('Profile');
    return row;
  }

  /** The profiles the actor may give, by name (case-insensitive), for an import's Profile column. */
  async catalog(actor: Actor): Promise<ProfileCatalog> {
    const rows = await this.db
      .selectFrom('profiles')
      .select(['id', 'name'])
      .where('account_id', '=', actor.accountId)
      .execute();
    const givable = rows.filter((row) =>
      canOnProfile(actor, { id: row.id, accountId: actor.accountId, name: row.name }),
    );
    return profileCatalog(givable.map((row) => [row.name.toLowerCase(), row.id]));
  }
}

const nameTaken = (name: string) =>
  conflict('ProfileNameTaken', `A profile named ${name} already exists`, [
    { path: 'name', message: 'A profile with this name already exists' },
  ]);

const notAllowed = (row: ProfileRow) => forbidden(`Your profile does not let you change the profile ${row.name}`);
