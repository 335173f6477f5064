// The organization in the console: the group tree, a group's page, the Teams tab with the star, Can manage, moving a
// user with the permissions warning, call-tracking details, and departments with chat-routing groups.
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, createUsers, openConsole, screenshot, signIn } from './support.js';

describe('organization console', { timeout: 120_000 }, () => {
  let h: ConsoleHarness;
  const ids: Record<string, number> = {};
  let agentId = 0;

  const group = async (name: string, parentId?: number) => {
    const response = await h.server.api('/groups', { method: 'POST', body: { name, parentId } });
    if (response.status !== 201) throw new Error(`group ${name}: ${await response.text()}`);
    ids[name] = ((await response.json()) as { id: number }).id;
    return ids[name] as number;
  };

  /** Team checkboxes show the server's answer: click, then wait until the box says so. */
  const settle = async (box: Locator, checked: boolean) => {
    await box.click();
    await expect.poll(() => box.isChecked()).toBe(checked);
  };

  beforeAll(async () => {
    h = await openConsole();
    const sales = await group('Sales');
    await group('Inbound', sales);
    await group('Outbound', sales);
    await group('Support');
    await group('Billing');
    const users = await createUsers(h.server, [
      { username: 'ana.agent', firstName: 'Ana', lastName: 'Agent', department: 'Care' },
      { username: 'ben.member', firstName: 'Ben', lastName: 'Member' },
    ]);
    agentId = users[0]?.id as number;
    const ben = users[1]?.id as number;
    await h.server.api(`/users/${ben}/teams`, { method: 'POST', body: { groupId: ids.Inbound } });
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('shows the tree collapsed with member counts, expands it, and creates, renames and deletes groups', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    const tree = page.getByRole('list', { name: 'Groups' });
    await tree.getByRole('link', { name: 'Sales' }).waitFor();
    // Collapsed: the subgroups are not rendered until Sales is expanded.
    expect(await tree.getByRole('link', { name: 'Inbound' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Expand Sales' }).click();
    const inbound = tree.locator('.tree__row', { has: page.getByRole('link', { name: 'Inbound' }) });
    await inbound.getByText('1 member').waitFor();
    await tree.locator('.tree__row', { hasText: 'Sales' }).first().getByText('2 subgroups').waitFor();

    await page.getByRole('button', { name: 'Create group' }).click();
    let dialog = page.getByRole('dialog', { name: 'Create group' });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.locator('.field__error', { hasText: 'Name is required' }).waitFor();
    await dialog.getByLabel('Name').fill('Night shift');
    await dialog.getByLabel('Parent').selectOption({ label: 'Support (level 3)' });
    expect(await dialog.getByLabel('Parent').locator('option').allInnerTexts()).not.toContain('Inbound (level 3)');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Night shift was created.').waitFor();
    await tree.getByRole('link', { name: 'Night shift' }).waitFor();
    await screenshot(page, 'groups-tree');

    await page.getByRole('button', { name: 'Rename Night shift' }).click();
    dialog = page.getByRole('dialog', { name: 'Rename Night shift' });
    await dialog.getByLabel('Name').fill('Late shift');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Night shift is now Late shift.').waitFor();

    // A group with members asks what to do with them; Cancel changes nothing.
    await page.getByRole('button', { name: 'Delete Inbound' }).click();
    dialog = page.getByRole('dialog', { name: 'Delete Inbound?' });
    await dialog.getByText('has 1 member(s) and 0 subgroup(s)').waitFor();
    await dialog.getByText('Move its members to Sales').waitFor();
    await screenshot(page, 'groups-delete-choice');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete Late shift' }).click();
    await page.getByRole('dialog', { name: 'Delete Late shift?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Late shift was deleted.').waitFor();
    // The tree is read again after the deletion: the group leaves it once that answer arrives.
    await tree.getByRole('link', { name: 'Late shift' }).waitFor({ state: 'detached' });
  });

  it("shows a group's page with its subgroups and users", async () => {
    const { page } = h;
    await page.getByRole('list', { name: 'Groups' }).getByRole('link', { name: 'Sales' }).click();
    await page.getByRole('heading', { name: 'Sales' }).waitFor();
    const subgroups = page.getByRole('table', { name: 'Subgroups' });
    expect(await subgroups.locator('tbody tr td:first-child').allInnerTexts()).toEqual(['Inbound', 'Outbound']);
    await subgroups.getByRole('link', { name: 'Inbound' }).click();
    await page.getByRole('heading', { name: 'Inbound' }).waitFor();
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Sales' }).waitFor();
    const members = page.getByRole('table', { name: 'Members' });
    await members.getByRole('link', { name: 'Ben Member' }).waitFor();
    await members.getByText('★ Main team').waitFor();
    expect(await page.getByRole('button', { name: 'Add subgroup' }).count()).toBe(0);
    await screenshot(page, 'group-page');
  });

  it('joins and leaves teams on the Teams tab and sets the main team with the star', async () => {
    const { page, server } = h;
    await page.goto(`/users/${agentId}?tab=teams`);
    await page.getByRole('heading', { name: 'Teams' }).waitFor();
    await page.getByText('Ana Agent is in no team').waitFor();
    await settle(page.getByRole('checkbox', { name: 'Member of Support', exact: true }), true);
    await page.getByRole('button', { name: 'Support is the main team' }).waitFor();
    await settle(page.getByRole('checkbox', { name: 'Member of Billing' }), true);
    await settle(page.getByRole('checkbox', { name: 'Member of Sales / Outbound' }), true);
    await page.getByRole('button', { name: 'Make Billing the main team' }).waitFor();
    expect(await page.getByRole('button', { name: 'Support is the main team' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Make Sales / Outbound the main team' }).click();
    await page.getByRole('button', { name: 'Sales / Outbound is the main team' }).waitFor();
    await settle(page.getByRole('checkbox', { name: 'Supervisor of Support', exact: true }), true);
    await page.getByLabel('List currently assigned only').check();
    await expect.poll(() => page.getByRole('table', { name: 'Teams' }).locator('tbody tr').count()).toBe(3);
    await screenshot(page, 'user-teams-tab');
    await page.getByLabel('List currently assigned only').uncheck();

    // Leaving the main team: the alphabetically first remaining team (Billing) becomes main.
    await settle(page.getByRole('checkbox', { name: 'Member of Sales / Outbound' }), false);
    await page.getByRole('button', { name: 'Billing is the main team' }).waitFor();
    const teams = (await (await server.api(`/users/${agentId}/teams`)).json()) as {
      teams: { name: string; isMain: boolean }[];
      supervises: { name: string }[];
    };
    expect(teams.teams.map((t) => [t.name, t.isMain])).toEqual([
      ['Billing', true],
      ['Support', false],
    ]);
    expect(teams.supervises.map((t) => t.name)).toEqual(['Support']);

    await page.getByRole('tab', { name: 'Can manage' }).click();
    await page.getByRole('heading', { name: 'Can manage' }).waitFor();
    await page.getByText('not members of their subgroups').waitFor();
    await page.getByLabel('Search groups', { exact: true }).fill('sales');
    await settle(page.getByRole('checkbox', { name: 'Sales', exact: true }), true);
    await expect
      .poll(async () =>
        (
          (await (await server.api(`/users/${agentId}/teams`)).json()) as { canManage: { name: string }[] }
        ).canManage.map((g) => g.name),
      )
      .toEqual(['Sales']);
  });

  it('moves a user to another group with the permissions warning and the calls option', async () => {
    const { page, server } = h;
    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.getByRole('button', { name: 'Move to group' }).click();
    const dialog = page.getByRole('dialog', { name: 'Move Ana Agent to another group' });
    await dialog.getByText('Review the permissions.').waitFor();
    await dialog.getByText('leaves Billing (their main team)').waitFor();
    await dialog.getByLabel('Move to').selectOption({ label: 'Sales / Inbound' });
    await dialog.getByLabel("Move the user's calls to the new group too").check();
    await screenshot(page, 'user-move-warning');
    await dialog.getByRole('button', { name: 'Move' }).click();
    await page
      .getByText('Ana Agent was moved to Sales / Inbound, with their calls. Review their permissions now.')
      .waitFor();
    await page.getByRole('button', { name: 'Sales / Inbound is the main team' }).waitFor();
    const events = (await (await server.api('/events')).json()) as {
      items: { type: string; payload: Record<string, unknown> }[];
    };
    expect(events.items.at(-1)).toMatchObject({
      type: 'user.moved',
      payload: { userId: agentId, fromGroupId: ids.Billing, toGroupId: ids.Inbound, moveCalls: true },
    });
  });

  it('edits the call-tracking details and permissions on the user page', async () => {
    const { page } = h;
    await page.getByRole('tab', { name: 'Details' }).click();
    await page.getByLabel('Nicknames').fill('Annie, A.A.');
    await page.getByLabel('Agent ID').fill('AG-7');
    await page.getByLabel('Agent ring-to').fill('+1 555 0142');
    await page.getByRole('switch', { name: 'Enable scoring' }).check();
    await page.getByRole('switch', { name: 'Roaming agent' }).check();
    await page.getByLabel('Reporting').selectOption('groups');
    await page.getByLabel('Audio').selectOption('listen');
    await page.getByLabel('Scoring', { exact: true }).selectOption('score');
    await page.getByRole('list', { name: 'Groups they may see' }).getByRole('checkbox', { name: 'Support' }).check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Changes saved.' }).waitFor();
    await page.getByRole('heading', { name: 'Call tracking' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'user-call-tracking');

    await page.reload();
    await page.getByRole('heading', { name: 'Ana Agent' }).waitFor();
    expect(await page.getByLabel('Agent ID').inputValue()).toBe('AG-7');
    expect(await page.getByLabel('Nicknames').inputValue()).toBe('Annie, A.A.');
    expect(await page.getByRole('switch', { name: 'Roaming agent' }).isChecked()).toBe(true);
    expect(await page.getByLabel('Audio').inputValue()).toBe('listen');
    const visible = page.getByRole('list', { name: 'Groups they may see' });
    expect(await visible.getByRole('checkbox', { name: 'Support' }).isChecked()).toBe(true);
    expect(await visible.getByRole('checkbox', { name: 'Billing' }).isChecked()).toBe(false);
  });

  it('manages departments and chat-routing groups', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Departments' }).click();
    await page.getByRole('heading', { name: 'Departments' }).waitFor();
    const table = page.getByRole('table', { name: 'Department list' });
    // "Care" came from a user's department.
    await table.getByRole('cell', { name: 'Care', exact: true }).waitFor();
    await page.getByLabel('New department').fill('Escalations');
    await page.getByRole('button', { name: 'Create department' }).click();
    await page.getByText('Escalations was created.').waitFor();

    await page.getByRole('button', { name: 'Create chat-routing group' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create chat-routing group' });
    await dialog.getByLabel('Name').fill('Tier 2');
    await dialog.getByRole('checkbox', { name: 'Care' }).check();
    await dialog.getByRole('checkbox', { name: 'Escalations' }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Tier 2 was saved.').waitFor();
    const chat = page.getByRole('table', { name: 'Chat-routing group list' });
    await chat.getByText('Escalations').waitFor();

    await page.getByRole('button', { name: 'Rename Care' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename Care' });
    await rename.getByLabel('Name').fill('Customer Care');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Care is now Customer Care (1 user(s) updated).').waitFor();

    await page.getByRole('button', { name: 'Delete Customer Care' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Customer Care?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByText('cannot be deleted').waitFor();
    await screenshot(page, 'departments');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    const user = (await (await h.server.api(`/users/${agentId}`)).json()) as { department: string };
    expect(user.department).toBe('Customer Care');
  });

  it('shows an admin limited to some departments the organization without the buttons that change it', async () => {
    const { page } = h;
    const profile = await h.server.api('/profiles', {
      method: 'POST',
      body: { name: 'Care leads', modules: { users: { access: 'some', items: ['Customer Care'] } } },
    });
    expect(profile.status).toBe(201);
    const profileId = ((await profile.json()) as { id: number }).id;
    const password = 'Lead-pass-2026!';
    await createUsers(h.server, [
      {
        username: 'care.lead',
        firstName: 'Carla',
        lastName: 'Lead',
        department: 'Customer Care',
        accessType: 'admin',
        password,
        temporaryPassword: false,
        profileId,
      },
    ]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, h.server, 'care.lead', password);
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('list', { name: 'Groups' }).getByRole('link', { name: 'Sales' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create group' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Rename/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'Departments' }).click();
    const table = page.getByRole('table', { name: 'Department list' });
    await table.getByRole('cell', { name: 'Customer Care', exact: true }).waitFor();
    expect(await table.getByRole('cell', { name: 'Escalations', exact: true }).count()).toBe(0);
    expect(await page.getByLabel('New department').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Create chat-routing group' }).count()).toBe(0);
    await screenshot(page, 'departments-read-only');
  });
});
