// A fresh, migrated database per test file, on SQLite or PostgreSQL, so tests never share state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { Dialect } from '../../server/db/dialect.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../server/db/index.js';

export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  url: string;
  handle: DatabaseHandle;
  drop(): Promise<void>;
}

/** Creates an empty database of the dialect and returns its URL, and how to drop it. */
export async function createEmptyDatabase(dialect: Dialect): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'roster-test-'));
    return { url: join(dir, 'roster.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = inject('pgAdminUrl');
  const name = `roster_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const empty = await createEmptyDatabase(dialect);
  const handle = openDatabase(empty.url, { poolSize: 5 });
  await migrateToLatest(handle);
  return {
    url: empty.url,
    handle,
    drop: async () => {
      await handle.close();
      await empty.drop();
    },
  };
}
