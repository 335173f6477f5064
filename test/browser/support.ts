// Browser-test helpers: a real Roster server with the built console, a headless Chromium, sign-in and screenshots.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { Config } from '../../server/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

export interface ConsoleHarness {
  server: TestServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Starts a fresh server (own database) and a browser page pointed at it. */
export async function openConsole(config: Partial<Config> = {}): Promise<ConsoleHarness> {
  const server = await startTestServer({ config });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return {
    server,
    browser,
    context,
    page,
    close: async () => {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}

/** Signs in through the form as the given user (the owner by default) and waits for the console. */
export async function signIn(
  page: Page,
  server: TestServer,
  username = server.ownerUsername,
  password = server.ownerPassword,
) {
  await page.goto('/');
  await submitSignIn(page, username, password);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Fills the sign-in form the page shows and submits it, without waiting for what comes next. */
export async function submitSignIn(page: Page, username: string, password: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function screenshot(page: Page, name: string, fullPage = false) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage });
}

export type NewUser = {
  username: string;
  firstName: string;
  lastName?: string;
  email?: string;
  phone?: string;
  department?: string;
  accessType?: string;
  enabled?: boolean;
  nicknames?: string[];
  password?: string;
  temporaryPassword?: boolean;
  sendInvitation?: boolean;
  profileId?: number;
};

/** Creates users through the API as the owner; fails loudly if the server refuses one. */
export async function createUsers(server: TestServer, users: NewUser[]): Promise<{ id: number; username: string }[]> {
  const created: { id: number; username: string }[] = [];
  for (const user of users) {
    const response = await server.api('/users', { method: 'POST', body: user });
    if (response.status !== 201)
      throw new Error(`creating ${user.username}: ${response.status} ${await response.text()}`);
    created.push((await response.json()) as { id: number; username: string });
  }
  return created;
}

/** Parses the simple CSV the export produces (quoted fields, "" escapes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (quoted) {
      if (char === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && body[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
