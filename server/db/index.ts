// Opens the database a URL names (a SQLite file path or a postgres:// URL) and runs migrations.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import { type Dialect, dialectOf } from './dialect.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema/index.js';
import { beginsWriting } from './write-lock.js';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** The raw SQLite connection, for the few statements Kysely cannot express (FTS5 queries and merges). */
  sqlite: SqliteDatabase.Database | null;
  /** SQLite: the turns at its writer lock, shared with a sync thread's connection (see SharedSqliteDriver). */
  writerTurns: Int32Array | null;
  /**
   * Runs a hot statement under a fixed name, on the pool (outside any transaction): PostgreSQL parses it once per
   * connection, and plans it once after its first few runs (SQLite's statements are cached by text already). When a
   * schema change (another server's migration) changed the columns it returns, PostgreSQL refuses the statement each
   * connection prepared before: it is then prepared again under the name with a number added.
   */
  queryPrepared<R>(name: string, query: CompiledQuery): Promise<R[]>;
  /** Opens the connections a serving process keeps (PostgreSQL), so the first burst of requests does not wait. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

// Timestamps come back as ISO strings on both databases.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (value) => new Date(value).toISOString());
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** The tables requests read most: planning a query of each loads the descriptions of the table and its indexes. */
const WARM_TABLES = [
  'users',
  'user_emails',
  'user_facets',
  'user_licenses',
  'group_members',
  'groups',
  'accounts',
  'sessions',
  'scim_tokens',
  'api_keys',
  'sign_in_throttle',
  'audit_events',
  'events',
];
const WARM_QUERY = `select ${WARM_TABLES.map((table) => `(select 1 from ${table} limit 0)`).join(', ')}`;

/**
 * PostgreSQL's refusal of a prepared statement whose result's columns a schema change altered ("cached plan must not
 * change result type"), known by the function that raises it, which servers do not translate as they do messages.
 */
function isChangedResultType(error: unknown): boolean {
  const { code, routine } = error as { code?: string; routine?: string };
  return code === '0A000' && routine === 'RevalidateCachedQuery';
}

export function openDatabase(
  url: string,
  options: {
    poolSize?: number;
    /**
     * SQLite: a sync thread's connection, which writes in every transaction and gives way to the serving
     * connection's writes (`turns`, from the serving connection's handle; see SharedSqliteDriver).
     */
    thread?: { turns: Int32Array };
  } = {},
): DatabaseHandle {
  const dialect = dialectOf(url);
  if (dialect === 'postgres') {
    const size = options.poolSize ?? 10;
    // A serving process keeps its connections once open (min = max): opening one costs a PostgreSQL process and an
    // authentication, which a burst after a quiet spell (a sign-in storm at nine) would otherwise pay all at once.
    const pool = new pg.Pool({ connectionString: url, max: size, min: size });
    // An idle connection the server drops (a restart, a failover) must not crash the process: the pool replaces it.
    pool.on('error', (error) => console.error(`[roster] an idle PostgreSQL connection closed: ${error.message}`));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    // A statement's name gets a new number when a change to the schema (another server's migration) changed the
    // columns it returns (`users.*`): PostgreSQL then refuses the one each connection prepared, so it is prepared anew.
    // Only a refusal of the current name moves it on: the requests that were waiting for a connection with the old
    // one when the schema changed all fail once, and must not each add a number (and a statement on every connection).
    // (One that waited through two changes fails.) The new name is in the statement's text too: a pooler that keeps
    // prepared statements by their text (PgBouncer's transaction mode) would otherwise hand it the refused one.
    const renamed = new Map<string, number>();
    const queryPrepared = async <R>(name: string, query: CompiledQuery): Promise<R[]> => {
      const run = async (turn: number) => {
        const named = turn === 0 ? name : `${name}_${turn}`;
        const text = turn === 0 ? query.sql : `/* ${named} */ ${query.sql}`;
        return (await pool.query({ name: named, text, values: [...query.parameters] })).rows as R[];
      };
      const turn = renamed.get(name) ?? 0;
      try {
        return await run(turn);
      } catch (error) {
        if (!isChangedResultType(error)) throw error;
        if ((renamed.get(name) ?? 0) === turn) {
          renamed.set(name, turn + 1);
          console.error(`[roster] the database's schema changed: statement ${name} is prepared again`);
        }
        return run(renamed.get(name) ?? 0);
      }
    };
    const warm = async () => {
      const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
      // A connection's first query of a table reads the table's and its indexes' descriptions from the catalog (a
      // few milliseconds on the users table and its 35 indexes): each connection does that now, not a request.
      await Promise.all(clients.map((client) => client.query(WARM_QUERY)));
      for (const client of clients) client.release();
    };
    return { db, dialect, sqlite: null, writerTurns: null, queryPrepared, warm, close: () => db.destroy() };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Statement journals (triggers, upserts) in memory, and a page cache that holds a million-user directory.
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('cache_size = -524288');
  // Reads straight from the operating system's file cache, which every serving process shares (ROSTER_WORKERS),
  // instead of copying each page into the connection's own cache first. SQLite caps it at its built-in maximum.
  sqlite.pragma('mmap_size = 8589934592');
  // SQLite's lower() knows ASCII only; this one lowers every letter as PostgreSQL's lower() does (see unicodeLower).
  sqlite.function('unicode_lower', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );
  const turns = options.thread?.turns ?? new Int32Array(new SharedArrayBuffer(4));
  const role = (): WriterRole => (options.thread ? 'thread' : beginsWriting(db) ? 'serving' : 'alone');
  const db: Kysely<Database> = new Kysely<Database>({
    dialect: new TransactionalSqliteDialect({ database: withStatementCache(sqlite) }, role, turns),
  });
  const queryPrepared = async <R>(_name: string, query: CompiledQuery) => (await db.executeQuery(query)).rows as R[];
  return { db, dialect, sqlite, writerTurns: turns, queryPrepared, warm: async () => {}, close: () => db.destroy() };
}

/**
 * SQLite's schema changes are transactional, as PostgreSQL's are, but Kysely's migrator only wraps them in a
 * transaction where its adapter says so: with this, a migration that fails or is stopped midway (a backfill of a
 * million users) leaves no half-made table or trigger behind, and is run whole again the next time.
 */
class TransactionalSqliteDialect extends SqliteDialect {
  constructor(
    private readonly settings: SqliteDialectConfig,
    private readonly role: () => WriterRole,
    private readonly turns: Int32Array,
  ) {
    super(settings);
  }

  override createDriver() {
    return new SharedSqliteDriver(this.settings, this.role, this.turns);
  }

  override createAdapter() {
    return new (class extends SqliteAdapter {
      override get supportsTransactionalDdl() {
        return true;
      }
    })();
  }
}

/**
 * How a connection writes: `alone` as SQLite does by itself; `serving` while a sync thread of the process writes the
 * same database on its own connection (see write-lock.ts); `thread`, that connection.
 */
type WriterRole = 'alone' | 'serving' | 'thread';

/**
 * SQLite's writes when two connections of a process share its one writer lock (the serving connection and a sync
 * thread's). Each transaction then takes the lock when it begins (`begin immediate`): Kysely's `begin` takes it at the
 * first write, and a transaction that read first fails there at once ("database is locked") when the other connection
 * committed in between, since its reads may no longer hold. And they take turns: SQLite gives the lock to whoever asks
 * when it is free, while a connection waiting for it sleeps and asks again, so a thread writing transaction after
 * transaction would take it again before a waiting one woke, up to the busy timeout, with the waiting thread's event
 * loop standing still. The serving connection counts the writes it waits for or makes in memory shared with the thread
 * (`turns`), and the thread begins no write while the count is above zero: a serving write waits at most for the
 * thread's transaction in progress.
 */
class SharedSqliteDriver extends SqliteDriver {
  /** The role the transaction in progress began with; null when none is. */
  private transaction: WriterRole | null = null;

  constructor(
    config: SqliteDialectConfig,
    private readonly role: () => WriterRole,
    private readonly turns: Int32Array,
  ) {
    super(config);
  }

  private async take(role: WriterRole): Promise<void> {
    if (role === 'serving') Atomics.add(this.turns, 0, 1);
    else if (role === 'thread')
      while (Atomics.load(this.turns, 0) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  private give(role: WriterRole): void {
    if (role === 'serving') Atomics.sub(this.turns, 0, 1);
  }

  /** A statement outside a transaction that writes (any but a select) takes its turn too. */
  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    if (this.role() === 'alone') return connection;
    return {
      executeQuery: async (query) => {
        const role = this.role();
        if (this.transaction !== null || role === 'alone' || query.query.kind === 'SelectQueryNode')
          return connection.executeQuery(query);
        await this.take(role);
        try {
          return await connection.executeQuery(query);
        } finally {
          this.give(role);
        }
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const role = this.role();
    this.transaction = role;
    await this.take(role);
    try {
      await connection.executeQuery(CompiledQuery.raw(role === 'alone' ? 'begin' : 'begin immediate'));
    } catch (error) {
      this.ended();
      throw error;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection);
    // A commit that failed is rolled back next (by Kysely), still within the transaction and its turn.
    this.ended();
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } finally {
      this.ended();
    }
  }

  private ended(): void {
    if (this.transaction === null) return;
    this.give(this.transaction);
    this.transaction = null;
  }
}

/**
 * Kysely prepares every query it runs; preparing costs SQLite more than running a short query, so prepared
 * statements are kept by SQL text (a statement busy with an open iterator is not shared).
 */
function withStatementCache(sqlite: SqliteDatabase.Database, size = 500) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        // Most recently used last, so the first entry is the one to drop.
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      cache.set(text, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}

function provider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, step] of Object.entries(migrations)) {
        out[name] = { up: (db) => step.up(db, dialect), down: (db) => step.down(db, dialect) };
      }
      return out;
    },
  };
}

export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const migrator = new Migrator({ db: handle.db, provider: provider(handle.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Runs the next pending migration alone; returns its name, or null when none was pending. */
export async function migrateUp(handle: DatabaseHandle): Promise<string | null> {
  const migrator = new Migrator({ db: handle.db, provider: provider(handle.dialect) });
  const { error, results } = await migrator.migrateUp();
  if (error) throw error;
  return results?.[0]?.migrationName ?? null;
}

export async function migrateDown(handle: DatabaseHandle): Promise<string | null> {
  const migrator = new Migrator({ db: handle.db, provider: provider(handle.dialect) });
  const { error, results } = await migrator.migrateDown();
  if (error) throw error;
  return results?.[0]?.migrationName ?? null;
}
