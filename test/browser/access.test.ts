// Role mappings, licenses (user tab, user list, the licenses page with bars), custom roles and application keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, createUsers, openConsole, screenshot, signIn } from './support.js';

describe('access in the console', { timeout: 90_000 }, () => {
  let h: ConsoleHarness;
  let users: { id: number; username: string }[];
  beforeAll(async () => {
    h = await openConsole();
    const pool = await h.server.api('/licenses/pools/chat', { method: 'PUT', body: { size: 3 } });
    expect(pool.status).toBe(200);
    await h.server.api('/licenses/pools/voice_analytics', { method: 'PUT', body: { size: 5000 } });
    users = await createUsers(h.server, [
      { username: 'ada.lovelace', firstName: 'Ada', lastName: 'Lovelace', department: 'Quality' },
      { username: 'alan.turing', firstName: 'Alan', lastName: 'Turing', department: 'Support' },
      { username: 'grace.hopper', firstName: 'Grace', lastName: 'Hopper', department: 'Support' },
      { username: 'edsger.dijkstra', firstName: 'Edsger', lastName: 'Dijkstra', department: 'Sales' },
    ]);
    await h.server.api('/licenses/usage', { method: 'POST', body: { userId: users[0]?.id, minutes: 1200 } });
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('shows each application against its pool as bars, and refuses a pool smaller than its use', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Licenses' }).click();
    await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
    const chat = page.locator('.license-bar[data-app="chat"]');
    await chat.getByText('3 of 3 seats').waitFor();
    expect(await chat.locator('.bar').getAttribute('data-share')).toBe('1.000');
    expect(await chat.locator('.bar').getAttribute('class')).toContain('bar--full');
    const va = page.locator('.license-bar[data-app="voice_analytics"]');
    await va.getByText('1,200 of 5,000 minutes').waitFor();
    expect(await va.locator('.bar').getAttribute('data-share')).toBe('0.240');
    const width = await va.locator('.bar__fill').evaluate((el) => el.getBoundingClientRect().width);
    const full = await va.locator('.bar').evaluate((el) => el.getBoundingClientRect().width);
    expect(width / full).toBeGreaterThan(0.2);
    expect(width / full).toBeLessThan(0.28);
    await screenshot(page, 'licenses-page');

    await chat.getByRole('button', { name: 'Edit pool of Smartflows' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Seats in the pool').fill('2');
    await dialog.getByRole('button', { name: 'Save pool' }).click();
    await dialog.locator('.field__error', { hasText: 'At least 3' }).waitFor();
    await screenshot(page, 'licenses-pool-below-use');
    await dialog.getByLabel('Seats in the pool').fill('6');
    await dialog.getByRole('button', { name: 'Save pool' }).click();
    await chat.getByText('3 of 6 seats').waitFor();
    expect(await chat.locator('.bar').getAttribute('data-share')).toBe('0.500');
  });

  it("assigns and removes composite and plain roles on a user's role mappings tab, with effective roles", async () => {
    const { page } = h;
    await page.goto(`/users/${users[1]?.id}?tab=roles`);
    await page.getByRole('heading', { name: 'Alan Turing' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Role mappings' }).getAttribute('aria-selected')).toBe('true');
    await page.getByText('No roles assigned.').waitFor();
    // Standard maps to Agent in chat and own recordings in Voice Analytics.
    const mapped = page.locator('section', { has: page.getByRole('heading', { name: 'From the access type' }) });
    await mapped.getByText('AGENT', { exact: true }).waitFor();
    await mapped.getByText('VA_OWN_RECORDINGS', { exact: true }).waitFor();

    await page.getByLabel('Application').selectOption('quality_management');
    await page.getByLabel('Role to assign').selectOption({ label: 'DEFAULT_SUPERVISOR (composite)' });
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.getByRole('list', { name: 'Assigned roles' }).getByText('DEFAULT_SUPERVISOR').waitFor();
    await page.getByLabel('Role to assign').selectOption({ label: 'FILE_UPLOAD' });
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.getByRole('button', { name: 'Remove FILE_UPLOAD' }).waitFor();
    const effective = page.getByTestId('effective-roles');
    for (const name of [
      'EVAL_AGENTS',
      'CREATE_EVALS',
      'INTERACTIONS_GROUP_VIEW',
      'DEFAULT_TEAM_LEADER',
      'FILE_UPLOAD',
    ]) {
      await effective.getByText(name, { exact: true }).waitFor();
    }
    expect(await effective.getByText('EVAL_AGENTS', { exact: true }).getAttribute('title')).toBe(
      'From DEFAULT_SUPERVISOR',
    );
    await screenshot(page, 'user-role-mappings', true);

    await page.getByRole('button', { name: 'Remove DEFAULT_SUPERVISOR' }).click();
    await effective.getByText('EVAL_AGENTS', { exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Remove FILE_UPLOAD' }).click();
    await page.getByText('No roles assigned.').waitFor();
  });

  it("grants and revokes licenses on a user's licenses tab; the user list shows them", async () => {
    const { page } = h;
    await page.getByRole('tab', { name: 'Licenses' }).click();
    const chat = page.locator('.license-list__item', { hasText: 'Smartflows' });
    const recording = page.locator('.license-list__item', { hasText: 'Call Recording' });
    expect(await chat.getByRole('switch').isChecked()).toBe(true);
    await chat.getByText('pool: 3 of 6 seats taken').waitFor();
    // The switches follow the server: each flips once the change is saved.
    await recording.getByRole('switch').click();
    await recording.getByText('Licensed', { exact: true }).waitFor();
    await chat.getByRole('switch').click();
    await chat.getByText('pool: 2 of 6 seats taken').waitFor();
    const analysis = page.getByRole('switch', { name: "Transcribe and analyze this user's recordings" });
    await analysis.click();
    await expect.poll(() => analysis.isChecked()).toBe(false);
    await screenshot(page, 'user-licenses-tab');

    await page.getByRole('tab', { name: 'Chat settings' }).click();
    await page.getByLabel('Chat limit').fill('-3');
    await page.getByRole('button', { name: 'Save chat settings' }).click();
    await page.locator('.field__error', { hasText: 'Use -1 for no limit' }).waitFor();
    await page.getByLabel('Chat limit').fill('4');
    await page.getByLabel('Status').selectOption('unavailable');
    await page.getByLabel('Tag').fill('Night shift');
    await page.getByRole('button', { name: 'Save chat settings' }).click();
    await page.getByText('Chat settings saved.').waitFor();
    await screenshot(page, 'user-chat-settings');

    await page.getByRole('link', { name: 'Users' }).first().click();
    const row = page.getByRole('row', { name: /Alan Turing/ });
    // Licenses show as icons named for each application.
    await row.getByRole('img', { name: 'Call Recording' }).waitFor();
    await row.getByRole('img', { name: 'Voice Analytics' }).waitFor();
    expect(await row.getByRole('img', { name: /Smartflows/ }).count()).toBe(0);
    await page
      .getByRole('row', { name: /Ada Lovelace/ })
      .getByRole('img', { name: /Smartflows/ })
      .waitFor();
    await screenshot(page, 'users-licenses-column');
  });

  it('lets admins add composite roles and refuses a cycle with a clear error', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Applications & roles' }).click();
    await page.getByRole('tab', { name: 'Quality Management' }).click();
    await page.getByTestId('access-type-mapping').getByText('DEFAULT_SCORER').waitFor();
    await page.getByRole('button', { name: 'New role' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.locator('.field__error', { hasText: 'Name is required' }).waitFor();
    await dialog.getByLabel('Name').fill('coach_lead');
    await dialog.getByLabel('DEFAULT_TEAM_LEADER (composite)').check();
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('row', { name: /COACH_LEAD/ }).waitFor();

    await page.getByRole('button', { name: 'New role' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('COACH_HEAD');
    await dialog.getByLabel('COACH_LEAD (composite)').check();
    await dialog.getByRole('button', { name: 'Create role' }).click();
    const head = page.getByRole('row', { name: /COACH_HEAD/ });
    await head.getByText('EVAL_AGENTS').waitFor();
    await screenshot(page, 'applications-roles', true);

    await page.getByRole('button', { name: 'Edit COACH_LEAD' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('COACH_HEAD (composite)').check();
    await dialog.getByRole('button', { name: 'Save role' }).click();
    await dialog
      .getByText('COACH_LEAD cannot contain COACH_HEAD: that would make a cycle (COACH_LEAD → COACH_HEAD → COACH_LEAD)')
      .first()
      .waitFor();
    await screenshot(page, 'applications-role-cycle');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('creates an application key shown once, that answers decisions', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Application keys' }).click();
    await page.getByLabel('Name').fill('Voice Analytics');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = ((await page.getByTestId('new-key').textContent()) ?? '').trim();
    expect(key).toMatch(/^rst_/);
    await page.getByRole('cell', { name: `rst_…${key.slice(-4)}` }).waitFor();
    await screenshot(page, 'application-keys');
    const reply = await fetch(`${h.server.url}/api/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada.lovelace', action: 'chat:chat.engage' }),
    });
    expect(await reply.json()).toMatchObject({ allowed: true, reason: { role: 'AGENT' } });
    await page.reload();
    expect(await page.getByText(key).count()).toBe(0);
  });
});
