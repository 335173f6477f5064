// SQLite behind Kysely with two connections: one that writes, which one transaction at a time holds, and one that
// reads. In WAL mode a reading connection sees the last commit and never waits for a writer, so a list page asked
// while a sync, an import or a bulk action holds the writing connection through a transaction is answered at once,
// from the data as it was before that transaction, instead of after its commit.
import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  SqliteDialect,
} from 'kysely';

/** What the driver needs of a connection: prepared statements (cached, see withStatementCache) and closing. */
export interface SqliteStatements {
  prepare(text: string): SqliteDatabase.Statement;
  close(): void;
}

/**
 * Kysely's SQLite dialect with the two connections. Schema changes are transactional on SQLite as on PostgreSQL, but
 * Kysely's migrator wraps them in a transaction only where its adapter says so: with this one, a migration that fails
 * or is stopped midway (a backfill of a million users) leaves no half-made table or trigger behind.
 */
export class SqliteTwoConnectionDialect extends SqliteDialect {
  constructor(
    private readonly writer: SqliteStatements,
    private readonly reader: SqliteStatements | null,
  ) {
    super({ database: writer as never });
  }

  override createDriver(): Driver {
    return new TwoConnectionDriver(this.writer, this.reader);
  }

  override createAdapter() {
    return new (class extends SqliteAdapter {
      override get supportsTransactionalDdl() {
        return true;
      }
    })();
  }
}

class Mutex {
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  unlock(): void {
    const release = this.release;
    this.held = null;
    this.release = null;
    release?.();
  }
}

/**
 * Kysely asks for a connection for each query outside a transaction, and for one per transaction. The writing
 * connection is taken only by a transaction (from its begin to its commit or rollback) or by a single statement that
 * writes; a single select goes to the reading connection. Raw statements go to the writing one, since their text
 * alone does not say whether they write.
 */
class TwoConnectionDriver implements Driver {
  private readonly writing = new Mutex();

  constructor(
    private readonly writer: SqliteStatements,
    private readonly reader: SqliteStatements | null,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this.writer, this.reader, this.writing);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Connection).hold();
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('commit'));
    } finally {
      (connection as Connection).letGo();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      (connection as Connection).letGo();
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as Connection).letGo();
  }

  async destroy(): Promise<void> {
    this.reader?.close();
    this.writer.close();
  }
}

class Connection implements DatabaseConnection {
  private holding = false;

  constructor(
    private readonly writer: SqliteStatements,
    private readonly reader: SqliteStatements | null,
    private readonly writing: Mutex,
  ) {}

  async hold(): Promise<void> {
    await this.writing.lock();
    this.holding = true;
  }

  letGo(): void {
    if (!this.holding) return;
    this.holding = false;
    this.writing.unlock();
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.holding) return run<R>(this.writer, compiled);
    if (this.reader && SelectQueryNode.is(compiled.query)) return run<R>(this.reader, compiled);
    await this.hold();
    try {
      return run<R>(this.writer, compiled);
    } finally {
      this.letGo();
    }
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) throw new Error('SQLite streams select queries only');
    const parameters = compiled.parameters as unknown[];
    if (this.reader && !this.holding) {
      for (const row of this.reader.prepare(compiled.sql).iterate(parameters)) yield { rows: [row as R] };
      return;
    }
    const mine = !this.holding;
    if (mine) await this.hold();
    try {
      for (const row of this.writer.prepare(compiled.sql).iterate(parameters)) yield { rows: [row as R] };
    } finally {
      if (mine) this.letGo();
    }
  }
}

function run<R>(statements: SqliteStatements, compiled: CompiledQuery): QueryResult<R> {
  const statement = statements.prepare(compiled.sql);
  const parameters = compiled.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}
