// The write phase of an import on SQLite: a second connection holds the import's transaction (the server's own
// connection keeps answering reads, WAL). Requests: `begin` first, then lookups, inserts, updates and statements,
// then `commit` or `rollback`, and `close`.
import SqliteDatabase from 'better-sqlite3';
import { FACET_UPSERT_SQL, facetDeltas, searchRowid } from '../../db/user-index.js';
import { type DefaultPool, defaultGrants, INSERT_COLUMNS, type NewUser } from './new-users.js';

export interface WriterOptions {
  file: string;
  accountId: number;
}

export type WriterRequest =
  | { op: 'begin' | 'commit' | 'rollback' | 'close' }
  | { op: 'lookup'; usernames: string[] }
  | { op: 'insert'; rows: NewUser[]; hashes: (string | null)[] }
  | { op: 'update'; id: number; changes: Record<string, unknown>; hash: string | null; at: string }
  | { op: 'execute'; sql: string; parameters: unknown[] };

export interface InsertResult {
  taken: number[];
  /** How many new users each default pool licensed in this batch. */
  granted: Record<string, number>;
}

/** Opens the import's connection; the result runs one request at a time, synchronously. */
export function sqliteWriter({ file, accountId }: WriterOptions) {
  const conn = new SqliteDatabase(file);
  conn.pragma('busy_timeout = 10000');
  conn.pragma('foreign_keys = ON');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('temp_store = MEMORY');
  // The transaction's dirty pages spill to the log beyond this cache; a larger one measured no faster, and it adds
  // to the server's memory while an import runs.
  conn.pragma('cache_size = -65536');
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
  const values: unknown[] = new Array(INSERT_COLUMNS.length);

  return (request: WriterRequest): unknown => {
    switch (request.op) {
      case 'begin':
        conn.exec('begin immediate');
        return null;
      case 'commit':
        conn.exec('commit');
        return null;
      case 'rollback':
        if (conn.inTransaction) conn.exec('rollback');
        return null;
      case 'close':
        conn.close();
        return null;
      case 'lookup':
        return request.usernames.flatMap((username) => find.get(accountId, username) ?? []);
      case 'insert': {
        const { rows, hashes } = request;
        const ids: number[] = [];
        const taken: number[] = [];
        const written: NewUser[] = [];
        rows.forEach((row, i) => {
          for (let c = 0; c < INSERT_COLUMNS.length; c++) values[c] = row[INSERT_COLUMNS[c] as keyof NewUser] ?? null;
          const result = insert.run(values);
          if (result.changes === 0) {
            taken.push(i);
            return;
          }
          const id = Number(result.lastInsertRowid);
          index.run(searchRowid(row.account_id, id), row.search_doc);
          const hash = hashes[i];
          if (hash) credential.run(id, hash, row.created_at);
          ids.push(id);
          written.push(row);
        });
        for (const d of facetDeltas(written))
          facet.run(d.account_id, d.access_type, d.status, d.enabled, d.department, d.source, d.n);
        const granted: Record<string, number> = {};
        const grants = defaultGrants(pools.all(accountId) as DefaultPool[], ids, granted);
        for (const [app, licensed] of grants)
          license.run(accountId, app, rows[0]?.created_at, JSON.stringify(licensed));
        if (grants.length > 0) licenseColumn.run(JSON.stringify(ids));
        return { taken, granted } satisfies InsertResult;
      }
      case 'update': {
        const columns = Object.keys(request.changes);
        conn
          .prepare(`update users set ${columns.map((c) => `${c} = ?`).join(', ')} where id = ? and account_id = ?`)
          .run(...columns.map((c) => request.changes[c]), request.id, accountId);
        if (request.hash) credential.run(request.id, request.hash, request.at);
        return null;
      }
      case 'execute':
        conn.prepare(request.sql).run(...request.parameters);
        return null;
    }
  };
}
