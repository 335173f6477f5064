// The write phase of an import, in one transaction for the whole file: on SQLite a second connection holds the
// write (the server's own connection keeps answering reads, WAL), on PostgreSQL one pooled connection. A process
// killed mid-import leaves no trace: the transaction never commits.
import { type CompiledQuery, sql, type Transaction, type Updateable } from 'kysely';
import type { DatabaseHandle } from '../../db/index.js';
import type { Database } from '../../db/schema/index.js';
import type { UsersTable } from '../../db/schema/users.js';
import { idIn } from '../../db/sql-helpers.js';
import { indexInsertedUsers } from '../../db/user-index.js';
import { holdWriter } from '../../db/write-lock.js';
import type { UserRow } from '../user-presenter.js';
import type { Lookup } from './check.js';
import { defaultGrants, INSERT_COLUMNS, type NewCredential, type NewUser } from './new-users.js';
import { type InsertResult, sqliteWriter } from './sqlite-writes.js';

export type { NewCredential, NewUser } from './new-users.js';

export interface WriteTarget {
  lookup: Lookup;
  /**
   * Inserts the rows with their credentials; a row whose username the account already has is left out, and its
   * index in `rows` returned (a user created since the preview).
   */
  insertUsers(rows: NewUser[], credentials: (NewCredential | null)[]): Promise<number[]>;
  updateUser(id: number, changes: Updateable<UsersTable>, credential: NewCredential | null): Promise<void>;
  /** Statements that must commit with the users (the audit entry, the job's final state). */
  execute(query: CompiledQuery): Promise<void>;
  /** How many new users each default pool licensed so far (see grantDefaults). */
  defaultLicenses: Record<string, number>;
}

const PG_TYPES: Partial<Record<(typeof INSERT_COLUMNS)[number], string>> = {
  account_id: 'int',
  enabled: 'smallint',
  profile_id: 'int',
  valid_from: 'timestamptz',
  expires_at: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};

export class Cancelled extends Error {}

export async function inWriteTransaction<T>(
  handle: DatabaseHandle,
  accountId: number,
  work: (target: WriteTarget) => Promise<T>,
): Promise<T> {
  return handle.dialect === 'sqlite'
    ? sqliteTransaction(handle, accountId, work)
    : postgresTransaction(handle, accountId, work);
}

async function sqliteTransaction<T>(
  handle: DatabaseHandle,
  accountId: number,
  work: (target: WriteTarget) => Promise<T>,
): Promise<T> {
  const file = handle.sqlite?.name;
  if (!file || file === ':memory:') throw new Error('imports need a SQLite file');
  const run = sqliteWriter({ file, accountId });
  try {
    const granted: Record<string, number> = {};
    const target: WriteTarget = {
      defaultLicenses: granted,
      lookup: async (usernames) => {
        const rows = run({ op: 'lookup', usernames }) as UserRow[];
        return new Map(rows.map((row) => [row.username, row]));
      },
      insertUsers: async (rows, credentials) => {
        const hashes = credentials.map((c) => c?.passwordHash ?? null);
        const result = run({ op: 'insert', rows, hashes }) as InsertResult;
        for (const [app, n] of Object.entries(result.granted)) granted[app] = (granted[app] ?? 0) + n;
        return result.taken;
      },
      updateUser: async (id, changes, cred) => {
        const at = changes.updated_at as string;
        run({ op: 'update', id, changes, hash: cred?.passwordHash ?? null, at });
      },
      execute: async (query) => {
        run({ op: 'execute', sql: query.sql, parameters: [...query.parameters] });
      },
    };
    run({ op: 'begin' });
    const release = holdWriter(handle.db);
    try {
      const result = await work(target);
      run({ op: 'commit' });
      return result;
    } catch (error) {
      run({ op: 'rollback' });
      throw error;
    } finally {
      release();
    }
  } finally {
    run({ op: 'close' });
  }
}

async function postgresTransaction<T>(
  handle: DatabaseHandle,
  accountId: number,
  work: (target: WriteTarget) => Promise<T>,
): Promise<T> {
  return handle.db.transaction().execute(async (trx: Transaction<Database>) => {
    // The trigram index takes new entries into a pending list and merges them into its tree when the list is full:
    // a larger list for this transaction means fewer, larger merges (a quarter less time for a big import).
    await sql`set local gin_pending_list_limit = '64MB'`.execute(trx);
    const granted: Record<string, number> = {};
    const target: WriteTarget = {
      defaultLicenses: granted,
      lookup: async (usernames) => {
        const rows = (await trx
          .selectFrom('users')
          .selectAll()
          .where('account_id', '=', accountId)
          .where(idIn('postgres', 'username', usernames))
          .execute()) as UserRow[];
        return new Map(rows.map((row) => [row.username, row]));
      },
      insertUsers: async (rows, credentials) => {
        const taken: number[] = [];
        // One statement per few thousand rows, the values as one array per column (unnest): far less to build and
        // parse than a multi-row VALUES list.
        for (let at = 0; at < rows.length; at += 5000) {
          const slice = rows.slice(at, at + 5000);
          const columns = INSERT_COLUMNS.map(
            (column) => sql`${slice.map((row) => row[column] ?? null)}::${sql.raw(PG_TYPES[column] ?? 'text')}[]`,
          );
          const inserted = await sql<{ id: number; username: string }>`insert into users (${sql.join(
            INSERT_COLUMNS.map((column) => sql.ref(column)),
          )}) select * from unnest(${sql.join(columns)})
            on conflict (account_id, username) do nothing returning id, username`.execute(trx);
          const ids = new Map(inserted.rows.map((row) => [row.username, Number(row.id)]));
          const userIds: number[] = [];
          const hashes: string[] = [];
          const written: (NewUser & { id: number })[] = [];
          slice.forEach((row, i) => {
            const id = ids.get(row.username);
            if (id === undefined) {
              taken.push(at + i);
              return;
            }
            written.push({ ...row, id });
            const cred = credentials[at + i];
            if (cred) {
              userIds.push(id);
              hashes.push(cred.passwordHash);
            }
          });
          if (userIds.length > 0) {
            const when = slice[0]?.created_at as string;
            await sql`insert into user_credentials (user_id, password_hash, temporary, updated_at)
              select id, hash, 1, ${when}::timestamptz from unnest(${userIds}::int[], ${hashes}::text[]) as t(id, hash)`.execute(
              trx,
            );
          }
          await indexInsertedUsers(trx, 'postgres', written);
          // The pools are locked until commit, so concurrent grants cannot overrun them.
          const pools = await trx
            .selectFrom('license_pools')
            .select(['app', 'kind', 'size', 'used'])
            .where('account_id', '=', accountId)
            .where('licensed_by_default', '=', 1)
            .orderBy('app')
            .forUpdate()
            .execute();
          const newIds = written.map((row) => row.id);
          const grants = defaultGrants(pools, newIds, granted);
          for (const [app, licensed] of grants) {
            await sql`insert into user_licenses (account_id, user_id, app, granted_at)
              select ${accountId}, id, ${app}, ${slice[0]?.created_at}::timestamptz from unnest(${licensed}::int[]) as t(id)`.execute(
              trx,
            );
          }
          if (grants.length > 0) {
            await sql`update users set license_apps = coalesce((select '[' || string_agg('"' || l.app || '"', ',' order by l.app) || ']'
                from user_licenses l where l.user_id = users.id), '[]')
              where id = any(${newIds}::int[])`.execute(trx);
          }
        }
        return taken;
      },
      updateUser: async (id, changes, cred) => {
        await trx.updateTable('users').set(changes).where('id', '=', id).where('account_id', '=', accountId).execute();
        if (cred) {
          await trx
            .insertInto('user_credentials')
            .values({
              user_id: id,
              password_hash: cred.passwordHash,
              temporary: 1,
              updated_at: changes.updated_at as string,
            })
            .onConflict((oc) =>
              oc.column('user_id').doUpdateSet((eb) => ({
                password_hash: eb.ref('excluded.password_hash'),
                temporary: 1,
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
      },
      execute: async (query) => {
        await trx.executeQuery(query);
      },
    };
    return work(target);
  });
}
