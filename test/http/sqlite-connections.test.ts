import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../server/db/index.js';

// SQLite serves single selects from a connection of their own, so a transaction in progress (a sync's batch, an
// import) delays no read; writes still take turns on the writing connection, one transaction at a time.
describe('SQLite reads beside a transaction', () => {
  let dir: string;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-connections-'));
    handle = openDatabase(join(dir, 'roster.db'));
    await migrateToLatest(handle);
    await handle.db.insertInto('accounts').values(account('Before', 'before')).execute();
  });
  afterAll(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const account = (name: string, slug: string) => ({
    name,
    slug,
    default_time_zone: 'UTC',
    created_at: new Date().toISOString(),
  });
  const slugs = async () =>
    (await handle.db.selectFrom('accounts').select('slug').orderBy('slug').execute()).map((row) => row.slug);

  it('answers a select during a transaction with the last commit, and a write after it', async () => {
    const steps: string[] = [];
    let commit!: () => void;
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const transaction = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('accounts').values(account('Inside', 'inside')).execute();
      // The transaction sees its own row.
      expect((await trx.selectFrom('accounts').select('slug').where('slug', '=', 'inside').execute()).length).toBe(1);
      opened();
      await held;
      steps.push('commit');
    });
    await open;
    // Not waiting for the commit: the read is answered now, without the uncommitted row.
    expect(await slugs()).toEqual(['before']);
    steps.push('read');
    // A write waits for the transaction to end.
    const write = handle.db
      .insertInto('accounts')
      .values(account('After', 'after'))
      .execute()
      .then(() => steps.push('write'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(steps).toEqual(['read']);
    commit();
    await Promise.all([transaction, write]);
    expect(steps).toEqual(['read', 'commit', 'write']);
    expect(await slugs()).toEqual(['after', 'before', 'inside']);
  });

  it('rolls back and lets the next writer in', async () => {
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('accounts').values(account('Gone', 'gone')).execute();
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    await handle.db.insertInto('accounts').values(account('Next', 'next')).execute();
    expect(await slugs()).toEqual(['after', 'before', 'inside', 'next']);
  });

  it('refuses writes on the reading connection, and sends statements it cannot read to the writing one', async () => {
    expect(() => handle.sqliteReader?.prepare("delete from accounts where slug = 'next'").run()).toThrow(/readonly/i);
    // A raw statement (which could write) is run on the writing connection.
    await sql`delete from accounts where slug = 'next'`.execute(handle.db);
    expect(await slugs()).toEqual(['after', 'before', 'inside']);
  });

  it('streams a select from the reading connection while a transaction is open', async () => {
    let commit!: () => void;
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const transaction = handle.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('accounts').where('slug', '=', 'after').execute();
      opened();
      await held;
    });
    await open;
    const streamed: string[] = [];
    for await (const row of handle.db.selectFrom('accounts').select('slug').orderBy('slug').stream()) {
      streamed.push(row.slug);
    }
    expect(streamed).toEqual(['after', 'before', 'inside']);
    commit();
    await transaction;
    expect(await slugs()).toEqual(['before', 'inside']);
  });

  it('uses one connection for an in-memory database', async () => {
    const memory = openDatabase(':memory:');
    try {
      expect(memory.sqliteReader).toBe(memory.sqlite);
      await migrateToLatest(memory);
      await memory.db
        .insertInto('accounts')
        .values({ name: 'Memory', slug: 'memory', default_time_zone: 'UTC', created_at: new Date().toISOString() })
        .execute();
      const rows = await memory.db.selectFrom('accounts').select('slug').execute();
      expect(rows.map((row) => row.slug)).toEqual(['memory']);
    } finally {
      await memory.close();
    }
  });
});
