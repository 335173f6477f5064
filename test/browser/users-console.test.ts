// What a first-time admin hit in the user list: exports that damaged phones, pages that did not line up or survive a
// reload, Reset to default that dropped the default, a table wider than the screen, look-alike departments and Agent
// IDs, and profile departments typed by hand.
import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
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

/** 30 agents (31 users with the owner): 10 a page leaves one row on the last page. */
const AGENTS: NewUser[] = Array.from({ length: 30 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return {
    username: `agent.${n}`,
    firstName: 'Agent',
    lastName: `Tester${n}`,
    email: `agent.${n}@callcenter.test`,
    phone: i % 2 === 0 ? `+34 612 34 56 ${n}` : `+52 (55) 1234-56${n}`,
    department: i % 3 === 0 ? 'Ventas' : 'Customer Care Operations',
  };
});

const rows = (page: Page) => page.locator('table[aria-label="Users"] tbody tr');
const rangeText = async (page: Page) => (await page.locator('.pager__range').textContent())?.trim() ?? '';

async function usernames(page: Page): Promise<string[]> {
  const subs = await page.locator('table[aria-label="Users"] tbody tr .contact__name + .contact__sub').allInnerTexts();
  return subs.map((text) => text.split('·')[0]?.trim() ?? '');
}

/** Whether anything of the page is wider than the window (a horizontal scroll bar, on the page or in the table). */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const scroller = document.querySelector('.table-scroll') as HTMLElement;
    return {
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      table: scroller.scrollWidth - scroller.clientWidth,
    };
  });
}

describe('user list, as a first-time admin meets it', { timeout: 120_000 }, () => {
  let h: ConsoleHarness;
  let order: string[];

  beforeAll(async () => {
    h = await openConsole();
    const created = await createUsers(h.server, AGENTS);
    // Licenses of every application on a few agents: the widest rows the table can have.
    for (const [index, user] of created.slice(0, 6).entries()) {
      for (const application of ['chat', 'call_recording', 'voice_analytics', 'quality_management', 'call_tracking']) {
        if (index > 2 && application === 'voice_analytics') continue;
        const response = await h.server.api(`/users/${user.id}/licenses`, { method: 'POST', body: { application } });
        if (!response.ok && response.status !== 409) throw new Error(`${application}: ${await response.text()}`);
      }
    }
    const all = (await (await h.server.api('/users?limit=500')).json()) as { items: { username: string }[] };
    order = all.items.map((user) => user.username);
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('pages at 10 a page aligned from both ends, and keeps the page in the address', async () => {
    const { page } = h;
    expect(order).toHaveLength(31);
    await page.goto('/users?limit=10');
    await expect.poll(() => rangeText(page)).toBe('Showing 1–10 of 31');
    const pagination = page.getByRole('navigation', { name: 'Pagination' });

    await pagination.getByRole('button', { name: 'Last' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 31–31 of 31');
    expect(await usernames(page)).toEqual(order.slice(30));
    expect(new URL(page.url()).searchParams.get('page')).toBe('last');
    await screenshot(page, 'users-paging-last');

    const expected = [
      ['Showing 21–30 of 31', 20],
      ['Showing 11–20 of 31', 10],
      ['Showing 1–10 of 31', 0],
    ] as const;
    for (const [range, start] of expected) {
      await pagination.getByRole('button', { name: 'Previous' }).click();
      await expect.poll(() => rangeText(page)).toBe(range);
      expect(await usernames(page)).toEqual(order.slice(start, start + 10));
    }
    expect(await pagination.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

    // Next twice, then a reload and a shared link show the same page under the same numbers.
    await pagination.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 11–20 of 31');
    await pagination.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 21–30 of 31');
    expect(new URL(page.url()).searchParams.get('page')).toBe('3');
    const link = page.url();
    await page.reload();
    await expect.poll(() => rangeText(page)).toBe('Showing 21–30 of 31');
    expect(await usernames(page)).toEqual(order.slice(20, 30));
    const other = await h.context.newPage();
    await other.goto(link);
    await expect.poll(() => rangeText(other)).toBe('Showing 21–30 of 31');
    await other.close();
    // Back in the browser returns to the page before.
    await page.goBack();
    await expect.poll(() => rangeText(page)).toBe('Showing 11–20 of 31');

    // The last page reloads as the last page; Previous from there is page 3.
    await pagination.getByRole('button', { name: 'Last' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 31–31 of 31');
    await page.reload();
    await expect.poll(() => rangeText(page)).toBe('Showing 31–31 of 31');
    await pagination.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 21–30 of 31');
    expect(new URL(page.url()).searchParams.get('page')).toBe('3');

    // Changing the list (the page size) starts again at its first page.
    await page.getByLabel('Rows per page').selectOption('25');
    await expect.poll(() => rangeText(page)).toBe('Showing 1–25 of 31');
    expect(new URL(page.url()).searchParams.get('page')).toBeNull();
    await pagination.getByRole('button', { name: 'Last' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 26–31 of 31');
  });

  it('exports phones as they are, and XLSX dates as dates', async () => {
    const { page, server } = h;
    const agent = AGENTS[0] as NewUser;
    const id = ((await (await server.api(`/users?q=${agent.username}`)).json()) as { items: { id: number }[] }).items[0]
      ?.id;
    await server.api(`/users/${id}`, { method: 'PATCH', body: { validFrom: '2026-02-01T09:00:00.000Z' } });
    await page.goto('/users?sort=username');
    await rows(page).first().waitFor();
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const csv = parseCsv(await readFile(await csvDownload.path(), 'utf8')).filter((row) => row.length > 1);
    const header = csv[0] as string[];
    const phones = new Map(csv.slice(1).map((row) => [row[0], row[header.indexOf('Phone')]]));
    for (const person of AGENTS) expect(phones.get(person.username)).toBe(person.phone);

    const [xlsxDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'XLSX download' }).click(),
    ]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await readFile(await xlsxDownload.path())) as never);
    const sheet = book.worksheets[0] as ExcelJS.Worksheet;
    const columns: string[] = [];
    sheet.getRow(1).eachCell((cell) => {
      columns.push(cell.text);
    });
    let found = 0;
    sheet.eachRow((row, number) => {
      if (number === 1) return;
      const username = row.getCell(1).text;
      const person = AGENTS.find((p) => p.username === username);
      if (!person) return;
      found++;
      expect(row.getCell(columns.indexOf('Phone') + 1).text).toBe(person.phone);
      expect(row.getCell(columns.indexOf('Created') + 1).type).toBe(ExcelJS.ValueType.Date);
      if (username === agent.username) {
        const validFrom = row.getCell(columns.indexOf('Valid from') + 1);
        expect(validFrom.type).toBe(ExcelJS.ValueType.Date);
        expect((validFrom.value as Date).toISOString()).toBe('2026-02-01T09:00:00.000Z');
      }
    });
    expect(found).toBe(AGENTS.length);
  });

  it('shows licenses as named icons, lets the admin choose columns, and fits 1440 and 1280 px', async () => {
    const { page } = h;
    await page.goto('/users?sort=username');
    await rows(page).first().waitFor();
    const licensed = rows(page).filter({ hasText: 'agent.01' });
    const icons = licensed.locator('.license-icon');
    await expect.poll(() => icons.count()).toBe(5);
    expect(await icons.first().getAttribute('title')).toBe('Smartflows (Chat routing)');
    expect(await licensed.getByRole('img', { name: 'Call Recording' }).count()).toBe(1);
    expect(await licensed.getByRole('img', { name: 'Voice Analytics' }).count()).toBe(1);
    // The default columns: Authentication is one click away in the Columns menu.
    expect(await page.getByRole('columnheader', { name: /Authentication/ }).count()).toBe(0);
    for (const width of [1440, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForFunction(() => window.innerWidth > 0);
      await screenshot(page, `users-${width}`);
      const widths = await page
        .locator('table[aria-label="Users"] thead th')
        .evaluateAll((ths) => ths.map((th) => `${th.textContent}:${Math.round(th.getBoundingClientRect().width)}`));
      expect(await overflow(page), `${width} px: ${widths.join(' ')}`).toEqual({ page: 0, table: 0 });
      // Icons sit on one line: a row with five licenses is no taller than a row without any.
      const heights = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
      expect(Math.max(...heights) - Math.min(...heights), `${width} px: ${heights.join(', ')}`).toBeLessThan(1);
      // The toolbar stays on one line.
      const tops = await page.locator('.toolbar > *').evaluateAll((items) =>
        items.map((item) => {
          const box = item.getBoundingClientRect();
          return Math.round(box.top + box.height / 2);
        }),
      );
      expect(new Set(tops).size, `${width} px toolbar rows`).toBe(1);
    }

    // Columns are chosen in the menu, and the choice outlives a reload.
    await page.getByRole('button', { name: /Columns/ }).click();
    const menu = page.getByRole('group', { name: 'Show columns' });
    expect(await menu.getByLabel('Authentication').isChecked()).toBe(false);
    await menu.getByLabel('Authentication').check();
    await menu.getByLabel('Access type').uncheck();
    await screenshot(page, 'users-columns-menu');
    expect(await page.getByRole('columnheader', { name: /Authentication/ }).count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: /Access type/ }).count()).toBe(0);
    await page.reload();
    await rows(page).first().waitFor();
    expect(await page.getByRole('columnheader', { name: /Authentication/ }).count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: /Access type/ }).count()).toBe(0);
    expect(await page.getByRole('columnheader', { name: /Licenses/ }).count()).toBe(1);
    expect(await rows(page).first().locator('td').count()).toBe(7);
    expect(await overflow(page)).toEqual({ page: 0, table: 0 });
    await screenshot(page, 'users-columns-chosen');
    await page.getByRole('button', { name: /Columns/ }).click();
    await page.getByRole('button', { name: 'Default columns' }).click();
    expect(await page.getByRole('columnheader', { name: /Authentication/ }).count()).toBe(0);
    expect(await page.getByRole('columnheader', { name: /Access type/ }).count()).toBe(1);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('saves a default view and Reset to default applies it, keeping it the default', async () => {
    const { page, server } = h;
    await page.goto('/users');
    await page.getByRole('button', { name: 'Filters', exact: true }).click();
    await page.getByLabel('Department').selectOption('Ventas');
    await expect.poll(() => rangeText(page)).toBe('Showing 1–10 of 10');
    await page.getByRole('button', { name: 'Save filter' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save filter' });
    await dialog.getByLabel('Filter name').fill('Ventas');
    await dialog.getByLabel('Use as default').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Filter “Ventas” saved as your default.').waitFor();

    await page.getByLabel('Department').selectOption('Customer Care Operations');
    await page.getByLabel('Search users').fill('agent.02');
    await expect.poll(() => rangeText(page)).toBe('Showing 1–1 of 1');
    await page.getByRole('button', { name: 'Reset to default' }).click();
    await expect.poll(() => rangeText(page)).toBe('Showing 1–10 of 10');
    expect(new URL(page.url()).searchParams.get('department')).toBe('Ventas');
    expect(await page.getByLabel('Search users').inputValue()).toBe('');
    const saved = (await (await server.api('/saved-filters')).json()) as { items: { isDefault: boolean }[] };
    expect(saved.items).toEqual([expect.objectContaining({ name: 'Ventas', isDefault: true })]);
    await screenshot(page, 'users-reset-to-default');
    // Opening the list again still starts from it.
    await page.goto('/users');
    await expect.poll(() => new URL(page.url()).searchParams.get('department')).toBe('Ventas');
  });

  it('files "ventas" under Ventas, refuses a second user of an Agent ID, and picks profile departments', async () => {
    const { page, server } = h;
    const ids = (
      (await (await server.api('/users?limit=500&sort=username')).json()) as {
        items: { id: number; username: string }[];
      }
    ).items;
    const idOf = (username: string) => ids.find((user) => user.username === username)?.id as number;
    await server.api(`/users/${idOf('agent.01')}`, { method: 'PATCH', body: { agentId: 'AG-7' } });

    await page.goto(`/users/${idOf('agent.02')}`);
    const department = page.getByLabel('Department', { exact: true });
    await department.fill('ventas');
    await page.getByLabel('Agent ID').fill('AG-7');
    await page.getByRole('button', { name: 'Save changes' }).first().click();
    const agentField = page.locator('.field', { has: page.getByLabel('Agent ID') });
    await agentField.getByText('Already the Agent ID of agent.01').waitFor();
    await agentField.scrollIntoViewIfNeeded();
    await screenshot(page, 'user-agent-id-taken');
    await page.getByLabel('Agent ID').fill('AG-8');
    await page.getByRole('button', { name: 'Save changes' }).first().click();
    await expect
      .poll(
        async () => ((await (await server.api(`/users/${idOf('agent.02')}`)).json()) as { agentId: string }).agentId,
      )
      .toBe('AG-8');
    const saved = (await (await server.api(`/users/${idOf('agent.02')}`)).json()) as { department: string };
    expect(saved.department).toBe('Ventas');
    const departments = (await (await server.api('/departments')).json()) as { items: { name: string }[] };
    expect(departments.items.map((d) => d.name)).toEqual(['Customer Care Operations', 'Ventas']);

    // A profile's Users module picks among the account's departments: nothing to mistype.
    await page.goto('/profiles');
    await page.getByRole('button', { name: /Create profile/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Create profile' });
    await dialog.getByLabel('Name', { exact: true }).fill('Ventas leads');
    await dialog.getByLabel('Users access').selectOption('some');
    const picker = dialog.getByRole('group', { name: /Departments/ });
    expect(await picker.getByRole('checkbox').count()).toBe(2);
    await picker.getByLabel('Ventas').check();
    await screenshot(page, 'profile-department-picker');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const profiles = (await (await server.api('/profiles')).json()) as {
      items: { name: string; modules: { users: { access: string; items: string[] } } }[];
    };
    expect(profiles.items.find((p) => p.name === 'Ventas leads')?.modules.users).toEqual({
      access: 'some',
      items: ['Ventas'],
    });
  });
});
