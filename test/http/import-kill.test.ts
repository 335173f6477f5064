import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/index.js';
import { createEmptyDatabase, DIALECTS } from '../support/databases.js';

const run = promisify(execFile);
const ROSTER = 'bin/roster.js';

describe.each(DIALECTS)('an import killed mid-write (%s)', (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-kill-'));
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the account as it was before the import', { timeout: 120_000 }, async () => {
    const db = await createEmptyDatabase(dialect);
    cleanups.push(db.drop);
    await run('node', [
      ROSTER,
      'create-account',
      '--db',
      db.url,
      '--name',
      'Kill',
      '--slug',
      'kill',
      '--owner',
      'owner',
    ]);
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'before1,Before One\r\nbefore2,Before Two\r\n');
    await run('node', [ROSTER, 'import', small, '--db', db.url, '--account', 'kill']);

    const lines: string[] = [];
    for (let i = 0; i < 250_000; i++) lines.push(`killed${i},Killed User${i},k${i}@example.com`);
    const big = join(dir, 'big.csv');
    writeFileSync(big, `${lines.join('\r\n')}\r\n`);
    const child = spawn('node', [ROSTER, 'import', big, '--db', db.url, '--account', 'kill'], {
      env: { ...process.env, ROSTER_IMPORT_DIR: join(dir, 'staging') },
    });
    let stderr = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Kill once rows are being written inside the transaction.
        const writing = /writing \[[#-]+\] \d+% (\d+)\//.exec(stderr.split('\n').slice(-2).join('\n'));
        if (writing && Number(writing[1]) > 0 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      child.once('exit', () => resolve(false));
    });
    expect(killed, stderr).toBe(true);
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode ? resolve(null) : child.once('exit', resolve),
    );

    const handle = openDatabase(db.url);
    try {
      const account = await handle.db
        .selectFrom('accounts')
        .select('id')
        .where('slug', '=', 'kill')
        .executeTakeFirstOrThrow();
      const count = await handle.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(3);
      const facets = await handle.db
        .selectFrom('user_facets')
        .select((eb) => eb.fn.sum<number>('n').as('n'))
        .where('account_id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(Number(facets.n)).toBe(3);
      const credentials = await handle.db
        .selectFrom('user_credentials')
        .innerJoin('users', 'users.id', 'user_credentials.user_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('users.account_id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(Number(credentials.n)).toBe(3);
    } finally {
      await handle.close();
    }
  });
});
