import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../support/databases.js';

const run = promisify(execFile);
const ROSTER = ['bin/roster.js'];

describe('roster command line', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('migrates, creates an account with its owner, and refuses a duplicate', { timeout: 120_000 }, async () => {
    const db = await createEmptyDatabase('sqlite');
    cleanups.push(db.drop);
    const migrated = await run('node', [...ROSTER, 'migrate', '--db', db.url]);
    expect(migrated.stdout).toMatch(/Applied 0001-directory/);
    const created = await run('node', [
      ...ROSTER,
      'create-account',
      '--db',
      db.url,
      '--name',
      'Acme Corp',
      '--owner',
      'Alice',
    ]);
    expect(created.stdout).toMatch(/Created account "Acme Corp" \(sign-in account: acme-corp\)/);
    expect(created.stdout).toMatch(/Owner: alice, one-time password: \S{16}/);
    const again = await run('node', [
      ...ROSTER,
      'create-account',
      '--db',
      db.url,
      '--name',
      'Acme Corp',
      '--owner',
      'bob',
    ]).catch((error: { code: number; stderr: string }) => error);
    expect((again as { code: number }).code).toBe(1);
    expect((again as { stderr: string }).stderr).toMatch(/already exists/);
    // Scorer is given through the command line (or the API), never the console; the owner stays an admin.
    const file = join(dirname(db.url), 'agents.csv');
    writeFileSync(file, 'sam,Sam Scorer\n');
    await run('node', [...ROSTER, 'import', file, '--account', 'acme-corp', '--db', db.url]);
    const setAccess = (username: string, type: string) =>
      run('node', [...ROSTER, 'set-access', username, '--access-type', type, '--account', 'acme-corp', '--db', db.url]);
    const failed = (error: { code: number; stderr: string }) => error;
    expect((await setAccess('sam', 'scorer')).stdout).toMatch(/sam is now Scorer/);
    expect(((await setAccess('alice', 'scorer').catch(failed)) as { stderr: string }).stderr).toMatch(
      /The owner stays an admin/,
    );
    expect(((await setAccess('sam', 'root').catch(failed)) as { stderr: string }).stderr).toMatch(
      /--access-type is one of: admin, standard/,
    );
    // With ROSTER_LOCKOUT_MINUTES=0 a lock lasts until lifted: `roster unlock` lifts it, the owner's too.
    const sqlite = new Database(db.url);
    sqlite.prepare(`update users set locked_until = '9999-12-31T00:00:00.000Z', failed_sign_ins = 5`).run();
    const unlock = (username: string) =>
      run('node', [...ROSTER, 'unlock', username, '--account', 'acme-corp', '--db', db.url]);
    expect((await unlock('alice')).stdout).toMatch(/alice is unlocked/);
    expect((await unlock('SAM')).stdout).toMatch(/sam is unlocked/);
    const locked = sqlite.prepare('select count(*) as n from users where locked_until is not null').get() as {
      n: number;
    };
    expect(locked.n).toBe(0);
    const audited = sqlite.prepare(`select count(*) as n from audit_events where action = 'user.unlock'`).get() as {
      n: number;
    };
    expect(audited.n).toBe(2);
    sqlite.close();
    expect(((await unlock('nobody').catch(failed)) as { stderr: string }).stderr).toMatch(/No user "nobody"/);
    const usage = await run('node', [...ROSTER, 'frobnicate']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((usage as { stderr: string }).stderr).toMatch(/Unknown command: frobnicate/);
  });

  it('serves, printing where to open the console and how the owner signs in', async () => {
    const db = await createEmptyDatabase('sqlite');
    cleanups.push(db.drop);
    const child = spawn('node', [...ROSTER, 'serve', '--db', db.url, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start banner: ${out}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/this one is shown only now/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const url = /open (http:\/\/\S+)/.exec(out)?.[1] as string;
    const password = /one-time password (\S+)/.exec(out)?.[1] as string;
    expect(out).toMatch(/account "default", username "owner"/);
    const reply = await fetch(`${url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'owner', password }),
    });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as { requiredActions: string[] }).requiredActions).toEqual(['update_password']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
});
