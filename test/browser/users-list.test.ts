// The user directory in a real browser: search highlights, sorting, cursor paging, saved filters, CSV download.
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleHarness,
  createUsers,
  type NewUser,
  openConsole,
  parseCsv,
  screenshot,
  signIn,
} from './support.js';

const DEPARTMENTS = ['Support', 'Sales', 'Billing'];

/** 30 agents for paging, plus a few people with names worth searching for. */
const PEOPLE: NewUser[] = [
  ...Array.from({ length: 30 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return {
      username: `agent.${n}`,
      firstName: 'Agent',
      lastName: `Tester${n}`,
      email: `agent.${n}@callcenter.test`,
      phone: `+1 555 01${String(50 - i).padStart(2, '0')}`,
      department: DEPARTMENTS[i % DEPARTMENTS.length],
      enabled: i % 7 !== 3,
    };
  }),
  {
    username: 'john.smith',
    firstName: 'John',
    lastName: 'Smith',
    email: 'john.smith@example.com',
    department: 'Engineering',
    nicknames: ['Johnny'],
  },
  {
    username: 'jose.garcia',
    firstName: 'José',
    lastName: 'García',
    email: 'jose@example.com',
    department: 'Engineering',
  },
];

/** Usernames of the rows the table shows, top to bottom. */
async function tableUsernames(page: Page): Promise<string[]> {
  const subs = await page.locator('table[aria-label="Users"] tbody tr .contact__name + .contact__sub').allInnerTexts();
  return subs.map((text) => text.split('·')[0]?.trim() ?? '');
}

async function rangeText(page: Page): Promise<string> {
  return (await page.locator('.pager__range').textContent())?.trim() ?? '';
}

describe('user directory', { timeout: 90_000 }, () => {
  let h: ConsoleHarness;
  let total: number;

  beforeAll(async () => {
    h = await openConsole();
    await createUsers(h.server, PEOPLE);
    total = PEOPLE.length + 1; // and the owner
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('shows the total, and searches as you type with the matched parts highlighted', async () => {
    const { page } = h;
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await expect.poll(() => page.getByTestId('user-count').textContent()).toContain(String(total));
    await screenshot(page, 'users-list');

    await page.getByLabel('Search users').pressSequentially('jo smi', { delay: 30 });
    await expect.poll(() => tableUsernames(page)).toEqual(['john.smith']);
    const marks = await page.locator('table[aria-label="Users"] tbody tr').first().locator('mark').allInnerTexts();
    expect(marks).toContain('Jo');
    expect(marks).toContain('Smi');
    expect(new URL(page.url()).searchParams.get('q')).toBe('jo smi');
    await screenshot(page, 'users-search-highlight');

    // Accent-insensitive: "jose" finds José, and the highlight covers the accented letters.
    await page.getByLabel('Search users').fill('garc');
    await expect.poll(() => tableUsernames(page)).toEqual(['jose.garcia']);
    expect(await page.locator('table[aria-label="Users"] mark').first().textContent()).toBe('Garc');

    // Reload keeps the search (it lives in the URL).
    await page.reload();
    await expect.poll(() => page.getByLabel('Search users').inputValue()).toBe('garc');
    await expect.poll(() => tableUsernames(page)).toEqual(['jose.garcia']);
    await page.getByLabel('Search users').fill('');
    await expect.poll(() => page.locator('table[aria-label="Users"] tbody tr').count()).toBe(25);
  });

  it('pages through with First / Previous / Next / Last at 10 rows a page', async () => {
    const { page, server } = h;
    const all = (await (await server.api('/users?limit=500')).json()) as { items: { username: string }[] };
    const order = all.items.map((user) => user.username);
    expect(order).toHaveLength(total);

    await page.getByLabel('Rows per page').selectOption('10');
    await expect.poll(() => rangeText(page)).toBe(`Showing 1–10 of ${total}`);
    expect(await tableUsernames(page)).toEqual(order.slice(0, 10));
    const pagination = page.getByRole('navigation', { name: 'Pagination' });
    expect(await pagination.getByRole('button', { name: 'First' }).isDisabled()).toBe(true);
    expect(await pagination.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

    await pagination.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => rangeText(page)).toBe(`Showing 11–20 of ${total}`);
    expect(await tableUsernames(page)).toEqual(order.slice(10, 20));

    await pagination.getByRole('button', { name: 'Last' }).click();
    await expect.poll(() => tableUsernames(page)).toEqual(expect.arrayContaining([order[total - 1]]));
    const lastPage = await tableUsernames(page);
    expect(lastPage).toEqual(order.slice(total - lastPage.length));
    expect(await rangeText(page)).toBe(`Showing ${total - lastPage.length + 1}–${total} of ${total}`);
    expect(await pagination.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    expect(await pagination.getByRole('button', { name: 'Last' }).isDisabled()).toBe(true);
    await screenshot(page, 'users-last-page');

    await pagination.getByRole('button', { name: 'Previous' }).click();
    const start = total - lastPage.length - 10;
    await expect.poll(() => tableUsernames(page)).toEqual(order.slice(start, start + 10));
    expect(await rangeText(page)).toBe(`Showing ${start + 1}–${start + 10} of ${total}`);

    await pagination.getByRole('button', { name: 'First' }).click();
    await expect.poll(() => tableUsernames(page)).toEqual(order.slice(0, 10));
    expect(await rangeText(page)).toBe(`Showing 1–10 of ${total}`);
  });

  it('sorts by a column header and downloads exactly the filtered, sorted table as CSV', async () => {
    const { page } = h;
    await page.goto('/users?limit=50');
    await page.locator('button[aria-controls="user-filters"]').click();
    await page.getByLabel('Department').selectOption('Support');
    const numberHeader = page.getByRole('columnheader', { name: /Number/ });
    await numberHeader.getByRole('button').click();
    await expect.poll(() => numberHeader.getAttribute('aria-sort')).toBe('ascending');
    await numberHeader.getByRole('button').click();
    await expect.poll(() => numberHeader.getAttribute('aria-sort')).toBe('descending');
    await expect.poll(async () => new URL(page.url()).searchParams.get('order')).toBe('desc');

    const expected = PEOPLE.filter((p) => p.department === 'Support')
      .sort((a, b) => (b.phone ?? '').localeCompare(a.phone ?? ''))
      .map((p) => p.username);
    await expect.poll(() => tableUsernames(page)).toEqual(expected);
    await screenshot(page, 'users-filtered-sorted');

    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toContain('department=Support');
    expect(href).toContain('sort=phone');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const rows = parseCsv(await readFile(await download.path(), 'utf8')).filter((row) =>
      row.some((cell) => cell !== ''),
    );
    const header = rows[0] ?? [];
    expect(header[0]).toBe('Username');
    const usernames = rows.slice(1).map((row) => row[0]);
    expect(usernames).toEqual(await tableUsernames(page));
    // The server guards against spreadsheet formula injection by prefixing cells that start with + = - @ with '.
    const phoneColumn = header.indexOf('Phone');
    expect(rows.slice(1).map((row) => row[phoneColumn]?.replace(/^'/, ''))).toEqual(
      PEOPLE.filter((p) => p.department === 'Support')
        .map((p) => p.phone)
        .sort()
        .reverse(),
    );
  });

  it('saves a filter, applies it from the menu, makes it the default, and resets to default', async () => {
    const { page, server } = h;
    await page.goto('/users');
    await page.getByRole('button', { name: 'Filters', exact: true }).click();
    await page.getByLabel('Department').selectOption('Sales');
    await page.getByLabel('Enabled', { exact: true }).selectOption('false');
    const salesDisabled = PEOPLE.filter((p) => p.department === 'Sales' && p.enabled === false).map((p) => p.username);
    expect(salesDisabled.length).toBeGreaterThan(0);
    await expect.poll(async () => (await tableUsernames(page)).sort()).toEqual([...salesDisabled].sort());
    // Disabled users are shown apart.
    const firstRow = page.locator('table[aria-label="Users"] tbody tr').first();
    expect(await firstRow.getAttribute('class')).toContain('row--disabled');
    expect(await firstRow.getByText('Disabled', { exact: true }).count()).toBe(1);

    await page.getByRole('button', { name: 'Save filter' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save filter' });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Name is required').waitFor();
    await dialog.getByLabel('Filter name').fill('Disabled sales');
    await dialog.getByLabel('Use as default').check();
    await screenshot(page, 'users-save-filter');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Filter “Disabled sales” saved as your default.').waitFor();

    await page.goto('/users');
    // The default filter is applied when the page opens without parameters.
    await expect.poll(() => new URL(page.url()).searchParams.get('department')).toBe('Sales');
    await expect.poll(async () => (await tableUsernames(page)).sort()).toEqual([...salesDisabled].sort());

    // Reset to default goes back to the default view, which stays the default.
    await page.locator('button[aria-controls="user-filters"]').click();
    await page.getByLabel('Department').selectOption('Support');
    await expect.poll(() => new URL(page.url()).searchParams.get('department')).toBe('Support');
    await page.getByRole('button', { name: 'Reset to default' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('department')).toBe('Sales');
    await expect.poll(async () => (await tableUsernames(page)).sort()).toEqual([...salesDisabled].sort());
    expect(((await (await server.api('/saved-filters')).json()) as { items: { isDefault: boolean }[] }).items).toEqual([
      expect.objectContaining({ isDefault: true }),
    ]);
    const saved = ((await (await server.api('/saved-filters')).json()) as { items: { id: number }[] }).items[0];
    await server.api(`/saved-filters/${saved?.id}`, { method: 'PATCH', body: { isDefault: false } });

    // No default any more: opening the page shows everyone; the menu still applies the filter.
    await page.goto('/users');
    await expect.poll(() => page.locator('table[aria-label="Users"] tbody tr').count()).toBe(25);
    await page.getByRole('button', { name: /Saved filters/ }).click();
    await screenshot(page, 'users-saved-filters-menu');
    await page.getByRole('button', { name: 'Disabled sales', exact: true }).click();
    await expect.poll(async () => (await tableUsernames(page)).sort()).toEqual([...salesDisabled].sort());
    expect(new URL(page.url()).searchParams.get('enabled')).toBe('false');

    // Deleting it from the menu removes it.
    await page.getByRole('button', { name: /Saved filters/ }).click();
    await page.getByRole('button', { name: 'Delete saved filter Disabled sales' }).click();
    await expect
      .poll(async () => ((await (await server.api('/saved-filters')).json()) as { items: unknown[] }).items.length)
      .toBe(0);
  });

  it('filters by team and by license, and the count follows', async () => {
    const { page, server } = h;
    const post = async (path: string, body: unknown) => {
      const response = await server.api(path, { method: 'POST', body });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: number };
    };
    const all = (await (await server.api('/users?limit=500&sort=username')).json()) as {
      items: { id: number; username: string }[];
    };
    const id = (username: string) => all.items.find((user) => user.username === username)?.id as number;
    const sales = await post('/groups', { name: 'Sales' });
    const inbound = await post('/groups', { name: 'Inbound', parentId: sales.id });
    for (const username of ['agent.01', 'agent.02', 'agent.03']) {
      await post(`/users/${id(username)}/teams`, { groupId: inbound.id });
    }
    for (const username of ['agent.02', 'agent.03', 'agent.04', 'john.smith']) {
      await post(`/users/${id(username)}/licenses`, { application: 'call_tracking' });
    }

    await page.goto('/users');
    await expect.poll(() => rangeText(page)).toBe(`Showing 1–25 of ${total}`);
    await page.getByRole('button', { name: 'Filters', exact: true }).click();
    await page.getByLabel('License').selectOption({ label: 'Call Tracking' });
    await expect.poll(() => rangeText(page)).toBe('Showing 1–4 of 4');
    expect((await tableUsernames(page)).sort()).toEqual(['agent.02', 'agent.03', 'agent.04', 'john.smith']);
    expect(new URL(page.url()).searchParams.get('license')).toBe('call_tracking');

    // Teams are named by their path in the tree.
    await page.getByLabel('Team').selectOption({ label: 'Sales / Inbound' });
    await expect.poll(() => rangeText(page)).toBe('Showing 1–2 of 2');
    expect((await tableUsernames(page)).sort()).toEqual(['agent.02', 'agent.03']);
    // Two filters are on.
    expect(await page.locator('button[aria-controls="user-filters"] .pill').textContent()).toBe('2');
    await screenshot(page, 'users-team-license-filter');
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toContain(`groupId=${inbound.id}`);
    expect(href).toContain('license=call_tracking');

    // The save dialog says what it would keep.
    await page.getByRole('button', { name: 'Save filter' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save filter' });
    await dialog.getByText('team Sales / Inbound · license Call Tracking').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Reset to default' }).click();
    await expect.poll(() => rangeText(page)).toBe(`Showing 1–25 of ${total}`);
    expect(new URL(page.url()).search).toBe('');
  });
});
