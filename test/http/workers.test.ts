import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { type Running, startServer } from '../../server/main.js';
import { createEmptyDatabase, DIALECTS } from '../support/databases.js';
import { signedInClient } from '../support/server.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, what: string, ms = 20_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(DIALECTS)('serving from several processes (%s)', (dialect) => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let running: Running;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await createEmptyDatabase(dialect);
    running = await startServer(
      { ...loadConfig({}), databaseUrl: database.url, host: '127.0.0.1', port: 0, workers: 2 },
      (line) => lines.push(line),
    );
  });
  afterAll(async () => {
    await running?.close();
    await database?.drop();
  });

  it('serves the console and the API from every worker, on one port, and replaces a worker that dies', async () => {
    const pids = running.servingPids();
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(process.pid);
    expect(lines[0]).toMatch(/^Roster is running: open http:\/\/127\.0\.0\.1:\d+ \(2 serving processes\)$/);
    const first = running.firstAccount;
    if (!first) throw new Error('expected a first account');

    // A session made in one process is valid in the other: sessions live in the database.
    const { api } = await signedInClient(running.url, first.slug, first.ownerUsername, first.oneTimePassword);
    const changed = await api('/auth/change-password', {
      method: 'POST',
      body: { currentPassword: first.oneTimePassword, newPassword: 'An0ther-horse-battery' },
    });
    expect(changed.status).toBe(200);
    const owner = await signedInClient(running.url, first.slug, first.ownerUsername, 'An0ther-horse-battery');
    const created = await owner.api('/users', {
      method: 'POST',
      body: { username: 'ada', firstName: 'Ada', lastName: 'Lovelace', accessType: 'standard' },
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 10; i++) {
      // New connections each time, so both workers answer some.
      const list = await owner.api('/users?q=ada', { headers: { connection: 'close' } });
      expect(list.status).toBe(200);
      expect((await list.json()).items.map((u: { username: string }) => u.username)).toEqual(['ada']);
    }

    const [victim] = pids as [number];
    process.kill(victim, 'SIGKILL');
    await until(() => running.servingPids().length === 2 && !running.servingPids().includes(victim), 'a new worker');
    expect(lines.some((line) => line.includes(`serving process ${victim} exited (SIGKILL); starting another`))).toBe(
      true,
    );
    for (let i = 0; i < 4; i++) {
      const again = await owner.api('/users', { headers: { connection: 'close' } });
      expect(again.status).toBe(200);
    }

    const last = running.servingPids();
    await running.close();
    await until(() => last.every((pid) => !alive(pid)), 'the workers to stop');
    running = { ...running, close: async () => {} };
  });
});
