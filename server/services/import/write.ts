// The write phase of an import, in one transaction for the whole file: on SQLite a second connection holds the
// write (the server's own connection keeps answering reads, WAL), on PostgreSQL one pooled connection. A process
// killed mid-import leaves no trace: the transaction never commits.
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import {
  type CompiledQuery,
  type Insertable,
  Kysely,
  SqliteDialect,
  sql,
  type Transaction,
  type Updateable,
} from 'kysely';
import type { DatabaseHandle } from '../../db/index.js';
import type { Database } from '../../db/schema/index.js';
import type { UsersTable } from '../../db/schema/users.js';
import { idIn, pgArrayLiteral } from '../../db/sql-helpers.js';
import {
  FACET_COLUMNS,
  FACET_UPSERT_SQL,
  facetDeltas,
  ftsMerges,
  type InsertedUser,
  searchRowid,
} from '../../db/user-index.js';
import { holdWriter } from '../../db/write-lock.js';
import { BULK_COLUMNS } from '../user-bulk-insert.js';
import { emitUserEvents, type UserEventInput, userChangeEvents } from '../user-events.js';
import type { UserRow } from '../user-presenter.js';
import type { Lookup } from './check.js';

export type NewUser = Insertable<UsersTable> & Omit<InsertedUser, 'id'>;

export interface NewCredential {
  passwordHash: string;
}

export interface WriteTarget {
  lookup: Lookup;
  /**
   * Inserts the rows with their credentials; a row whose username the account already has is left out, and its
   * index in `rows` returned (a user created since the preview).
   */
  insertUsers(rows: NewUser[], credentials: (NewCredential | null)[]): Promise<number[]>;
  /** Updates an existing user (read in this transaction) with the changes. */
  updateUser(existing: UserRow, changes: Updateable<UsersTable>, credential: NewCredential | null): Promise<void>;
  /** Statements that must commit with the users (the audit entry, the job's final state). */
  execute(query: CompiledQuery): Promise<void>;
  /** How many new users each default pool licensed so far (see grantDefaults). */
  defaultLicenses: Record<string, number>;
}

const INSERT_COLUMNS = [
  ...BULK_COLUMNS,
  'time_zone',
  'language',
  'valid_from',
  'expires_at',
  'required_actions',
  'profile_id',
] as const;

interface DefaultPool {
  app: string;
  kind: string;
  size: number;
  used: number;
}

/**
 * New users of an account with pools that license by default get those licenses, as users created one at a time
 * do: a seats pool licenses the first users of the batch while it has seats left (never more: the pool's check
 * refuses it), a pool of minutes licenses every one. Returns the user ids each app licensed.
 */
function defaultGrants(pools: DefaultPool[], ids: number[], granted: Record<string, number>): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (const pool of pools) {
    const take = pool.kind === 'seats' ? Math.max(0, Math.min(ids.length, pool.size - pool.used)) : ids.length;
    if (take === 0) continue;
    out.push([pool.app, ids.slice(0, take)]);
    granted[pool.app] = (granted[pool.app] ?? 0) + take;
  }
  return out;
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

/** Events per flush of the updates' outbox events (creations are written with their batch). */
const EVENT_BATCH = 5000;

/**
 * The import's outbox events, written in its transaction: each batch's creations with the batch, updates a few
 * thousand at a time and the rest before the commit, so a user's events keep the order of their changes.
 */
class ImportEvents {
  private pending: UserEventInput[] = [];
  /** The time of the last change seen, for the events written at the end. */
  private lastAt = new Date().toISOString();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DatabaseHandle['dialect'],
    private readonly accountId: number,
  ) {}

  async created(ids: number[], at: string): Promise<void> {
    await this.flush(at);
    const events = ids.map((userId) => ({ accountId: this.accountId, userId, type: 'user.created' as const }));
    await emitUserEvents(this.db, this.dialect, events, at);
  }

  async updated(existing: UserRow, changes: Updateable<UsersTable>, at: string): Promise<void> {
    this.lastAt = at;
    this.pending.push(...userChangeEvents(this.accountId, existing, { ...existing, ...changes } as UserRow));
    if (this.pending.length >= EVENT_BATCH) await this.flush(at);
  }

  async flush(at = this.lastAt): Promise<void> {
    this.lastAt = at;
    const events = this.pending.splice(0);
    if (events.length > 0) await emitUserEvents(this.db, this.dialect, events, at);
  }
}

/** Runs `work` in the import's transaction; `creates` is how many users the preview found to create. */
export async function inWriteTransaction<T>(
  handle: DatabaseHandle,
  accountId: number,
  creates: number,
  work: (target: WriteTarget) => Promise<T>,
): Promise<T> {
  return handle.dialect === 'sqlite'
    ? sqliteTransaction(handle, accountId, creates, work)
    : postgresTransaction(handle, accountId, work);
}

/**
 * Drops the users table's secondary indexes (not the unique ones, which the import's own checks use) and returns the
 * statements that build them again. Inserting a row updates a dozen indexes at random places; building an index
 * sorts every row once, which for an import at least as large as the table is about five times less work (537,000
 * users: 15 s of index updates, 5 s of building). Inside the transaction: readers keep seeing the indexes
 * (WAL), and a rollback or a killed process restores them.
 */
function dropSecondaryIndexes(conn: SqliteDatabase.Database): string[] {
  const names = conn
    .prepare(`select name from pragma_index_list('users') where "unique" = 0 and origin = 'c'`)
    .pluck()
    .all() as string[];
  const definition = conn.prepare(`select sql from sqlite_schema where type = 'index' and name = ?`).pluck();
  const statements = names.map((name) => definition.get(name) as string);
  for (const name of names) conn.exec(`drop index "${name.replaceAll('"', '""')}"`);
  return statements;
}

async function sqliteTransaction<T>(
  handle: DatabaseHandle,
  accountId: number,
  creates: number,
  work: (target: WriteTarget) => Promise<T>,
): Promise<T> {
  const file = handle.sqlite?.name;
  if (!file || file === ':memory:') throw new Error('imports need a SQLite file');
  const conn = new SqliteDatabase(file);
  try {
    conn.pragma('busy_timeout = 10000');
    conn.pragma('foreign_keys = ON');
    conn.pragma('synchronous = NORMAL');
    conn.pragma('temp_store = MEMORY');
    // The transaction's dirty pages spill to the log beyond this cache. A larger one measured a few percent faster
    // at most, and it adds to the server's memory while an import runs (which must stay under 512 MB).
    conn.pragma('cache_size = -32768');
    // Committing would also copy the log into the database file (a checkpoint: over a second after a large import),
    // on this thread; a thread of its own does it after the commit instead.
    conn.pragma('wal_autocheckpoint = 0');
    const insert = conn.prepare(
      `insert into users (${INSERT_COLUMNS.join(', ')}) values (${INSERT_COLUMNS.map(() => '?').join(', ')})
       on conflict (account_id, username) do nothing`,
    );
    const index = conn.prepare('insert into users_fts (rowid, doc) values (?, ?)');
    const facet = conn.prepare(FACET_UPSERT_SQL);
    const credential = conn.prepare(
      `insert into user_credentials (user_id, password_hash, temporary, updated_at) values (?, ?, 1, ?)
       on conflict (user_id) do update set password_hash = excluded.password_hash, temporary = 1, updated_at = excluded.updated_at`,
    );
    const find = conn.prepare('select * from users where account_id = ? and username = ?');
    const pools = conn.prepare(
      'select app, kind, size, used from license_pools where account_id = ? and licensed_by_default = 1 order by app',
    );
    const license = conn.prepare(
      'insert into user_licenses (account_id, user_id, app, granted_at) select ?, value, ?, ? from json_each(?)',
    );
    const licenseColumn = conn.prepare(
      `update users set license_apps = coalesce((select json_group_array(app) from
        (select app from user_licenses l where l.user_id = users.id order by app)), '[]')
       where id in (select value from json_each(?))`,
    );
    const granted: Record<string, number> = {};
    // Kysely over this connection (inside its open transaction) for the events; never destroyed: conn closes below.
    const events = new ImportEvents(
      new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }) }),
      'sqlite',
      accountId,
    );
    const target: WriteTarget = {
      defaultLicenses: granted,
      lookup: async (usernames) => {
        const found = new Map<string, UserRow>();
        for (const username of usernames) {
          const row = find.get(accountId, username) as UserRow | undefined;
          if (row) found.set(username, row);
        }
        return found;
      },
      insertUsers: async (rows, credentials) => {
        const ids: number[] = [];
        const taken: number[] = [];
        const written: NewUser[] = [];
        rows.forEach((row, i) => {
          const result = insert.run(INSERT_COLUMNS.map((c) => row[c] as string | number | null));
          if (result.changes === 0) {
            taken.push(i);
            return;
          }
          const id = Number(result.lastInsertRowid);
          index.run(searchRowid(row.account_id, id), row.search_doc);
          const cred = credentials[i];
          if (cred) credential.run(id, cred.passwordHash, row.created_at);
          ids.push(id);
          written.push(row);
        });
        for (const d of facetDeltas(written))
          facet.run(d.account_id, d.access_type, d.status, d.enabled, d.department, d.source, d.n);
        const grants = defaultGrants(pools.all(accountId) as DefaultPool[], ids, granted);
        for (const [app, licensed] of grants)
          license.run(accountId, app, rows[0]?.created_at, JSON.stringify(licensed));
        if (grants.length > 0) licenseColumn.run(JSON.stringify(ids));
        await events.created(ids, rows[0]?.created_at as string);
        return taken;
      },
      updateUser: async (existing, changes, cred) => {
        const id = existing.id;
        const columns = Object.keys(changes);
        conn
          .prepare(`update users set ${columns.map((c) => `${c} = ?`).join(', ')} where id = ? and account_id = ?`)
          .run(...columns.map((c) => (changes as Record<string, unknown>)[c]), id, accountId);
        if (cred) credential.run(id, cred.passwordHash, changes.updated_at);
        await events.updated(existing, changes, changes.updated_at as string);
      },
      execute: async (query) => {
        conn.prepare(query.sql).run(...(query.parameters as unknown[]));
      },
    };
    // A directory sync's thread writing the same database waits for this transaction (see SharedSqliteDriver).
    const turns = handle.writerTurns;
    if (turns) Atomics.add(turns, 0, 1);
    let release = () => {};
    try {
      conn.exec('begin immediate');
      release = holdWriter(handle.db);
      const users = conn.prepare('select count(*) from users').pluck().get() as number;
      const large = creates > 0 && creates >= users;
      const rebuild = large ? dropSecondaryIndexes(conn) : [];
      // The search indexes, likewise, take the rows without merging their segments as they go, and merge them once.
      if (large) ftsMerges.pause(conn);
      const result = await work(target);
      await events.flush();
      for (const statement of rebuild) conn.exec(statement);
      if (large) ftsMerges.merge(conn);
      conn.exec('commit');
      return result;
    } catch (error) {
      if (conn.inTransaction) conn.exec('rollback');
      throw error;
    } finally {
      release();
      if (turns) Atomics.sub(turns, 0, 1);
    }
  } finally {
    conn.close();
    checkpointAside(file);
  }
}

/** Starts a checkpoint of the database's log in a thread (see checkpoint-worker.js); a failure leaves it for later. */
function checkpointAside(file: string): void {
  const worker = new Worker(new URL('../../db/checkpoint-worker.js', import.meta.url), { workerData: { file } });
  worker.on('error', () => undefined);
  worker.unref();
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
    const insertColumns = sql.join(INSERT_COLUMNS.map((column) => sql.ref(column)));
    const facets = sql.join(FACET_COLUMNS.map((column) => sql.ref(column)));
    let grantsInOrder: Promise<void> = Promise.resolve();
    const events = new ImportEvents(trx, 'postgres', accountId);
    /** Licenses new users under the account's pools that license by default (see defaultGrants). */
    const grantDefaults = async (newIds: number[], at: string) => {
      // The pools are locked until commit, so concurrent grants cannot overrun them.
      const pools = await trx
        .selectFrom('license_pools')
        .select(['app', 'kind', 'size', 'used'])
        .where('account_id', '=', accountId)
        .where('licensed_by_default', '=', 1)
        .orderBy('app')
        .forUpdate()
        .execute();
      const grants = defaultGrants(pools, newIds, granted);
      for (const [app, licensed] of grants) {
        await sql`insert into user_licenses (account_id, user_id, app, granted_at)
          select ${accountId}, id, ${app}, ${at}::timestamptz from unnest(${licensed}::int[]) as t(id)`.execute(trx);
      }
      if (grants.length > 0) {
        await sql`update users set license_apps = coalesce((select '[' || string_agg('"' || l.app || '"', ',' order by l.app) || ']'
            from user_licenses l where l.user_id = users.id), '[]')
          where id = any(${newIds}::int[])`.execute(trx);
      }
    };
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
        // The import sends a batch's statement before the previous batch is done (see its loop). The licenses of each
        // batch still go in batch order, each seeing the pools as the previous batch left them.
        const previousGrants = grantsInOrder;
        let grantsDone: (() => void) | undefined;
        grantsInOrder = new Promise<void>((resolve) => (grantsDone = resolve));
        try {
          const taken: number[] = [];
          // One statement per few thousand rows, the values as one array per column (unnest): far less to build and
          // parse than a multi-row VALUES list. The arrays are written out here, so the statement goes out as soon as
          // the connection is free.
          for (let at = 0; at < rows.length; at += 5000) {
            const slice = rows.slice(at, at + 5000);
            const columns = INSERT_COLUMNS.map(
              (column) =>
                sql`${pgArrayLiteral(slice.map((row) => row[column] as string | number | null))}::${sql.raw(PG_TYPES[column] ?? 'text')}[]`,
            );
            const credentialNames: string[] = [];
            const hashes: string[] = [];
            slice.forEach((row, i) => {
              const cred = credentials[at + i];
              if (cred) {
                credentialNames.push(row.username);
                hashes.push(cred.passwordHash);
              }
            });
            // One statement a batch: the users, their credentials and the facet counts. Each further statement would
            // be a round trip during which the database waits for this process.
            const inserted = await sql<{ id: number; username: string }>`with ins as (
                insert into users (${insertColumns})
                select * from unnest(${sql.join(columns)})
                on conflict (account_id, username) do nothing
                returning id, username, account_id, access_type, status, enabled, department, source
              ), new_credentials as (
                insert into user_credentials (user_id, password_hash, temporary, updated_at)
                select ins.id, c.hash, 1, ${slice[0]?.created_at}::timestamptz
                from ins join unnest(${pgArrayLiteral(credentialNames)}::text[], ${pgArrayLiteral(hashes)}::text[])
                  as c(username, hash) using (username)
              ), new_facets as (
                insert into user_facets (${facets}, n)
                select ${facets}, count(*) from ins group by ${facets}
                on conflict (${facets}) do update set n = user_facets.n + excluded.n
              )
              select id, username from ins`.execute(trx);
            const ids = new Map(inserted.rows.map((row) => [row.username, Number(row.id)]));
            const newIds: number[] = [];
            slice.forEach((row, i) => {
              const id = ids.get(row.username);
              if (id === undefined) taken.push(at + i);
              else newIds.push(id);
            });
            await previousGrants;
            await grantDefaults(newIds, slice[0]?.created_at as string);
            await events.created(newIds, slice[0]?.created_at as string);
          }
          return taken;
        } finally {
          grantsDone?.();
        }
      },
      updateUser: async (existing, changes, cred) => {
        const id = existing.id;
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
        await events.updated(existing, changes, changes.updated_at as string);
      },
      execute: async (query) => {
        await trx.executeQuery(query);
      },
    };
    const result = await work(target);
    await events.flush();
    return result;
  });
}
