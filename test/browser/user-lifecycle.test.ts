// Create (step by step, mandatory fields flagged), edit, delete with a cancellable confirmation, and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, createUsers, openConsole, screenshot, signIn } from './support.js';

describe('user lifecycle', { timeout: 90_000 }, () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await openConsole();
    await createUsers(h.server, [
      { username: 'taken.name', firstName: 'Already', lastName: 'There' },
      { username: 'remove.me', firstName: 'Remove', lastName: 'Me', department: 'Support' },
    ]);
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('flags missing mandatory fields, shows a server conflict at its field, then creates the user', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'Create user' }).waitFor();

    await page.getByRole('button', { name: 'Next' }).click();
    const summary = page.getByRole('alert');
    await summary.getByText('2 fields need your attention').waitFor();
    expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('First name').getAttribute('aria-invalid')).toBe('true');
    await page.locator('.field__error', { hasText: 'Username is required' }).waitFor();
    await page.locator('.field__error', { hasText: 'First name is required' }).waitFor();
    await screenshot(page, 'create-user-errors');

    // An invalid email is caught by the same shared schema.
    await page.getByLabel('Username').fill('Taken.Name');
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    await page.getByLabel('Email').fill('grace@');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('.field__error', { hasText: 'Enter a valid email address' }).waitFor();
    await page.getByLabel('Email').fill('grace.hopper@example.com');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: /Step 2 of 4/ }).waitFor();
    await page.getByLabel('Number').fill('+1 555 0199');
    await page.getByLabel('Department').fill('Engineering');
    const accessOptions = await page.getByLabel('Access type').locator('option').allInnerTexts();
    expect(accessOptions).not.toContain('Scorer');
    await page.getByLabel('Access type').selectOption('admin');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: /Step 3 of 4/ }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: /Step 4 of 4/ }).waitFor();
    await screenshot(page, 'create-user-review');
    await page.getByRole('button', { name: 'Create user' }).click();

    // The username is taken: the console jumps back to step 1 and shows it at the field.
    await page.getByRole('heading', { name: /Step 1 of 4/ }).waitFor();
    await page.locator('.field--invalid', { has: page.getByLabel('Username') }).waitFor();
    expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Username').fill('grace.hopper');
    for (let step = 1; step <= 3; step++) await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Create user' }).click();

    await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
    await page.getByText('Grace Hopper was created.').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/users\/\d+$/);
    expect(await page.getByLabel('Department').inputValue()).toBe('Engineering');
    expect(await page.getByLabel('Access type').inputValue()).toBe('admin');
  });

  it('edits a user (username read-only) and shows a field error from the schema', async () => {
    const { page } = h;
    await page.getByText('Usernames cannot be changed.').waitFor();
    expect(await page.getByRole('textbox', { name: 'Username' }).count()).toBe(0);

    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.field__error', { hasText: 'Enter a valid email address' }).waitFor();

    await page.getByLabel('Email', { exact: true }).fill('grace@navy.example');
    await page.getByLabel('Department').fill('Research');
    await page.getByLabel('Nicknames').fill('Amazing Grace');
    await page.getByRole('switch', { name: 'Enabled' }).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Changes saved.' }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'user-edit-saved');

    await page.reload();
    await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
    expect(await page.getByLabel('Department').inputValue()).toBe('Research');
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe('grace@navy.example');
    expect(await page.getByRole('switch', { name: 'Enabled' }).isChecked()).toBe(false);
    await page.locator('.user-heading').getByText('Disabled').waitFor();
  });

  it('cancels a delete (nothing changes), then confirms it and returns to the list', async () => {
    const { page } = h;
    await page.goto('/users');
    await page.getByLabel('Search users').fill('remove');
    const rows = page.locator('table[aria-label="Users"] tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.filter({ hasText: 'remove.me' }).click();
    await page.getByRole('heading', { name: 'Remove Me' }).waitFor();

    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Remove Me?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('remove.me');
    await screenshot(page, 'user-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    await page.getByRole('heading', { name: 'Remove Me' }).waitFor();

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/users');
    await page.getByLabel('Search users').fill('remove');
    await page.getByText('No users match').waitFor();

    // The owner cannot be deleted: no Delete button on their page.
    await page.goto('/profile');
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    const session = (await (await h.server.api('/session')).json()) as { user: { id: number } };
    await page.goto(`/users/${session.user.id}`);
    await page.getByRole('button', { name: 'Save changes' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
  });

  it('shows the changes in the audit log, with before and after, and filters by action', async () => {
    const { page, server } = h;
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const table = page.getByRole('table', { name: 'Audit events' });
    await table.getByText('grace.hopper').first().waitFor();

    await page.getByLabel('Action').selectOption('user.update');
    await expect.poll(() => table.locator('.action__code').allInnerTexts()).toEqual(['user.update']);
    const updateRow = table.locator('tbody tr', { hasText: 'grace.hopper' }).first();
    expect(await updateRow.textContent()).toContain(server.ownerUsername);
    await updateRow.getByRole('button', { name: /Show \d+ changes?/ }).click();
    const diff = page.getByRole('table', { name: /Changes of/ });
    await diff.waitFor();
    const departmentRow = diff.locator('tr', { has: page.getByRole('rowheader', { name: 'department' }) });
    expect(await departmentRow.locator('.diff__before').textContent()).toBe('Engineering');
    expect(await departmentRow.locator('.diff__after').textContent()).toBe('Research');
    await screenshot(page, 'audit-log');

    await page.getByLabel('Action').selectOption('user.delete');
    await expect.poll(() => table.locator('.action__code').allInnerTexts()).toEqual(['user.delete']);
    expect(await table.locator('tbody tr').first().textContent()).toContain('remove.me');

    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toContain('/api/v1/audit/export.csv');
    expect(href).toContain('action=user.delete');
  });
});
