// While another connection of the process writes often (a directory sync's thread), SQLite's transactions take the
// writer lock when they begin: a transaction that reads and then writes cannot be refused at its write because the
// other connection committed in between. Otherwise they take it at their first write, as SQLite does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/index.js';
import { shareWriter } from '../db/write-lock.js';

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

  it('take the writer lock at their first write, or when they begin while another connection shares the writer', async () => {
    await sql`create table t (n integer)`.execute(handle.db);
    await sql`insert into t (n) values (1)`.execute(handle.db);
    other.pragma('busy_timeout = 0');
    const otherWrites = (n: number) => () => other.prepare('insert into t (n) values (?)').run(n);
    // Alone: a transaction that has only read holds no lock; another connection may write meanwhile.
    await handle.db.transaction().execute(async (trx) => {
      await sql`select count(*) from t`.execute(trx);
      expect(otherWrites(2)).not.toThrow();
    });
    const release = shareWriter(handle);
    try {
      await handle.db.transaction().execute(async (trx) => {
        const before = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
        expect(before.rows[0]?.n).toBe(2);
        // Another connection's write must wait for this transaction (here: is refused, with no busy timeout).
        expect(otherWrites(3)).toThrow(/locked|busy/i);
        await sql`insert into t (n) values (4)`.execute(trx);
      });
    } finally {
      release();
    }
    otherWrites(5)();
    const after = await sql<{ n: string }>`select group_concat(n) as n from (select n from t order by n)`.execute(
      handle.db,
    );
    expect(after.rows[0]?.n).toBe('1,2,4,5');
  });

  it('take turns with a sync thread: its connection writes nothing while the serving one waits to write or writes', async () => {
    const thread = openDatabase(file, { thread: { turns: handle.writerTurns as Int32Array } });
    const release = shareWriter(handle);
    try {
      // The thread's transactions take the writer lock when they begin, like the serving connection's meanwhile.
      await thread.db.transaction().execute(async (trx) => {
        await sql`select count(*) from t`.execute(trx);
        expect(() => other.prepare('insert into t (n) values (6)').run()).toThrow(/locked|busy/i);
      });
      const order: string[] = [];
      let threadWrote: Promise<void> = Promise.resolve();
      await handle.db.transaction().execute(async (trx) => {
        await sql`insert into t (n) values (7)`.execute(trx);
        // The thread's write now waits for this transaction's end instead of asking SQLite for the lock.
        threadWrote = sql`insert into t (n) values (8)`.execute(thread.db).then(() => {
          order.push('thread');
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('serving');
      });
      await threadWrote;
      expect(order).toEqual(['serving', 'thread']);
    } finally {
      release();
      await thread.close();
    }
  });
});
