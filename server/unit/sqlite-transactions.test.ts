// SQLite's transactions take the writer lock when they begin: a transaction that reads and then writes cannot be
// refused at its write because another connection (the directory sync's thread, an import) committed in between.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/index.js';

describe('SQLite transactions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-tx-'));
  const file = join(dir, 'roster.db');
  const handle = openDatabase(file);
  const other = new SqliteDatabase(file);
  afterAll(async () => {
    other.close();
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hold the writer lock from their first statement, so another connection cannot write in between', async () => {
    await sql`create table t (n integer)`.execute(handle.db);
    await sql`insert into t (n) values (1)`.execute(handle.db);
    other.pragma('busy_timeout = 0');
    await handle.db.transaction().execute(async (trx) => {
      const before = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
      expect(before.rows[0]?.n).toBe(1);
      // Another connection's write must wait for this transaction (here: is refused, with no busy timeout).
      expect(() => other.prepare('insert into t (n) values (2)').run()).toThrow(/locked|busy/i);
      await sql`insert into t (n) values (3)`.execute(trx);
    });
    // Once it has committed, the other connection writes.
    other.prepare('insert into t (n) values (4)').run();
    const after = await sql<{ n: number }>`select group_concat(n) as n from (select n from t order by n)`.execute(
      handle.db,
    );
    expect(String(after.rows[0]?.n)).toBe('1,3,4');
  });
});
