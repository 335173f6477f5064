// Writes a sync's plan: users a batch per transaction (each user is either as before or fully changed, with their
// link, audit entry and outbox events), then the groups, then the memberships, then the groups the directory no
// longer has. Only the planned columns are written; what else a user has stays as it is.
import { sql, type Transaction } from 'kysely';
import type { AttributeMapping } from '../../../shared/directory-schemas.js';
import { foldAccents } from '../../../shared/search-text.js';
import type { DatabaseHandle } from '../../db/index.js';
import type { Database } from '../../db/schema/index.js';
import { idIn, pgArrayLiteral } from '../../db/sql-helpers.js';
import { indexInsertedUsers } from '../../db/user-index.js';
import type { Actor } from '../../policy.js';
import { type AuditEntry, type AuditLog, diff } from '../audit.js';
import { ensureDepartment } from '../departments.js';
import { withdrawLinks } from '../links.js';
import type { MembershipChange, Teams } from '../teams.js';
import { emitUserEvents, type UserEventInput, userChangeEvents } from '../user-events.js';
import { auditSnapshot, derivedColumns, type UserRow } from '../user-presenter.js';
import { breathe, type GroupPlan, type PlannedUser, type SyncedColumns } from './plan.js';
import { dnKey } from './reader.js';
import type { DirectoryRead } from './roster-state.js';
import type { SyncPlan } from './run-view.js';

type Trx = Transaction<Database>;

/**
 * Users per transaction: small enough that other writers wait little, large enough to be quick. SQLite's driver is
 * synchronous (the process answers nothing while a transaction runs), so its transactions are smaller.
 */
export const userBatch = (dialect: DatabaseHandle['dialect']) => (dialect === 'sqlite' ? 100 : 500);

export interface WriteContext {
  handle: DatabaseHandle;
  audit: AuditLog;
  teams: Teams;
  now: () => Date;
  actor: Actor;
  accountId: number;
  connectionId: number;
  /** The connection's name: the source of the users it creates. */
  source: string;
  /** Throws when the run must stop (the process is stopping): called between two transactions. */
  assertGoingOn?: () => void;
  /** What every new user gets (the account's default licenses): the users a batch created. */
  onCreated?: (trx: Trx, actor: Actor, users: UserRow[]) => Promise<void>;
}

export interface UserCounts {
  created: number;
  updated: number;
  enabled: number;
  disabled: number;
  deleted: number;
}

const auditActor = (ctx: WriteContext) => ctx.actor;
const via = (ctx: WriteContext) => ({ directory: ctx.source });

/** Writes one batch of planned users in one transaction. */
export async function writeUserBatch(ctx: WriteContext, batch: PlannedUser[], counts: UserCounts): Promise<void> {
  const { handle, accountId } = ctx;
  const at = ctx.now().toISOString();
  const done: UserCounts = { created: 0, updated: 0, enabled: 0, disabled: 0, deleted: 0 };
  await handle.db.transaction().execute(async (trx) => {
    const events: UserEventInput[] = [];
    const departments = new Map<string, string>();
    const department = async (name: string) => {
      if (!departments.has(name)) departments.set(name, await ensureDepartment(trx, accountId, name, at));
      return departments.get(name) as string;
    };
    // New users in one statement, with their links and audit entries.
    const creates = batch.filter((planned) => planned.action === 'create');
    if (creates.length > 0) {
      const values = [];
      for (const planned of creates) {
        const set = planned.set;
        const row = {
          account_id: accountId,
          username: set.username as string,
          first_name: set.first_name ?? (set.username as string),
          last_name: set.last_name ?? '',
          email: set.email ?? '',
          phone: set.phone ?? '',
          department: set.department ? await department(set.department) : '',
          access_type: 'standard',
          auth_method: 'password',
          enabled: set.enabled ?? 1,
          required_actions: set.required_actions ?? '[]',
          source: ctx.source,
          sync_enabled: 1,
          nicknames: '[]',
          created_at: at,
          updated_at: at,
        };
        values.push({ ...row, ...derivedColumns(row) });
      }
      const created = (await trx.insertInto('users').values(values).returningAll().execute()) as UserRow[];
      const byUsername = new Map(created.map((row) => [row.username, row]));
      await indexInsertedUsers(trx, handle.dialect, created);
      await trx
        .insertInto('directory_user_links')
        .values(
          creates.map((planned) => ({
            connection_id: ctx.connectionId,
            external_id: planned.externalId,
            user_id: (byUsername.get(planned.set.username as string) as UserRow).id,
            dn: planned.dn,
            disabled_by_sync: planned.disabledBySync ? 1 : 0,
          })),
        )
        .execute();
      await ctx.onCreated?.(trx, auditActor(ctx), created);
      await ctx.audit.recordMany(
        trx,
        created.map((row) => ({
          accountId,
          actor: auditActor(ctx),
          action: 'user.create',
          target: { type: 'user', id: row.id, label: row.username },
          after: { ...auditSnapshot(row), ...via(ctx) },
        })),
      );
      for (const row of created) events.push({ accountId, userId: row.id, type: 'user.created' });
      done.created += created.length;
    }
    // The users the batch changes, read in one query (locked on PostgreSQL until the batch commits).
    const changing = batch.filter(
      (planned) => planned.action !== 'create' && planned.action !== 'unchanged' && planned.action !== 'skip',
    );
    const current = new Map<number, UserRow>();
    if (changing.length > 0) {
      let query = trx
        .selectFrom('users')
        .selectAll()
        .where('account_id', '=', accountId)
        .where(
          idIn(
            handle.dialect,
            'id',
            changing.map((planned) => planned.userId as number),
          ),
        )
        .orderBy('id');
      if (handle.dialect === 'postgres') query = query.forUpdate();
      for (const row of (await query.execute()) as UserRow[]) current.set(row.id, row);
    }
    // What each changed user's row becomes: the planned columns (a department as the account spells it) and what
    // follows from them.
    const changed = new Map<number, { set: Record<string, unknown>; row: UserRow }>();
    for (const planned of changing) {
      const before = current.get(planned.userId as number);
      if (planned.action === 'delete' || !before) continue;
      const changes: Record<string, unknown> = { ...planned.set };
      if (typeof changes.department === 'string' && changes.department)
        changes.department = await department(changes.department);
      const merged = { ...before, ...changes } as UserRow;
      const set = { ...changes, ...derivedColumns(merged), updated_at: at };
      changed.set(before.id, { set, row: { ...merged, ...set } });
    }
    // PostgreSQL: all of them in one statement, not a statement (and a wait for the server) each.
    const rows = [...changed.values()].map((change) => change.row);
    const updated = new Map(
      (handle.dialect === 'postgres' ? await updateTogether(trx, accountId, rows) : []).map((row) => [row.id, row]),
    );
    const entries: AuditEntry[] = [];
    const disabledIds: number[] = [];
    for (const planned of batch) {
      if (planned.action === 'create') continue;
      const userId = planned.userId as number;
      if (planned.action === 'delete') {
        const row = current.get(userId);
        if (!row) continue;
        await emitUserEvents(trx, handle.dialect, events.splice(0), at);
        await emitUserEvents(trx, handle.dialect, [{ accountId, userId, type: 'user.deleted' }], at);
        await trx.deleteFrom('users').where('account_id', '=', accountId).where('id', '=', userId).execute();
        entries.push({
          accountId,
          actor: auditActor(ctx),
          action: 'user.delete',
          target: { type: 'user', id: userId, label: row.username },
          before: auditSnapshot(row),
          after: via(ctx),
        });
        done.deleted++;
        continue;
      }
      if (planned.action === 'unchanged' || planned.action === 'skip') {
        // Only the entry's place may have changed (a renamed or moved entry): the link follows it.
        await relink(trx, ctx, planned);
        continue;
      }
      const before = current.get(userId);
      const change = changed.get(userId);
      if (!before || !change) continue;
      const after =
        updated.get(userId) ??
        ((await trx
          .updateTable('users')
          .set(change.set)
          .where('account_id', '=', accountId)
          .where('id', '=', userId)
          .returningAll()
          .executeTakeFirstOrThrow()) as UserRow);
      await relink(trx, ctx, planned);
      const difference = diff(auditSnapshot(before), auditSnapshot(after));
      entries.push({
        accountId,
        actor: auditActor(ctx),
        action: 'user.update',
        target: { type: 'user', id: userId, label: after.username },
        before: difference.before,
        after: { ...difference.after, ...via(ctx) },
      });
      events.push(...userChangeEvents(accountId, before, after));
      // A disabled user's sessions end at once, and the links mailed to them stop working.
      if (before.enabled === 1 && after.enabled === 0) disabledIds.push(userId);
      done[planned.action === 'enable' ? 'enabled' : planned.action === 'disable' ? 'disabled' : 'updated']++;
    }
    if (disabledIds.length > 0) {
      await trx
        .deleteFrom('sessions')
        .where(idIn(handle.dialect, 'user_id', disabledIds))
        .execute();
      await withdrawLinks(trx, disabledIds, at);
    }
    await ctx.audit.recordMany(trx, entries, at);
    await emitUserEvents(trx, handle.dialect, events, at);
  });
  // Counted once the batch committed: a batch that failed changed nothing.
  for (const key of Object.keys(done) as (keyof UserCounts)[]) counts[key] += done[key];
}

/** What a sync writes to a changed user: the synced columns (unchanged ones as they are) and what follows from them. */
const UPDATED_COLUMNS = [
  'username',
  'first_name',
  'last_name',
  'email',
  'phone',
  'department',
  'enabled',
  'required_actions',
  'search_doc',
  'name_key',
  'first_key',
  'updated_at',
] as const;
/** Every synced column is written (this fails to compile when one is not). */
export const everySyncedColumn: [Exclude<keyof SyncedColumns, (typeof UPDATED_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
const PG_TYPES: Partial<Record<(typeof UPDATED_COLUMNS)[number], string>> = {
  enabled: 'smallint',
  updated_at: 'timestamptz',
};

/**
 * PostgreSQL: writes the users' rows (as they are to be) in one statement, each column's values as one array; returns
 * the rows written. The triggers that follow a column fire only where its value changed.
 */
async function updateTogether(trx: Trx, accountId: number, rows: UserRow[]): Promise<UserRow[]> {
  if (rows.length === 0) return [];
  const arrays = [
    sql`${pgArrayLiteral(rows.map((row) => row.id))}::int[]`,
    ...UPDATED_COLUMNS.map(
      (column) =>
        sql`${pgArrayLiteral(rows.map((row) => row[column] as string | number))}::${sql.raw(PG_TYPES[column] ?? 'text')}[]`,
    ),
  ];
  const result = await sql<UserRow>`update users as u
    set ${sql.join(UPDATED_COLUMNS.map((column) => sql`${sql.ref(column)} = v.${sql.ref(column)}`))}
    from unnest(${sql.join(arrays)}) as v(id, ${sql.join(UPDATED_COLUMNS.map((column) => sql.ref(column)))})
    where u.account_id = ${accountId} and u.id = v.id
    returning u.*`.execute(trx);
  return result.rows;
}

/** The link follows its entry's place and the user's "disabled by the sync" mark, when either changed. */
async function relink(trx: Trx, ctx: WriteContext, planned: PlannedUser) {
  if (planned.previousDn === planned.dn && planned.wasDisabledBySync === planned.disabledBySync) return;
  await trx
    .updateTable('directory_user_links')
    .set({ dn: planned.dn, disabled_by_sync: planned.disabledBySync ? 1 : 0 })
    .where('connection_id', '=', ctx.connectionId)
    .where('external_id', '=', planned.externalId)
    .execute();
}

export interface GroupCounts {
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsChanged: number;
}

/** Creates, renames and moves the planned groups (parents first); answers each planned group's id by DN key. */
export async function writeGroups(
  ctx: WriteContext,
  plan: GroupPlan,
  counts: GroupCounts,
): Promise<Map<string, number>> {
  const { accountId } = ctx;
  const at = ctx.now().toISOString();
  const ids = new Map<string, number>();
  const byExternalId = new Map<string, number>();
  const done = { created: 0, updated: 0 };
  await ctx.handle.db.transaction().execute(async (trx) => {
    for (const group of [...plan.groups].sort((a, b) => a.level - b.level)) {
      const parentId = group.parentExternalId ? (byExternalId.get(group.parentExternalId) ?? null) : null;
      if (group.parentExternalId && parentId === null) continue;
      let id = group.groupId;
      if (group.action === 'create') {
        const row = await trx
          .insertInto('groups')
          .values({
            account_id: accountId,
            parent_id: parentId,
            parent_key: parentId ?? 0,
            name: group.name,
            name_key: foldAccents(group.name),
            level: group.level,
            created_at: at,
            updated_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        id = row.id;
        await trx
          .insertInto('directory_group_links')
          .values({ connection_id: ctx.connectionId, external_id: group.externalId, group_id: id, dn: group.dn })
          .execute();
        await ctx.audit.record(trx, {
          accountId,
          actor: ctx.actor,
          action: 'group.create',
          target: { type: 'group', id, label: group.name },
          after: { name: group.name, parentId, level: group.level, ...via(ctx) },
        });
        done.created++;
      } else if (group.action === 'update' && id !== null) {
        const before = await trx
          .selectFrom('groups')
          .select(['name', 'parent_id'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('groups')
          .set((eb) => ({
            name: group.name,
            name_key: foldAccents(group.name),
            parent_id: parentId,
            parent_key: parentId ?? 0,
            level: group.level,
            updated_at: at,
            version: eb('version', '+', 1),
          }))
          .where('id', '=', id)
          .execute();
        await ctx.audit.record(trx, {
          accountId,
          actor: ctx.actor,
          action: 'group.update',
          target: { type: 'group', id, label: group.name },
          before: { name: before.name, parentId: before.parent_id },
          after: { name: group.name, parentId, ...via(ctx) },
        });
        done.updated++;
      }
      if (id !== null) {
        // A group made now was linked where it is; a linked one follows its entry's place.
        if (group.previousDn !== null && group.previousDn !== group.dn)
          await trx
            .updateTable('directory_group_links')
            .set({ dn: group.dn })
            .where('connection_id', '=', ctx.connectionId)
            .where('external_id', '=', group.externalId)
            .execute();
        ids.set(dnKey(group.dn), id);
        byExternalId.set(group.externalId, id);
      }
    }
  });
  counts.groupsCreated += done.created;
  counts.groupsUpdated += done.updated;
  return ids;
}

/**
 * Memberships per transaction. SQLite's driver holds the process for a transaction's length, so its transactions are
 * small enough that a request waits tens of milliseconds at most.
 */
const membershipBatch = (dialect: DatabaseHandle['dialect']) => (dialect === 'sqlite' ? 1000 : 5000);

/** Items a loop goes through between two pauses (see `breathe`). */
const SLICE = 5000;

/**
 * Makes the managed users' memberships of the connection's groups what the directory says (adding and removing
 * through the team service, so each change is audited and sent as an event). Memberships in other groups stay.
 */
export async function writeMemberships(
  ctx: WriteContext,
  wanted: Map<number, Set<number>>,
  managed: number[],
  counts: GroupCounts,
  /** Users who may join groups but not leave them in this run (what is known of them is incomplete). */
  addOnly: Set<number> = new Set(),
): Promise<void> {
  const groupIds = (
    await ctx.handle.db
      .selectFrom('directory_group_links')
      .select('group_id')
      .where('connection_id', '=', ctx.connectionId)
      .execute()
  ).map((row) => row.group_id);
  if (groupIds.length === 0 || managed.length === 0) return;
  // Who is in the connection's groups now: one read of their members (the managed ones kept), rather than one read
  // per batch of managed users, each looking through every group.
  const managedSet = new Set(managed);
  const current = new Map<number, Set<number>>();
  const rows = await ctx.handle.db
    .selectFrom('group_members')
    .select(['group_id', 'user_id'])
    .where(idIn(ctx.handle.dialect, 'group_id', groupIds))
    .execute();
  let seen = 0;
  for (const row of rows) {
    if (++seen % SLICE === 0) await breathe();
    if (!managedSet.has(row.user_id)) continue;
    const set = current.get(row.group_id) ?? new Set<number>();
    set.add(row.user_id);
    current.set(row.group_id, set);
  }
  // Each user's joins and leaves, gathered so that a user's changes are written together: one transaction holds
  // all of them, and one event per user says them all.
  const changes = new Map<number, MembershipChange>();
  const changeOf = (userId: number) => {
    let change = changes.get(userId);
    if (!change) {
      change = { userId, join: [], leave: [] };
      changes.set(userId, change);
    }
    return change as { userId: number; join: number[]; leave: number[] };
  };
  let n = 0;
  for (const groupId of groupIds) {
    const have = current.get(groupId) ?? new Set<number>();
    const want = wanted.get(groupId) ?? new Set<number>();
    for (const id of want) {
      if (++n % SLICE === 0) await breathe();
      if (managedSet.has(id) && !have.has(id)) changeOf(id).join.push(groupId);
    }
    for (const id of have) if (!want.has(id) && !addOnly.has(id)) changeOf(id).leave.push(groupId);
  }
  // Transactions of whole users, up to MEMBERSHIP_BATCH memberships each: every step of a transaction is one
  // statement for all of its memberships.
  const limit = membershipBatch(ctx.handle.dialect);
  // In user order: a transaction's users then sit side by side in every table and index kept by user (their audit
  // entries, events and event numbers, their rows read), so its commit writes a few pages of each, not one per user.
  const all = [...changes.values()].sort((a, b) => a.userId - b.userId);
  for (let i = 0; i < all.length; ) {
    const batch: MembershipChange[] = [];
    let size = 0;
    while (i < all.length) {
      const change = all[i] as MembershipChange;
      const weight = change.join.length + change.leave.length;
      if (batch.length > 0 && size + weight > limit) break;
      batch.push(change);
      size += weight;
      i++;
    }
    await breathe();
    ctx.assertGoingOn?.();
    const changed = await ctx.handle.db
      .transaction()
      .execute((trx) => ctx.teams.changeMembershipsWithin(trx, ctx.actor, ctx.accountId, batch, via(ctx)));
    counts.membershipsChanged += changed;
  }
}

/**
 * Deletes the Roster groups of directory groups that are gone (their memberships first, subgroups before their
 * parents); a group that still holds a subgroup of its own is only unlinked, and said so.
 */
export async function removeGroups(
  ctx: WriteContext,
  plan: GroupPlan,
  counts: GroupCounts,
  warnings: { dn: string; message: string }[],
): Promise<void> {
  if (plan.removed.length === 0) return;
  await ctx.handle.db.transaction().execute(async (trx) => {
    const ids = plan.removed.map((group) => group.groupId);
    const rows = await trx
      .selectFrom('groups')
      .select(['id', 'name', 'level'])
      .where(idIn(ctx.handle.dialect, 'id', ids))
      .orderBy('level', 'desc')
      .execute();
    for (const row of rows) {
      const link = plan.removed.find((group) => group.groupId === row.id);
      const child = await trx.selectFrom('groups').select('id').where('parent_id', '=', row.id).executeTakeFirst();
      if (child) {
        await trx.deleteFrom('directory_group_links').where('group_id', '=', row.id).execute();
        warnings.push({
          dn: link?.dn ?? row.name,
          message: `Gone from the directory: ${row.name} holds other groups, so it stays in Roster, no longer synced`,
        });
        continue;
      }
      await ctx.teams.removeMembershipsWithin(trx, ctx.accountId, [row.id]);
      await trx.deleteFrom('groups').where('id', '=', row.id).execute();
      await ctx.audit.record(trx, {
        accountId: ctx.accountId,
        actor: ctx.actor,
        action: 'group.delete',
        target: { type: 'group', id: row.id, label: row.name },
        before: { name: row.name, level: row.level },
        after: via(ctx),
      });
      counts.groupsDeleted++;
    }
  });
}

/**
 * Who is in which of the connection's groups, as the groups' member DNs (and the users' memberOf) say, made so for
 * the synced users whose sync switch is on and whose entries the directory still has.
 */
export async function syncMemberships(
  ctx: WriteContext,
  connection: { id: number; attribute_mapping_json: string },
  read: DirectoryRead,
  planned: SyncPlan,
  groupIds: Map<string, number>,
  counts: GroupCounts,
): Promise<void> {
  // Who is in which group: the groups' member DNs (and users' memberOf) as users of this connection.
  const links = await ctx.handle.db
    .selectFrom('directory_user_links as l')
    .innerJoin('users as u', 'u.id', 'l.user_id')
    .select(['l.user_id', 'l.external_id', 'l.dn', 'u.sync_enabled'])
    .where('l.connection_id', '=', connection.id)
    .execute();
  // Loops over every user pause now and then (see `breathe`): at 100,000 users each is a fraction of a second.
  let n = 0;
  const byDn = new Map<string, number>();
  for (const link of links) {
    if (++n % SLICE === 0) await breathe();
    byDn.set(dnKey(link.dn), link.user_id);
  }
  // An entry made while the directory was read can be among the entries and not yet among the ids present.
  const present = new Set(read.entries.map((entry) => entry.externalId ?? ''));
  for (const id of read.present ?? []) present.add(id);
  const managed: number[] = [];
  for (const link of links) {
    if (++n % SLICE === 0) await breathe();
    if (link.sync_enabled === 1 && present.has(link.external_id) && !planned.users.failed.has(link.external_id))
      managed.push(link.user_id);
  }
  const wanted = new Map<number, Set<number>>();
  const add = (groupKey: string | undefined, userId: number | undefined) => {
    if (groupKey === undefined || userId === undefined) return;
    const groupId = groupIds.get(groupKey);
    if (groupId === undefined) return;
    const set = wanted.get(groupId) ?? new Set<number>();
    set.add(userId);
    wanted.set(groupId, set);
  };
  for (const [groupKey, members] of planned.groups.members) {
    for (const dn of members) {
      if (++n % SLICE === 0) await breathe();
      add(groupKey, byDn.get(dn));
    }
  }
  for (const entry of read.entries) {
    if (++n % SLICE === 0) await breathe();
    for (const group of entry.memberOf) add(planned.groups.targets.get(dnKey(group)), byDn.get(dnKey(entry.dn)));
  }
  // Where memberships also come from the users' memberOf, an incremental run knows it only for the users it read:
  // the others join what their groups list but leave nothing until a full sync reads their memberOf again.
  const mapping = JSON.parse(connection.attribute_mapping_json) as AttributeMapping;
  const wasRead = new Set(read.entries.map((entry) => entry.externalId));
  const addOnly =
    read.present && mapping.memberOf
      ? new Set(links.filter((link) => !wasRead.has(link.external_id)).map((link) => link.user_id))
      : new Set<number>();
  await writeMemberships(ctx, wanted, managed, counts, addOnly);
}
