// The user service: create (creates that arrive together are written together), read, edit, delete, passwords. Lists
// and searches are UserList's (server/search/).
import type { Transaction, Updateable } from 'kysely';
import type { UserCreate, UserFilter, UserListQuery, UserPasswordInput, UserUpdate } from '../../shared/schemas.js';
import type { Dialect } from '../db/dialect.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { countFacets, indexSearch } from '../db/user-index.js';
import { AppError, conflict, notFound, preconditionFailed, validationFailed } from '../errors.js';
import { type Actor, authorize, type Channel, canChangeProfile, canOnProfile, userScope } from '../policy.js';
import {
  assertCanManageUsers,
  DEFAULT_TUNING,
  type SearchTuning,
  UserList,
  type UserListPage,
} from '../search/list.js';
import { agentIdTaken, assertAgentIdFree, isAgentIdViolation } from './agent-ids.js';
import { type AuditLog, diff } from './audit.js';
import { ensureDepartment } from './departments.js';
import { assertRosterPassword } from './directory/sign-in.js';
import { PASSWORD_LINKS, withdrawLinks } from './links.js';
import { ownerOf, PasswordPolicies } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { ifMatchAllows, userEtag } from './user-etag.js';
import { emitUserEvents, userChangeEvents } from './user-events.js';
import { auditSnapshot, derivedColumns, presentUserFor, type UserRow, userSubject } from './user-presenter.js';
import { WriteBatches } from './write-batches.js';

export { assertGroupOfAccount, type SearchTuning, scopedDepartments, type UserListPage } from '../search/list.js';

/** Columns only provisioning sets: not part of the API's user input. */
export interface ProvisionedColumns {
  source?: string;
  external_id?: string | null;
  title?: string;
  employee_number?: string;
  manager_id?: number | null;
  scim_json?: string;
}

export interface RequestMeta {
  ip?: string | null;
  /** Where the request comes from; the Scorer rule depends on it. */
  channel?: Channel;
}

/** Options of `UserDirectory.update`. */
export interface UserUpdateOptions {
  /** An If-Match header's value: the change is made only if it names the user's current version. */
  ifMatch?: string;
  /** What only provisioning sets (see ProvisionedColumns). */
  columns?: ProvisionedColumns;
  /** Runs in the same transaction after the change (SCIM sets licenses there). */
  also?: (trx: Transaction<Database>, before: UserRow, after: UserRow) => Promise<void>;
  /** A new password, set in the same transaction as the rest of the change (SCIM's `password`). */
  password?: string;
}

/** The row a create inserts (derived search columns aside). */
function newUserValues(
  accountId: number,
  input: UserCreate,
  authMethod: string,
  columns: ProvisionedColumns,
  at: string,
) {
  return {
    account_id: accountId,
    username: input.username,
    email: input.email ?? '',
    email_verified: input.emailVerified ? 1 : 0,
    first_name: input.firstName,
    last_name: input.lastName ?? '',
    phone: input.phone ?? '',
    department: input.department ?? '',
    access_type: input.accessType ?? 'standard',
    auth_method: authMethod,
    enabled: input.enabled === false ? 0 : 1,
    time_zone: input.timeZone ?? '',
    language: input.language ?? '',
    valid_from: input.validFrom ?? null,
    expires_at: input.expiresAt ?? null,
    nicknames: JSON.stringify(input.nicknames ?? []),
    agent_id: input.agentId ?? '',
    ring_to: input.ringTo ?? '',
    scoring_enabled: input.scoringEnabled ? 1 : 0,
    roaming_agent: input.roamingAgent ? 1 : 0,
    reporting_access: input.reportingAccess ?? 'none',
    audio_access: input.audioAccess ?? 'none',
    scoring_access: input.scoringAccess ?? 'none',
    required_actions: JSON.stringify(input.password && input.temporaryPassword ? ['update_password'] : []),
    profile_id: input.profileId ?? null,
    ...columns,
    created_at: at,
    updated_at: at,
  };
}

/** A user just written by a create, with who created it and what they asked for. */
export interface NewUser {
  actor: Actor;
  user: UserRow;
  input: UserCreate;
  meta: RequestMeta;
}

/** A create checked and ready to write (see UserDirectory.writeCreates). */
interface PendingCreate {
  actor: Actor;
  input: UserCreate;
  meta: RequestMeta;
  also?: (trx: Transaction<Database>, user: UserRow) => Promise<void>;
  values: ReturnType<typeof newUserValues>;
  passwordHash: string | null;
}

/** Where a single-user answer carries the user's version, for the route's ETag header (see `etagOf`). */
export const USER_ETAG: unique symbol = Symbol('user ETag');

/** The version a single-user answer was read at. */
export const etagOf = (user: { [USER_ETAG]: string }) => user[USER_ETAG];

export class UserDirectory {
  /** Lists, searches and selections of users (see UserList). */
  readonly lists: UserList;
  private readonly db: Db;
  /** The account's password policy, for every password an admin sets. */
  passwordPolicies: PasswordPolicies;
  private readonly dialect: Dialect;
  /** Called after a change that queued mail has committed, so the mail goes out now. */
  afterMailQueued: (() => void) | null = null;
  /** Within the transaction that set a user's password: the user is told (security notice). */
  onPasswordSet: ((trx: Transaction<Database>, user: UserRow) => Promise<unknown>) | null = null;
  /** Within the transaction that changed a user's email: the old address is told (security notice). */
  onEmailChanged: ((trx: Transaction<Database>, before: UserRow, after: UserRow) => Promise<unknown>) | null = null;
  /**
   * Runs inside the transaction that creates users (wired by the context), with every user it writes; answers the
   * ids of the users whose rows it changed.
   */
  onCreated: ((trx: Transaction<Database>, created: NewUser[]) => Promise<Iterable<number>>) | null = null;
  /** Creates that arrive together are written together (see writeCreates). */
  private readonly creates: WriteBatches<PendingCreate, UserRow>;

  constructor(
    handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    readonly tuning: SearchTuning = DEFAULT_TUNING,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
    this.passwordPolicies = new PasswordPolicies(handle.db, audit, now);
    this.lists = new UserList(handle, now, tuning);
    this.creates = new WriteBatches((items) => this.db.transaction().execute((trx) => this.writeCreates(trx, items)));
  }

  /** Reads the account's search sample now (PostgreSQL; searches otherwise read it in the background, see AccountSamples). */
  readSearchSample(accountId: number): Promise<void> {
    return this.lists.readSearchSample(accountId);
  }

  assertCanManage(actor: Actor): void {
    assertCanManageUsers(actor);
  }

  list(actor: Actor, query: UserListQuery): Promise<UserListPage> {
    return this.lists.list(actor, query);
  }

  assertFilter(actor: Actor, filter: UserFilter): Promise<void> {
    return this.lists.assertFilter(actor, filter);
  }

  all(...args: Parameters<UserList['all']>): ReturnType<UserList['all']> {
    return this.lists.all(...args);
  }

  matchingIds(actor: Actor, filter: UserFilter, field?: string): Promise<number[]> {
    return this.lists.matchingIds(actor, filter, field);
  }

  facets(actor: Actor) {
    return this.lists.facets(actor);
  }

  private assertCanSetAccessType(actor: Actor, meta: RequestMeta, from: string | null, to: string) {
    const subject = { accountId: actor.accountId, from, to };
    authorize({ ...actor, channel: meta.channel }, 'accessType.set', 'accessType', subject, scorerApiOnly);
  }

  /** A profile limited to some departments: the user must be (and stay) in one of them. */
  private assertInScope(actor: Actor, department: string) {
    const scope = userScope(actor);
    if (scope === 'all' || scope === 'none') return;
    if (scope.departments.includes(department)) return;
    const message = `Your profile lets you manage the users of ${scope.departments.join(', ')} only`;
    throw new AppError(403, 'OutOfScope', message, [{ path: 'department', message }]);
  }

  async get(actor: Actor, id: number) {
    const row = await this.findRow(actor.accountId, id);
    if (!row) throw notFound('User');
    authorize(actor, 'user.read', 'user', userSubject(row));
    return this.withVisibleGroups(actor, row);
  }

  private async findRow(accountId: number, id: number): Promise<UserRow | undefined> {
    return (await this.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst()) as UserRow | undefined;
  }

  /**
   * Creates a user; `also` runs inside the same transaction (single sign-on binds the identity there); `columns`
   * are what only provisioning sets (SCIM: the source, external id, title...).
   */
  async create(
    actor: Actor,
    input: UserCreate,
    meta: RequestMeta = {},
    also?: (trx: Transaction<Database>, user: UserRow) => Promise<void>,
    columns: ProvisionedColumns = {},
  ) {
    return this.withVisibleGroups(actor, await this.createRow(actor, input, meta, also, columns));
  }

  /** Creates a user as `create` does, and answers the stored row (SCIM presents it in its own shape). */
  async createRow(
    actor: Actor,
    input: UserCreate,
    meta: RequestMeta = {},
    also?: (trx: Transaction<Database>, user: UserRow) => Promise<void>,
    columns: ProvisionedColumns = {},
  ): Promise<UserRow> {
    this.assertCanManage(actor);
    if (input.accessType) this.assertCanSetAccessType(actor, meta, null, input.accessType);
    this.assertInScope(actor, input.department ?? '');
    const authMethod = input.authMethod ?? 'password';
    if (input.password && authMethod === 'sso') {
      throw validationFailed([{ path: 'password', message: 'Single sign-on users have no Roster password' }]);
    }
    if (input.password) {
      const owner = {
        username: input.username,
        email: input.email ?? null,
        accessType: input.accessType ?? 'standard',
        isOwner: false,
      };
      await this.passwordPolicies.assert(this.db, actor.accountId, owner, input.password, 'password');
    }
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    const values = newUserValues(actor.accountId, input, authMethod, columns, this.now().toISOString());
    const row = await this.creates.submit({ actor, input, meta, also, values, passwordHash });
    if (input.sendInvitation) this.afterMailQueued?.();
    return row;
  }

  /**
   * Writes new users in one transaction, one statement per step for all of them (see WriteBatches): creates that
   * arrive together (an identity provider provisioning a department) cost the database about what one does.
   */
  private async writeCreates(trx: Transaction<Database>, items: PendingCreate[]): Promise<UserRow[]> {
    for (const { actor, input, values } of items) {
      if (input.profileId) {
        const profile = await this.profileFor(trx, actor, input.profileId);
        if (!canOnProfile(actor, { id: profile.id, accountId: actor.accountId, name: profile.name })) {
          throw profileNotAllowed();
        }
      }
      await assertAgentIdFree(trx, actor.accountId, values.agent_id, null);
      values.department = await ensureDepartment(trx, actor.accountId, values.department, values.created_at);
    }
    // A username in use fails the insert (the unique index). A shared write that fails is written again one user at a
    // time, so the error is named for the first (and only) user.
    const first = items[0] as PendingCreate;
    const inserted = (await trx
      .insertInto('users')
      .values(items.map(({ values }) => ({ ...values, ...derivedColumns(values) })))
      .returningAll()
      .execute()
      .catch((error: unknown) => {
        if (isUniqueViolation(error) && isAgentIdViolation(error)) throw agentIdTaken(first.values.agent_id);
        throw isUniqueViolation(error) ? usernameTaken(first.input.username) : error;
      })) as UserRow[];
    // RETURNING promises no order: each item finds its row by account and username (unique together).
    const byName = new Map(inserted.map((row) => [`${row.account_id}\n${row.username}`, row]));
    const rows = items.map(({ values }) => byName.get(`${values.account_id}\n${values.username}`) as UserRow);
    await indexSearch(trx, this.dialect, rows);
    await countFacets(trx, this.dialect, rows);
    for (const [i, { actor, input, passwordHash, values }] of items.entries()) {
      const created = rows[i] as UserRow;
      if (input.visibleGroupIds) await this.setVisibleGroups(trx, actor.accountId, created.id, input.visibleGroupIds);
      if (passwordHash) {
        await trx
          .insertInto('user_credentials')
          .values({
            user_id: created.id,
            password_hash: passwordHash,
            temporary: input.temporaryPassword ? 1 : 0,
            updated_at: values.created_at,
          })
          .execute();
        await this.passwordPolicies.remember(trx, actor.accountId, created.id, passwordHash);
      }
    }
    await this.audit.recordMany(
      trx,
      items.map(({ actor, input, meta }, i) => {
        const created = rows[i] as UserRow;
        return {
          accountId: actor.accountId,
          actor,
          action: 'user.create',
          target: { type: 'user', id: created.id, label: created.username },
          after: {
            ...auditSnapshot(created),
            ...(input.visibleGroupIds ? { visibleGroupIds: input.visibleGroupIds } : {}),
          },
          ip: meta.ip,
        };
      }),
    );
    const reread = new Set<number>();
    for (const [i, { also }] of items.entries()) {
      const created = rows[i] as UserRow;
      if (also) {
        await also(trx, created);
        reread.add(created.id);
      }
    }
    // Same transaction: what other modules give every new user (default licenses) is never missing.
    if (this.onCreated) {
      const created = items.map(({ actor, input, meta }, i) => ({ actor, user: rows[i] as UserRow, input, meta }));
      for (const id of await this.onCreated(trx, created)) reread.add(id);
    }
    // The event's snapshot carries the default licenses (no license.granted of their own).
    const events = rows.map((row) => ({ accountId: row.account_id, userId: row.id, type: 'user.created' as const }));
    await emitUserEvents(trx, this.dialect, events, first.values.created_at);
    // Read back the rows something after the insert may have changed.
    if (reread.size === 0) return rows;
    const fresh = new Map(
      (
        (await trx
          .selectFrom('users')
          .selectAll()
          .where('id', 'in', [...reread])
          .execute()) as UserRow[]
      ).map((row) => [row.id, row]),
    );
    return rows.map((row) => fresh.get(row.id) ?? row);
  }

  /** A single-user answer: the user with the groups they may see and the directory connection they come from. */
  private async withVisibleGroups(actor: Actor, row: UserRow) {
    const [groups, link] = await Promise.all([
      this.db
        .selectFrom('user_visible_groups')
        .select('group_id')
        .where('user_id', '=', row.id)
        .orderBy('group_id')
        .execute(),
      this.db
        .selectFrom('directory_user_links as l')
        .innerJoin('directory_connections as c', 'c.id', 'l.connection_id')
        .select(['c.id', 'c.name'])
        .where('l.user_id', '=', row.id)
        .executeTakeFirst(),
    ]);
    const user = {
      ...presentUserFor(actor, row, this.now()),
      visibleGroupIds: groups.map((g) => g.group_id),
      directory: link ? { connectionId: link.id, name: link.name } : null,
    };
    // Out of band (a symbol is no JSON): the route sends it as the ETag header.
    return Object.assign(user, { [USER_ETAG]: userEtag(row) });
  }

  /** Replaces the groups a user may see; every id must be a group of the account. */
  private async setVisibleGroups(trx: Transaction<Database>, accountId: number, userId: number, ids: number[]) {
    const wanted = [...new Set(ids)];
    if (wanted.length > 0) {
      const found = await trx
        .selectFrom('groups')
        .select('id')
        .where('account_id', '=', accountId)
        .where('id', 'in', wanted)
        .execute();
      const known = new Set(found.map((g) => g.id));
      const unknown = wanted.filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw validationFailed([{ path: 'visibleGroupIds', message: `No such group: ${unknown.join(', ')}` }]);
    }
    await trx.deleteFrom('user_visible_groups').where('user_id', '=', userId).execute();
    if (wanted.length > 0) {
      await trx
        .insertInto('user_visible_groups')
        .values(wanted.map((groupId) => ({ user_id: userId, group_id: groupId, account_id: accountId })))
        .execute();
    }
  }

  /**
   * Edits a user. With `ifMatch` (an If-Match header's value), the change is made only if the user's version (see
   * user-etag.ts) is still one it names, compared with the row locked inside the transaction; otherwise 412.
   * `columns` and `also` are provisioning's (SCIM).
   */
  async update(actor: Actor, id: number, input: UserUpdate, meta: RequestMeta = {}, options: UserUpdateOptions = {}) {
    this.assertCanManage(actor);
    const before = await this.findRow(actor.accountId, id);
    if (!before) throw notFound('User');
    authorize(actor, 'user.update', 'user', userSubject(before));
    if (input.accessType) this.assertCanSetAccessType(actor, meta, before.access_type, input.accessType);
    // As the bulk action does ("is you"): disabling oneself would end one's own session and lock one out.
    if (input.enabled === false && before.id === actor.userId && before.is_owner !== 1) {
      throw conflict('CannotDisableSelf', 'You cannot disable yourself', [
        { path: 'enabled', message: 'You cannot disable yourself' },
      ]);
    }
    if (before.is_owner === 1) {
      if (input.enabled === false)
        throw conflict('OwnerProtected', 'The owner cannot be disabled', [
          { path: 'enabled', message: 'The owner cannot be disabled' },
        ]);
      if (input.accessType && input.accessType !== 'admin') {
        throw conflict('OwnerProtected', 'The owner stays an admin', [
          { path: 'accessType', message: 'The owner stays an admin' },
        ]);
      }
    }
    if (input.enabled === false && before.id === actor.userId) {
      throw conflict('CannotDisableSelf', 'You cannot disable yourself', [
        { path: 'enabled', message: 'You cannot disable yourself' },
      ]);
    }
    const changes: Updateable<Database['users']> = {};
    const set = <K extends keyof UserUpdate>(
      key: K,
      column: keyof Database['users'] & string,
      map: (value: NonNullable<UserUpdate[K]>) => string | number,
    ) => {
      const value = input[key];
      if (value !== undefined && value !== null) {
        (changes as Record<string, unknown>)[column] = map(value as NonNullable<UserUpdate[K]>);
      }
    };
    const text = (value: string) => value;
    set('email', 'email', text);
    set('firstName', 'first_name', text);
    set('lastName', 'last_name', text);
    set('phone', 'phone', text);
    set('department', 'department', text);
    set('accessType', 'access_type', text);
    set('authMethod', 'auth_method', text);
    set('enabled', 'enabled', (value) => (value ? 1 : 0));
    set('emailVerified', 'email_verified', (value) => (value ? 1 : 0));
    set('timeZone', 'time_zone', text);
    set('language', 'language', text);
    set('nicknames', 'nicknames', (value) => JSON.stringify(value));
    set('requiredActions', 'required_actions', (value) => JSON.stringify([...new Set(value)]));
    set('agentId', 'agent_id', text);
    set('ringTo', 'ring_to', text);
    set('scoringEnabled', 'scoring_enabled', (value) => (value ? 1 : 0));
    set('roamingAgent', 'roaming_agent', (value) => (value ? 1 : 0));
    set('reportingAccess', 'reporting_access', text);
    set('audioAccess', 'audio_access', text);
    set('scoringAccess', 'scoring_access', text);
    if (input.validFrom !== undefined) changes.valid_from = input.validFrom;
    if (input.expiresAt !== undefined) changes.expires_at = input.expiresAt;
    if (changes.department !== undefined && changes.department !== before.department) {
      this.assertInScope(actor, changes.department as string);
    }
    Object.assign(changes, options.columns ?? {});
    const newProfile = input.profileId !== undefined && input.profileId !== before.profile_id;
    if (newProfile) changes.profile_id = input.profileId ?? null;
    if (changes.email !== undefined && changes.email !== before.email && input.emailVerified === undefined) {
      changes.email_verified = 0;
    }
    const validFrom = changes.valid_from !== undefined ? changes.valid_from : before.valid_from;
    const expiresAt = changes.expires_at !== undefined ? changes.expires_at : before.expires_at;
    if (validFrom && expiresAt && String(validFrom) >= String(expiresAt)) {
      throw validationFailed([{ path: 'expiresAt', message: 'Expiration must be after Valid from' }]);
    }
    const passwordHash =
      options.password === undefined
        ? null
        : await this.passwordHashFor(
            actor,
            before,
            (changes.auth_method as string) ?? before.auth_method,
            options.password,
          );
    const row = await this.db.transaction().execute(async (trx) => {
      // The user as this transaction finds them (locked on PostgreSQL): the events' before, under concurrent edits.
      let currentQuery = trx
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id);
      if (this.dialect === 'postgres') currentQuery = currentQuery.forUpdate();
      const current = (await currentQuery.executeTakeFirst()) as UserRow | undefined;
      if (changes.agent_id) await assertAgentIdFree(trx, actor.accountId, changes.agent_id as string, id);
      // A department named in another case or accents is the existing one ("ventas" is "Ventas").
      if (changes.department) {
        changes.department = await ensureDepartment(
          trx,
          actor.accountId,
          changes.department as string,
          this.now().toISOString(),
        );
      }
      const merged = { ...before, ...changes } as UserRow;
      if (newProfile) {
        const from = before.profile_id ? await this.profileFor(trx, actor, before.profile_id, false) : null;
        const to = input.profileId ? await this.profileFor(trx, actor, input.profileId) : null;
        const named = (p: typeof from) => (p ? { id: p.id, accountId: actor.accountId, name: p.name } : null);
        if (!canChangeProfile(actor, userSubject(before), named(from), named(to))) throw profileNotAllowed();
      }
      // Checked last before the write, so rows are locked in the order they were without If-Match (departments and
      // profiles, then the user); a refusal rolls back whatever the transaction did so far.
      if (options.ifMatch !== undefined) await this.assertVersion(trx, before, options.ifMatch);
      const updated = (await trx
        .updateTable('users')
        .set({ ...changes, ...derivedColumns(merged), updated_at: this.now().toISOString() })
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error) && isAgentIdViolation(error)
            ? agentIdTaken(changes.agent_id as string)
            : error;
        })) as UserRow;
      const visibleBefore = input.visibleGroupIds
        ? (await trx.selectFrom('user_visible_groups').select('group_id').where('user_id', '=', id).execute()).map(
            (g) => g.group_id,
          )
        : [];
      if (input.visibleGroupIds) await this.setVisibleGroups(trx, actor.accountId, id, input.visibleGroupIds);
      const visible = (ids: number[]) =>
        input.visibleGroupIds ? { visibleGroupIds: [...new Set(ids)].sort((a, b) => a - b) } : {};
      const change = diff(
        { ...auditSnapshot(before), ...visible(visibleBefore) },
        { ...auditSnapshot(updated), ...visible(input.visibleGroupIds ?? []) },
      );
      if (change.changed) {
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action: 'user.update',
          target: { type: 'user', id, label: updated.username },
          before: change.before,
          after: change.after,
          ip: meta.ip,
        });
      }
      await emitUserEvents(
        trx,
        this.dialect,
        userChangeEvents(actor.accountId, current ?? before, updated),
        this.now().toISOString(),
      );
      if (before.email && updated.email !== before.email) await this.onEmailChanged?.(trx, before, updated);
      if (
        updated.email !== before.email ||
        updated.auth_method !== before.auth_method ||
        (before.enabled === 1 && updated.enabled === 0)
      ) {
        await withdrawLinks(trx, [id], this.now().toISOString());
      }
      const written = passwordHash
        ? await this.writePasswordWithin(trx, actor, updated, passwordHash, false, meta)
        : updated;
      await options.also?.(trx, before, written);
      return written;
    });
    if ((before.email && row.email !== before.email) || passwordHash) this.afterMailQueued?.();
    return this.withVisibleGroups(actor, row);
  }

  /**
   * Refuses the change unless `ifMatch` allows the user's current version. PostgreSQL locks the row until commit so no
   * other change slips in between; SQLite's write transactions run one at a time. The row the change was checked
   * against (`before`) must still be the current one too, or the change would rest on what another one replaced.
   */
  private async assertVersion(trx: Transaction<Database>, before: UserRow, ifMatch: string) {
    let query = trx.selectFrom('users').selectAll().where('account_id', '=', before.account_id);
    query = query.where('id', '=', before.id);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const current = (await query.executeTakeFirst()) as UserRow | undefined;
    if (!current) throw notFound('User');
    const version = userEtag(current);
    if (!ifMatchAllows(ifMatch, version) || userEtag(before) !== version) {
      throw preconditionFailed(
        'Someone else changed this user since you read it: reload it and make your change again',
      );
    }
  }

  /** A profile of the actor's account (locked until commit on PostgreSQL, so it cannot be deleted meanwhile). */
  private async profileFor(trx: Transaction<Database>, actor: Actor, id: number, required = true) {
    let query = trx.selectFrom('profiles').select(['id', 'name']).where('account_id', '=', actor.accountId);
    query = query.where('id', '=', id);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const profile = await query.executeTakeFirst();
    if (!profile) {
      if (!required) return { id, name: '' };
      throw validationFailed([{ path: 'profileId', message: 'No such profile in your account' }]);
    }
    return profile;
  }

  /** Lifts a brute-force lock (and forgets the failures that led to it). */
  async unlock(actor: Actor, id: number, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const before = await this.findRow(actor.accountId, id);
    if (!before) throw notFound('User');
    authorize(actor, 'user.unlock', 'user', userSubject(before));
    const row = await this.db.transaction().execute(async (trx) => {
      const updated = (await trx
        .updateTable('users')
        .set({ failed_sign_ins: 0, locked_until: null })
        .where('account_id', '=', actor.accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()) as UserRow;
      if (before.locked_until !== null) {
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action: 'user.unlock',
          target: { type: 'user', id, label: before.username },
          before: { lockedUntil: before.locked_until },
          ip: meta.ip,
        });
      }
      return updated;
    });
    return this.withVisibleGroups(actor, row);
  }

  /**
   * Sets or resets a user's password (an admin, seed 001's Password tab): the account's password policy applies, the
   * history included; a temporary password must be replaced at the next sign-in. The user's sessions end.
   */
  async setPassword(actor: Actor, id: number, input: UserPasswordInput, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    const before = await this.findRow(actor.accountId, id);
    if (!before) throw notFound('User');
    authorize(actor, 'user.update', 'user', userSubject(before));
    await assertRosterPassword(this.db, id);
    const hash = await this.passwordHashFor(actor, before, before.auth_method, input.password);
    const row = await this.db
      .transaction()
      .execute((trx) => this.writePasswordWithin(trx, actor, before, hash, input.temporary === true, meta));
    this.afterMailQueued?.();
    return this.withVisibleGroups(actor, row);
  }

  /**
   * A password an admin (or a provisioning client) sets for a user who signs in with `authMethod`, checked against
   * the account's policy and hashed; refused for oneself and for single sign-on users.
   */
  private async passwordHashFor(actor: Actor, user: UserRow, authMethod: string, password: string) {
    if (user.id === actor.userId) {
      throw conflict('UseChangePassword', 'Change your own password on your profile, with your current password', [
        { path: 'password', message: 'Change your own password on your profile' },
      ]);
    }
    if (authMethod === 'sso') {
      throw validationFailed([{ path: 'password', message: 'Single sign-on users have no Roster password' }]);
    }
    await this.passwordPolicies.assert(this.db, actor.accountId, ownerOf(user), password, 'password');
    return hashPassword(password);
  }

  /** Stores the password (a temporary one must be replaced at the next sign-in); the user's sessions and links end. */
  private async writePasswordWithin(
    trx: Transaction<Database>,
    actor: Actor,
    user: UserRow,
    hash: string,
    temporary: boolean,
    meta: RequestMeta,
  ): Promise<UserRow> {
    const id = user.id;
    const at = this.now().toISOString();
    const flag = temporary ? 1 : 0;
    await trx
      .insertInto('user_credentials')
      .values({ user_id: id, password_hash: hash, temporary: flag, updated_at: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ password_hash: hash, temporary: flag, updated_at: at }))
      .execute();
    await this.passwordPolicies.remember(trx, actor.accountId, id, hash);
    const actions = (JSON.parse(user.required_actions) as string[]).filter((a) => a !== 'update_password');
    if (temporary) actions.push('update_password');
    const updated = (await trx
      .updateTable('users')
      .set({ required_actions: JSON.stringify(actions), updated_at: at })
      .where('account_id', '=', actor.accountId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()) as UserRow;
    await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    await withdrawLinks(trx, [id], at, PASSWORD_LINKS);
    await this.audit.record(trx, {
      accountId: actor.accountId,
      actor,
      action: 'user.password_set',
      target: { type: 'user', id, label: user.username },
      after: { temporary },
      ip: meta.ip,
    });
    await this.onPasswordSet?.(trx, updated);
    return updated;
  }

  /** Deletes a user; with `ifMatch`, only if the user is still at that version (checked on the locked row). */
  async remove(actor: Actor, id: number, meta: RequestMeta = {}, options: { ifMatch?: string } = {}): Promise<void> {
    this.assertCanManage(actor);
    const row = await this.findRow(actor.accountId, id);
    if (!row) throw notFound('User');
    // The owner and oneself keep their own clear answers; anyone out of reach is not found.
    authorize(actor, 'user.read', 'user', userSubject(row));
    if (row.is_owner === 1) throw conflict('OwnerProtected', 'The owner cannot be deleted');
    if (row.id === actor.userId) throw conflict('CannotDeleteSelf', 'You cannot delete yourself');
    authorize(actor, 'user.delete', 'user', userSubject(row));
    await this.db.transaction().execute(async (trx) => {
      if (options.ifMatch !== undefined) await this.assertVersion(trx, row, options.ifMatch);
      // Written first: the event carries the user as they were.
      const deleted = { accountId: actor.accountId, userId: id, type: 'user.deleted' as const };
      await emitUserEvents(trx, this.dialect, [deleted], this.now().toISOString());
      await trx.deleteFrom('users').where('account_id', '=', actor.accountId).where('id', '=', id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.delete',
        target: { type: 'user', id, label: row.username },
        before: auditSnapshot(row),
        ip: meta.ip,
      });
    });
  }
}

const scorerApiOnly = () =>
  new AppError(
    403,
    'ScorerApiOnly',
    'The Scorer access type is given and taken through the API or the command line only',
    [{ path: 'accessType', message: 'Scorer is set through the API or the command line only' }],
  );

const profileNotAllowed = () =>
  new AppError(403, 'Forbidden', 'Your profile does not let you give or take this profile', [
    { path: 'profileId', message: 'You may not give or take this profile' },
  ]);

const usernameTaken = (username: string) =>
  conflict('UsernameTaken', `The username ${username} is already taken`, [
    { path: 'username', message: 'This username is already taken' },
  ]);

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
