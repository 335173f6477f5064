// Bulk actions from a selection and from a filter, with the confirmation and the report; profiles; unlocking.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, createUsers, openConsole, parseCsv, screenshot, signIn } from './support.js';

describe('bulk actions and profiles', { timeout: 120_000 }, () => {
  let h: ConsoleHarness;
  let users: { id: number; username: string }[];
  beforeAll(async () => {
    h = await openConsole();
    users = await createUsers(h.server, [
      { username: 'ada', firstName: 'Ada', lastName: 'Lovelace', department: 'Research' },
      { username: 'alan', firstName: 'Alan', lastName: 'Turing', department: 'Research' },
      { username: 'grace', firstName: 'Grace', lastName: 'Hopper', department: 'Research', enabled: false },
      { username: 'linus', firstName: 'Linus', lastName: 'Torvalds', department: 'Kernel' },
      { username: 'ken', firstName: 'Ken', lastName: 'Thompson', department: 'Kernel' },
      {
        username: 'locked.out',
        firstName: 'Locked',
        lastName: 'Out',
        department: 'Kernel',
        password: 'Pass-word-2026!',
      },
    ]);
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  const row = (name: string) => h.page.locator('tr', { hasText: name });

  it('disables a hand-picked selection after a confirmation naming the count, and reports per user', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await row('Ada Lovelace').waitFor();
    await page.getByRole('checkbox', { name: 'Select Ada Lovelace' }).check();
    await page.getByRole('checkbox', { name: 'Select Grace Hopper' }).check();
    await page.getByRole('checkbox', { name: 'Select Linus Torvalds' }).check();
    await page.getByTestId('selection-count').getByText('3 selected').waitFor();
    await screenshot(page, 'bulk-selection');

    await page.getByRole('button', { name: 'Actions' }).click();
    await screenshot(page, 'bulk-actions-menu');
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Disable 3 users?' }).waitFor();
    await screenshot(page, 'bulk-confirm');
    // Cancelling changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await row('Ada Lovelace').locator('.badge', { hasText: 'Disabled' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog.getByRole('button', { name: 'Disable 3 users' }).click();
    await dialog.getByRole('heading', { name: 'Disable: report' }).waitFor();
    const summary = dialog.getByTestId('bulk-summary');
    expect(await summary.innerText()).toMatch(/Done\s*2\s*Skipped\s*1/i);
    await dialog.getByText('already disabled').waitFor();
    await screenshot(page, 'bulk-report');

    const download = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Download report (CSV)' }).click();
    const file = await (await download).path();
    const lines = parseCsv(readFileSync(file, 'utf8'));
    expect(lines[0]).toEqual(['User ID', 'Username', 'Outcome', 'Reason']);
    expect(lines.slice(1).map((l) => [l[1], l[2], l[3]])).toEqual(
      expect.arrayContaining([
        ['ada', 'done', ''],
        ['linus', 'done', ''],
        ['grace', 'skipped', 'already disabled'],
      ]),
    );
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row('Ada Lovelace').locator('.badge', { hasText: 'Disabled' }).waitFor();
    await row('Linus Torvalds').locator('.badge', { hasText: 'Disabled' }).waitFor();
    expect(await page.getByTestId('selection-count').count()).toBe(0);
  });

  it('assigns a license to everything a search and filter match, beyond the page', async () => {
    const { page } = h;
    await createUsers(
      h.server,
      Array.from({ length: 12 }, (_, i) => ({
        username: `agent${i}`,
        firstName: 'Agent',
        lastName: `Number ${i}`,
        department: i < 11 ? 'Floor' : 'Back office',
      })),
    );
    await page.goto('/users?q=agent&department=Floor&limit=10');
    await row('Agent Number 0').waitFor();
    await page.getByRole('checkbox', { name: 'Select every user on this page' }).check();
    await page.getByTestId('selection-count').getByText('10 selected').waitFor();
    await page.getByRole('button', { name: 'Select all 11 users matching this filter' }).click();
    await page.getByText('All 11 users matching this filter are selected').waitFor();
    await screenshot(page, 'bulk-select-all-matching');

    await page.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('button', { name: 'Assign license…' }).click();
    const dialog = page.getByRole('dialog');
    // The license is chosen first; then the count comes from the server (a dry run of the same filter).
    expect(await dialog.getByRole('button', { name: 'Confirm' }).isDisabled()).toBe(true);
    await dialog.getByLabel('License').selectOption('call_tracking');
    await dialog.getByRole('heading', { name: 'Give the Call Tracking license to 11 users?' }).waitFor();
    await screenshot(page, 'bulk-filter-confirm');
    await dialog.getByRole('button', { name: 'Assign to 11 users' }).click();
    await dialog.getByRole('heading', { name: 'Assign license: report' }).waitFor();
    expect(await dialog.getByTestId('bulk-summary').innerText()).toMatch(/Done\s*11\s*Skipped\s*0/i);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row('Agent Number 10').getByRole('img', { name: 'Call Tracking' }).waitFor();

    const reply = await h.server.api('/users?q=agent&limit=50');
    const agents = ((await reply.json()) as { items: { department: string; licenses: { app: string }[] }[] }).items;
    expect(agents).toHaveLength(12);
    for (const agent of agents) {
      expect(agent.licenses.some((l) => l.app === 'call_tracking')).toBe(agent.department === 'Floor');
    }
  });

  it('adds selected users to a team chosen in the dialog', async () => {
    const { page } = h;
    const reply = await h.server.api('/groups', { method: 'POST', body: { name: 'Night shift' } });
    expect(reply.status).toBe(201);
    await page.goto('/users?department=Kernel');
    await row('Ken Thompson').waitFor();
    await page.getByRole('checkbox', { name: 'Select Ken Thompson' }).check();
    await page.getByRole('checkbox', { name: 'Select Linus Torvalds' }).check();
    await page.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('button', { name: 'Assign team…', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Team').selectOption({ label: 'Night shift' });
    await dialog.getByRole('heading', { name: 'Add 2 users to the team Night shift?' }).waitFor();
    await screenshot(page, 'bulk-team-confirm');
    await dialog.getByRole('button', { name: 'Add 2 users' }).click();
    await dialog.getByRole('heading', { name: 'Assign team: report' }).waitFor();
    expect(await dialog.getByTestId('bulk-summary').innerText()).toMatch(/Done\s*2/i);
    await dialog.getByRole('button', { name: 'Close' }).click();
    const ken = users.find((u) => u.username === 'ken');
    const teams = await h.server.api(`/users/${ken?.id}/teams`);
    expect(((await teams.json()) as { teams: { name: string; isMain: boolean }[] }).teams).toMatchObject([
      { name: 'Night shift', isMain: true },
    ]);
  });

  it('adds required actions to selected users, who must do them at their next sign-in', async () => {
    const { page } = h;
    await page.goto('/users?department=Research');
    await row('Ada Lovelace').waitFor();
    await page.getByRole('checkbox', { name: 'Select Ada Lovelace' }).check();
    await page.getByRole('checkbox', { name: 'Select Alan Turing' }).check();
    await page.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('button', { name: 'Set required actions…', exact: true }).click();
    const dialog = page.getByRole('dialog');
    // Nothing to confirm until an action is chosen.
    expect(await dialog.getByRole('button', { name: 'Confirm' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Update Profile').check();
    await dialog.getByLabel('Configure OTP').check();
    await dialog
      .getByRole('heading', { name: 'Add the required actions Configure OTP, Update Profile to 2 users?' })
      .waitFor();
    await screenshot(page, 'bulk-required-actions');
    await dialog.getByRole('button', { name: 'Add to 2 users' }).click();
    await dialog.getByRole('heading', { name: 'Set required actions: report' }).waitFor();
    expect(await dialog.getByTestId('bulk-summary').innerText()).toMatch(/Done\s*2/i);
    await dialog.getByRole('button', { name: 'Close' }).click();
    const ada = users.find((u) => u.username === 'ada');
    const reply = await h.server.api(`/users/${ada?.id}`);
    expect(((await reply.json()) as { requiredActions: string[] }).requiredActions).toEqual([
      'configure_otp',
      'update_profile',
    ]);
    // The user's page shows them ticked.
    await page.goto(`/users/${ada?.id}`);
    await page.getByRole('heading', { name: 'Sign-in' }).waitFor();
    expect(await page.getByLabel('Configure OTP').isChecked()).toBe(true);
    expect(await page.getByLabel('Update Password').isChecked()).toBe(false);
  });

  it('creates and edits a profile (name read-only) and gives it to a user', async () => {
    const { page } = h;
    await page.goto('/users');
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('heading', { name: 'Profiles' }).waitFor();
    await page.getByRole('button', { name: 'Create profile' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Research leads');
    await dialog.getByLabel('Users access').selectOption('some');
    const departments = dialog.getByRole('group', { name: /Departments/ });
    await departments.getByLabel('Research').check();
    await departments.getByLabel('Kernel').check();
    await dialog.getByLabel('Campaigns access').selectOption('all');
    await screenshot(page, 'profile-create');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Profile “Research leads” created.').waitFor();
    const profileRow = page.locator('tr', { hasText: 'Research leads' });
    expect(await profileRow.locator('td').allInnerTexts()).toEqual([
      'Research leads',
      'Not allowed',
      '2 items',
      'All',
      'Not allowed',
      '0',
      expect.stringContaining('Edit'),
    ]);
    await profileRow.getByRole('button', { name: /Edit/ }).click();
    await dialog.getByText("A profile's name cannot change.").waitFor();
    expect(await dialog.getByRole('textbox', { name: 'Name' }).count()).toBe(0);
    await dialog.getByLabel('Connectors access').selectOption('some');
    await dialog.getByLabel('Connectors', { exact: true }).fill('LDAP');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Profile “Research leads” saved.').waitFor();
    await profileRow.getByText('1 item').waitFor();
    await screenshot(page, 'profiles');

    const alan = users.find((u) => u.username === 'alan');
    await page.goto(`/users/${alan?.id}`);
    await page.getByRole('combobox', { name: 'Profile', exact: true }).selectOption({ label: 'Research leads' });
    await page.getByRole('button', { name: 'Change profile' }).click();
    await page.getByText('Profile set to Research leads.').waitFor();
    await screenshot(page, 'user-profile-picker', true);
    const reply = await h.server.api(`/users/${alan?.id}`);
    expect(((await reply.json()) as { profileId: number | null }).profileId).not.toBeNull();
  });

  it('shows a locked user and unlocks them', async () => {
    const { page } = h;
    for (let i = 0; i < 5; i++) {
      await fetch(`${h.server.url}/api/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'locked.out', password: 'Wrong-pass-1' }),
      });
    }
    await page.goto('/users?q=locked');
    await row('Locked Out').locator('.badge', { hasText: 'Locked' }).waitFor();
    await row('Locked Out').getByRole('link').click();
    await page.getByText('Locked after too many failed sign-ins').waitFor();
    await screenshot(page, 'user-locked');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByText('is unlocked and can sign in again').waitFor();
    expect(await page.locator('.user-heading .badge', { hasText: 'Locked' }).count()).toBe(0);
  });
});
