// Writes many users at once (seeding, imports). SQLite takes a prepared-statement loop inside one transaction per
// batch (better-sqlite3 is synchronous, so nothing interleaves); PostgreSQL takes multi-row inserts.
import { type Insertable, sql } from 'kysely';
import type { DatabaseHandle } from '../db/index.js';
import type { UsersTable } from '../db/schema/users.js';
import {
  FACET_UPSERT_SQL,
  facetDeltas,
  ftsMerges,
  indexInsertedUsers,
  searchRowid,
  settlePostgresIndexes,
} from '../db/user-index.js';
import { emitUserEvents } from './user-events.js';
import { derivedColumns } from './user-presenter.js';

export interface BulkUser {
  username: string;
  firstName: string;
  lastName?: string;
  email?: string;
  phone?: string;
  department?: string;
  accessType?: string;
  authMethod?: string;
  enabled?: boolean;
  status?: 'active' | 'inactive';
  source?: string;
  nicknames?: string[];
}

type UserInsert = Insertable<UsersTable> & {
  search_doc: string;
  access_type: string;
  status: string;
  enabled: number;
  department: string;
  source: string;
};

export function bulkRow(accountId: number, user: BulkUser, at: string): UserInsert {
  const base = {
    first_name: user.firstName,
    last_name: user.lastName ?? '',
    username: user.username,
    email: user.email ?? '',
    phone: user.phone ?? '',
    department: user.department ?? '',
    nicknames: JSON.stringify(user.nicknames ?? []),
  };
  const derived = derivedColumns(base, user.nicknames ?? []);
  // One literal, no spreads: this runs a million times in a big import.
  return {
    account_id: accountId,
    username: base.username,
    email: base.email,
    first_name: base.first_name,
    last_name: base.last_name,
    phone: base.phone,
    department: base.department,
    nicknames: base.nicknames,
    search_doc: derived.search_doc,
    name_key: derived.name_key,
    first_key: derived.first_key,
    access_type: user.accessType ?? 'standard',
    auth_method: user.authMethod ?? 'password',
    enabled: user.enabled === false ? 0 : 1,
    status: user.status ?? 'inactive',
    source: user.source ?? 'local',
    created_at: at,
    updated_at: at,
  };
}

/** The columns a bulk insert writes (an import adds its own after these). */
export const BULK_COLUMNS = [
  'account_id',
  'username',
  'email',
  'first_name',
  'last_name',
  'phone',
  'department',
  'access_type',
  'auth_method',
  'enabled',
  'status',
  'source',
  'nicknames',
  'search_doc',
  'name_key',
  'first_key',
  'created_at',
  'updated_at',
] as const;

export interface BulkOptions {
  at?: Date;
  /** Rows per transaction on SQLite (fewer, larger transactions write each index page fewer times). */
  batchSize?: number;
}

/** Inserts users in batches; returns how many were written. Usernames must be new to the account. */
export async function insertUsersInBulk(
  handle: DatabaseHandle,
  accountId: number,
  users: Iterable<BulkUser>,
  options: BulkOptions = {},
): Promise<number> {
  const at = (options.at ?? new Date()).toISOString();
  const size = options.batchSize ?? (handle.dialect === 'sqlite' ? 100_000 : 1000);
  const write = handle.dialect === 'sqlite' ? sqliteWriter(handle, at) : postgresWriter(handle, at);
  const before = Number(
    (await handle.db.selectFrom('users').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n,
  );
  let batch: UserInsert[] = [];
  let written = 0;
  for (const user of users) {
    batch.push(bulkRow(accountId, user, at));
    if (batch.length >= size) {
      written += await write(batch);
      batch = [];
    }
  }
  if (batch.length > 0) written += await write(batch);
  // A write that at least doubles the users leaves its indexes as a large import does (SQLite's full-text tables
  // merged), or as autovacuum soon would (PostgreSQL's trigram pending lists merged, statistics read).
  if (written >= before) {
    if (handle.sqlite) ftsMerges.merge(handle.sqlite);
    else await settlePostgresIndexes(handle.db);
  }
  return written;
}

function sqliteWriter(handle: DatabaseHandle, at: string) {
  const sqlite = handle.sqlite;
  if (!sqlite) throw new Error('no SQLite connection');
  const insert = sqlite.prepare(
    `insert into users (${BULK_COLUMNS.join(', ')}) values (${BULK_COLUMNS.map(() => '?').join(', ')})`,
  );
  const index = sqlite.prepare('insert into users_fts (rowid, doc) values (?, ?)');
  const facet = sqlite.prepare(FACET_UPSERT_SQL);
  return (rows: UserInsert[]) =>
    // Kysely's transaction holds the connection; the synchronous loop runs inside it.
    handle.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (const row of rows) {
        const id = Number(insert.run(BULK_COLUMNS.map((column) => row[column] as string | number)).lastInsertRowid);
        index.run(searchRowid(row.account_id, id), row.search_doc);
        ids.push(id);
      }
      for (const d of facetDeltas(rows))
        facet.run(d.account_id, d.access_type, d.status, d.enabled, d.department, d.source, d.n);
      await emitUserEvents(trx, 'sqlite', createdEvents(rows, ids), at);
      return rows.length;
    });
}

function postgresWriter(handle: DatabaseHandle, at: string) {
  return (rows: UserInsert[]) =>
    handle.db.transaction().execute(async (trx) => {
      const inserted = await trx.insertInto('users').values(rows).returning('id').execute();
      // Facets only need the columns we already have; ids are not needed for them on PostgreSQL.
      await indexInsertedUsers(
        trx,
        'postgres',
        rows.map((row, i) => ({ ...row, id: inserted[i]?.id as number })),
      );
      await emitUserEvents(
        trx,
        'postgres',
        createdEvents(
          rows,
          inserted.map((row) => row.id),
        ),
        at,
      );
      return rows.length;
    });
}

const createdEvents = (rows: UserInsert[], ids: number[]) =>
  ids.map((userId, i) => ({ accountId: rows[i]?.account_id as number, userId, type: 'user.created' as const }));
