// In-process HTTP tests: the real app and a real database, a fresh account per test (factories, no shared state).
// Every response is checked against the operation's OpenAPI description (status and body schema): a response that
// breaks it fails the test that made the request.
import { createApp } from '../../server/app.js';
import { type Config, loadConfig } from '../../server/config.js';
import { type Clock, createContext } from '../../server/context.js';
import type { Dialect } from '../../server/db/dialect.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export const PASSWORD = 'Test-pass-2026!';

export interface Client {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  get(path: string): Promise<Reply>;
  post(path: string, body?: unknown): Promise<Reply>;
  patch(path: string, body?: unknown): Promise<Reply>;
  del(path: string): Promise<Reply>;
  csrfToken: string;
  cookie: string;
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are read loosely.
  body: any;
  text: string;
  headers: Headers;
}

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private at = new Date('2026-06-01T09:00:00Z')) {}
  now() {
    return new Date(this.at);
  }
  advance(ms: number) {
    this.at = new Date(this.at.getTime() + ms);
  }
}

/** The server's account of a response that broke its documented contract (see server/http/response-contract). */
export function responseMismatch(status: number, body: unknown): string | null {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return status === 500 && error?.code === 'ResponseMismatch' ? String(error.message) : null;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}${process.pid}x${++counter}`;

export async function createHarness(dialect: Dialect, config: Partial<Config> = {}) {
  const database: TestDatabase = await createTestDatabase(dialect);
  const clock = new TestClock();
  const ctx = createContext(
    { ...loadConfig({}), databaseUrl: database.url, checkResponses: true, ...config },
    database.handle,
    clock,
  );
  const app = createApp(ctx);

  async function raw(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await app.request(`/api/v1${path}`, init);
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    const mismatch = responseMismatch(response.status, parsed);
    if (mismatch) throw new Error(`${method} ${path}: the response does not match the API's description: ${mismatch}`);
    return { status: response.status, body: parsed, text, headers: response.headers };
  }

  async function signIn(account: string, username: string, password: string): Promise<Client> {
    const reply = await raw('POST', '/auth/sign-in', { account, username, password });
    if (reply.status !== 200) throw new Error(`sign-in failed: ${reply.status} ${reply.text}`);
    const cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrfToken = reply.body.csrfToken as string;
    const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      raw(method, path, body, { cookie, 'x-csrf-token': csrfToken, ...headers });
    return {
      request,
      get: (path) => request('GET', path),
      post: (path, body) => request('POST', path, body ?? {}),
      patch: (path, body) => request('PATCH', path, body ?? {}),
      del: (path) => request('DELETE', path),
      csrfToken,
      cookie,
    };
  }

  /** A new account whose owner has chosen a password; returns the owner's signed-in client. */
  async function newAccount(name = unique('Account ')) {
    const created = await ctx.accounts.create({ name, owner: { username: 'owner', email: 'owner@example.com' } });
    const pending = await signIn(created.account.slug, 'owner', created.oneTimePassword);
    const changed = await pending.post('/auth/change-password', {
      currentPassword: created.oneTimePassword,
      newPassword: PASSWORD,
    });
    if (changed.status !== 200) throw new Error(`password change failed: ${changed.text}`);
    const owner = await signIn(created.account.slug, 'owner', PASSWORD);
    return { slug: created.account.slug, accountId: created.account.id, owner };
  }

  /** Creates a user through the API and returns the user object. */
  async function buildUser(client: Client, overrides: Record<string, unknown> = {}) {
    const reply = await client.post('/users', {
      username: unique('user'),
      firstName: 'Test',
      lastName: 'User',
      ...overrides,
    });
    if (reply.status !== 201) throw new Error(`user creation failed: ${reply.status} ${reply.text}`);
    return reply.body;
  }

  return {
    ctx,
    app,
    db: database.handle.db,
    clock,
    raw,
    signIn,
    newAccount,
    buildUser,
    close: async () => {
      // The sync thread holds a connection of its own.
      await ctx.directorySync.stop();
      await database.drop();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;
