// A real Roster server on a free port with a fresh database and an owner who has chosen their password.
import { createServer } from 'node:net';
import { type Config, loadConfig } from '../../server/config.js';
import type { Dialect } from '../../server/db/dialect.js';
import { startServer } from '../../server/main.js';
import { createEmptyDatabase } from './databases.js';

export const OWNER_PASSWORD = 'Tr0ub4dor&3-horse';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface TestServer {
  url: string;
  ownerUsername: string;
  ownerPassword: string;
  accountSlug: string;
  /** Calls the API as the owner (cookie + CSRF handled); JSON bodies may be passed as objects. */
  api: (path: string, init?: Omit<RequestInit, 'body'> & { body?: unknown }) => Promise<Response>;
  close(): Promise<void>;
}

/** Signs in and returns a fetch that carries the session cookie and CSRF token. */
export async function signedInClient(url: string, account: string, username: string, password: string) {
  const response = await fetch(`${url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account, username, password }),
  });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const session = (await response.json()) as { csrfToken: string; requiredActions: string[] };
  const api: TestServer['api'] = (path, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('cookie', cookie);
    headers.set('x-csrf-token', session.csrfToken);
    let body = init.body as BodyInit | undefined;
    if (init.body !== undefined && typeof init.body !== 'string') {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.body);
    } else if (typeof init.body === 'string' && !headers.has('content-type')) {
      headers.set('content-type', 'application/json');
    }
    return fetch(`${url}/api/v1${path}`, { ...init, headers, body });
  };
  return { api, session, cookie };
}

export async function startTestServer(options: { db?: Dialect; config?: Partial<Config> } = {}): Promise<TestServer> {
  const database = await createEmptyDatabase(options.db ?? 'sqlite');
  const config = {
    ...loadConfig({}),
    databaseUrl: database.url,
    port: await freePort(),
    host: '127.0.0.1',
    ...options.config,
  };
  const running = await startServer(config, () => {});
  const first = running.firstAccount;
  if (!first) throw new Error('expected a first account');
  const pending = await signedInClient(running.url, first.slug, first.ownerUsername, first.oneTimePassword);
  const changed = await pending.api('/auth/change-password', {
    method: 'POST',
    body: { currentPassword: first.oneTimePassword, newPassword: OWNER_PASSWORD },
  });
  if (!changed.ok) throw new Error(`password change failed: ${await changed.text()}`);
  const owner = await signedInClient(running.url, first.slug, first.ownerUsername, OWNER_PASSWORD);
  return {
    url: running.url,
    ownerUsername: first.ownerUsername,
    ownerPassword: OWNER_PASSWORD,
    accountSlug: first.slug,
    api: owner.api,
    close: async () => {
      await running.close();
      await database.drop();
    },
  };
}
