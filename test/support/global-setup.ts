// Starts one real PostgreSQL server for the whole test run (or uses ROSTER_TEST_PG_URL); each test file gets its
// own database. The server runs in a child process (see pg-server.ts).
import { spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const given = process.env.ROSTER_TEST_PG_URL;
  if (given) {
    project.provide('pgAdminUrl', given);
    return;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/pg-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the PostgreSQL test server exited (${code}) before it was ready`)));
  });
  project.provide('pgAdminUrl', url);
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
}
