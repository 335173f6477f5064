// What Roster holds that a sync plans against: the users and groups a connection links to, the account's usernames
// and the names of groups that are not the connection's; and the plan made from them and what was read.
import type { Selectable } from 'kysely';
import type { AttributeMapping } from '../../../shared/directory-schemas.js';
import type { Dialect } from '../../db/dialect.js';
import type { Db } from '../../db/index.js';
import type { DirectoryConnectionsTable } from '../../db/schema/directory-connections.js';
import { idChunks, idIn } from '../../db/sql-helpers.js';
import { type LinkedUser, type MissingUsers, planGroupsSliced, planUsersSliced, type UserPlan } from './plan.js';
import type { DirectoryGroup, DirectoryUser } from './reader.js';
import type { SyncPlan } from './run-view.js';

type Connection = Selectable<DirectoryConnectionsTable>;

/** What was read from the directory for a run. */
export interface DirectoryRead {
  entries: DirectoryUser[];
  /** Incremental: every user's external id; null when `entries` are all the users. */
  present: Set<string> | null;
  groups: DirectoryGroup[];
}

/** A plan with the users gone from the directory added. */
export function withGone(plan: SyncPlan, gone: UserPlan): SyncPlan {
  return {
    ...plan,
    users: {
      users: [...plan.users.users, ...gone.users],
      errors: [...plan.users.errors, ...gone.errors],
      failed: new Set([...plan.users.failed, ...gone.failed]),
    },
    errors: [...plan.errors, ...gone.errors],
  };
}

function linkedUsers(db: Db, connection: Connection) {
  return db
    .selectFrom('directory_user_links as l')
    .innerJoin('users as u', 'u.id', 'l.user_id')
    .select([
      'l.user_id',
      'l.external_id',
      'l.dn',
      'l.disabled_by_sync',
      'u.username',
      'u.first_name',
      'u.last_name',
      'u.email',
      'u.phone',
      'u.department',
      'u.enabled',
      'u.sync_enabled',
      'u.required_actions',
    ])
    .where('l.connection_id', '=', connection.id);
}

type LinkedRow = Awaited<ReturnType<ReturnType<typeof linkedUsers>['execute']>>[number];

const linkedUserOf = (row: LinkedRow): LinkedUser => ({
  userId: row.user_id,
  externalId: row.external_id,
  dn: row.dn,
  disabledBySync: row.disabled_by_sync === 1,
  username: row.username,
  first_name: row.first_name,
  last_name: row.last_name,
  email: row.email,
  phone: row.phone,
  department: row.department,
  enabled: row.enabled,
  sync_enabled: row.sync_enabled,
  required_actions: row.required_actions,
});

/** The linked users whose external ids are among `ids`. */
async function linkedByExternalId(db: Db, dialect: Dialect, connection: Connection, ids: string[]) {
  const rows: LinkedRow[] = [];
  for (const chunk of idChunks(ids))
    rows.push(
      ...(await linkedUsers(db, connection)
        .where(idIn(dialect, 'l.external_id', chunk))
        .execute()),
    );
  return rows;
}

/**
 * The users the directory no longer has (or no longer in the filter), for an incremental run: the links whose
 * external ids are neither among the entries read nor present.
 */
export async function planGone(
  db: Db,
  dialect: Dialect,
  connection: Connection,
  entries: DirectoryUser[],
  present: Set<string>,
): Promise<UserPlan> {
  const read = new Set(entries.map((entry) => entry.externalId));
  const ids = await db
    .selectFrom('directory_user_links')
    .select('external_id')
    .where('connection_id', '=', connection.id)
    .execute();
  const gone = ids.map((row) => row.external_id).filter((id) => !present.has(id) && !read.has(id));
  return planUsersSliced({
    mapping: JSON.parse(connection.attribute_mapping_json) as AttributeMapping,
    missingUsers: connection.missing_users as MissingUsers,
    entries: [],
    present,
    linked: (await linkedByExternalId(db, dialect, connection, gone)).map(linkedUserOf),
    usernames: new Map(),
  });
}

/**
 * The plan of the entries read, and of the groups. With `whole`, the entries are every user of the filter, and the
 * linked users not among them are gone; otherwise (incremental) they are the entries changed, and who is gone is
 * planned apart (`planGone`).
 */
export async function planRead(
  db: Db,
  dialect: Dialect,
  connection: Connection,
  entries: DirectoryUser[],
  directoryGroups: DirectoryGroup[],
  whole: boolean,
): Promise<SyncPlan> {
  const linkedQuery = () => linkedUsers(db, connection);
  let linkedRows: LinkedRow[];
  let usernames: Map<string, number>;
  if (!whole) {
    // Incremental: the plan needs the users of the entries read and the holders of the usernames read; not the
    // whole account.
    const wanted = entries.flatMap((entry) => (entry.externalId ? [entry.externalId] : []));
    linkedRows = await linkedByExternalId(db, dialect, connection, wanted);
    usernames = new Map();
    const names = [...new Set(entries.flatMap((entry) => (entry.username ? [entry.username] : [])))];
    for (const chunk of idChunks(names)) {
      const rows = await db
        .selectFrom('users')
        .select(['id', 'username'])
        .where('account_id', '=', connection.account_id)
        .where(idIn(dialect, 'username', chunk))
        .execute();
      for (const row of rows) usernames.set(row.username, row.id);
    }
    // A username's holder synced from another entry is told apart from a local user by its link.
    const loaded = new Set(linkedRows.map((row) => row.user_id));
    const holders = [...usernames.values()].filter((id) => !loaded.has(id));
    for (const chunk of idChunks(holders))
      linkedRows.push(
        ...(await linkedQuery()
          .where(idIn(dialect, 'l.user_id', chunk))
          .execute()),
      );
  } else {
    linkedRows = await linkedQuery().execute();
    usernames = new Map(
      (
        await db
          .selectFrom('users')
          .select(['id', 'username'])
          .where('account_id', '=', connection.account_id)
          .execute()
      ).map((row) => [row.username, row.id]),
    );
  }
  const linked = linkedRows.map(linkedUserOf);
  const users = await planUsersSliced({
    mapping: JSON.parse(connection.attribute_mapping_json) as AttributeMapping,
    missingUsers: connection.missing_users as MissingUsers,
    entries,
    present: null,
    linked,
    usernames,
    onlyEntries: !whole,
  });
  const linkedGroups = await db
    .selectFrom('directory_group_links as l')
    .innerJoin('groups as g', 'g.id', 'l.group_id')
    .select(['l.group_id', 'l.external_id', 'l.dn', 'g.name', 'g.parent_id'])
    .where('l.connection_id', '=', connection.id)
    .execute();
  const others = await db
    .selectFrom('groups')
    .select(['id', 'parent_id', 'name_key'])
    .where('account_id', '=', connection.account_id)
    .where(
      'id',
      'not in',
      db.selectFrom('directory_group_links').select('group_id').where('connection_id', '=', connection.id),
    )
    .execute();
  const taken = new Map<number, Set<string>>();
  for (const group of others) {
    const set = taken.get(group.parent_id ?? 0) ?? new Set<string>();
    set.add(group.name_key);
    taken.set(group.parent_id ?? 0, set);
  }
  const groups = await planGroupsSliced(
    directoryGroups,
    linkedGroups.map((g) => ({
      groupId: g.group_id,
      externalId: g.external_id,
      dn: g.dn,
      name: g.name,
      parentId: g.parent_id,
    })),
    taken,
  );
  return {
    users,
    groups,
    errors: [...users.errors, ...groups.errors],
    warnings: groups.warnings,
  };
}
