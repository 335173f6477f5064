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
  /**
   * Runs a hot statement under a fixed name: PostgreSQL parses and plans it once per connection (SQLite's statements
   * are cached by text already).
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

export function openDatabase(
  url: string,
  options: {
    poolSize?: number;
    /** SQLite: `always` when every transaction of this connection writes (see ImmediateSqliteDriver). */
    writer?: 'always';
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
    const queryPrepared = async <R>(name: string, query: CompiledQuery) =>
      (await pool.query({ name, text: query.sql, values: [...query.parameters] })).rows as R[];
    const warm = async () => {
      const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
      // A connection's first query of a table reads the table's and its indexes' descriptions from the catalog (a
      // few milliseconds on the users table and its twenty indexes): each connection does that now, not a request.
      await Promise.all(clients.map((client) => client.query(WARM_QUERY)));
      for (const client of clients) client.release();
    };
    return { db, dialect, sqlite: null, queryPrepared, warm, close: () => db.destroy() };
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
  const db: Kysely<Database> = new Kysely<Database>({
    dialect: new TransactionalSqliteDialect({ database: withStatementCache(sqlite) }, () =>
      options.writer === 'always' ? true : beginsWriting(db),
    ),
  });
  const queryPrepared = async <R>(_name: string, query: CompiledQuery) => (await db.executeQuery(query)).rows as R[];
  return { db, dialect, sqlite, queryPrepared, warm: async () => {}, close: () => db.destroy() };
}

/**
 * SQLite's schema changes are transactional, as PostgreSQL's are, but Kysely's migrator only wraps them in a
 * transaction where its adapter says so: with this, a migration that fails or is stopped midway (a backfill of a
 * million users) leaves no half-made table or trigger behind, and is run whole again the next time.
 */
class TransactionalSqliteDialect extends SqliteDialect {
  constructor(
    private readonly settings: SqliteDialectConfig,
    private readonly immediate: () => boolean,
  ) {
    super(settings);
  }

  override createDriver() {
    return new ImmediateSqliteDriver(this.settings, this.immediate);
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
 * Transactions that take SQLite's one writer lock when they begin (`begin immediate`, waiting for it as long as the
 * busy timeout allows) when `immediate` says so. Kysely's `begin` takes it at the first write: a transaction that read
 * first and then writes fails at once ("database is locked") when another connection committed in between, since
 * its reads may no longer hold. See write-lock.ts for when.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly immediate: () => boolean,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(this.immediate() ? 'begin immediate' : 'begin'));
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
