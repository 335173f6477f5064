// Directory sync in the console, against a real OpenLDAP server (test/support/slapd) holding generated people with
// accents in their names and DNs, entries a sync cannot take and nested groups: an admin adds a connection (the form
// names what is missing), tests it (a wrong password fails at the bind, the right one counts users and groups),
// previews the sync, runs it and follows its progress to the counts and the errors naming DNs; the synced users show
// the connection as their source; a synced user's Teams tab says the directory sets their teams, until their sync
// switch goes off; the connection is deleted after a confirmation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Directory,
  GROUPS_DN,
  generateDirectory,
  PEOPLE_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
} from '../support/ldif.js';
import { startSlapd, type TestSlapd } from '../support/slapd.js';
import { type ConsoleHarness, openConsole, screenshot, signIn } from './support.js';

const NAME = 'Head office';

describe('directory sync in the console', () => {
  let h: ConsoleHarness;
  let slapd: TestSlapd;
  let directory: Directory;

  beforeAll(async () => {
    directory = generateDirectory({ bulk: 300 });
    slapd = await startSlapd(directory.ldif);
    h = await openConsole({ directoryTimeoutMs: 3000 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await slapd?.stop();
  });

  // Entries a sync cannot take: one without a uid, and two sharing one.
  const unsyncable = () => directory.people.filter((p) => p.uid === null || p.uid === 'kim.lee');
  const syncable = () => directory.people.length - unsyncable().length;

  it('adds, tests, previews and syncs a connection, and shows the synced users and their teams', async () => {
    const { page, server } = h;
    await signIn(page, server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Directory sync' }).click();
    await page.getByRole('heading', { name: 'Directory sync' }).waitFor();
    await page.getByText('No directory connections yet.').waitFor();
    await screenshot(page, 'directory-sync-empty');

    // The form names what is missing, next to each field.
    await page.getByRole('link', { name: 'Add connection' }).click();
    await page.getByRole('heading', { name: 'New directory connection' }).waitFor();
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByText('Name is required', { exact: true }).waitFor();
    await page.getByText('Users base DN is required', { exact: true }).waitFor();
    await page.getByText('Bind password is required', { exact: true }).waitFor();
    await page.getByText('The connection was not added: fix the fields marked.').waitFor();
    await screenshot(page, 'directory-sync-new-refused');

    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('URL', { exact: true }).fill(slapd.url);
    await page.getByLabel('CA certificate').fill(slapd.certificate);
    await page.getByLabel('Bind DN').fill(SERVICE_DN);
    await page.getByLabel('Bind password').fill('not the password');
    // The preset fills in OpenLDAP's filters and attributes.
    await page.getByLabel('Vendor preset').selectOption('openldap');
    expect(await page.getByLabel('Users filter').inputValue()).toBe('(objectClass=inetOrgPerson)');
    expect(await page.getByLabel('External id').inputValue()).toBe('entryUUID');
    expect(await page.getByLabel('Department').inputValue()).toBe('departmentNumber');
    await page.getByLabel('Users base DN').fill(PEOPLE_DN);
    await page.getByLabel('Groups base DN').fill(GROUPS_DN);

    // A wrong password: the test says the bind failed, and marks the password.
    await page.getByRole('button', { name: 'Test connection' }).click();
    const outcome = page.getByRole('status', { name: 'Test result' });
    await outcome.getByText('Bind failed:').waitFor();
    await outcome.getByText('InvalidCredentials').waitFor();
    expect(await outcome.getByText('TLS passed').count()).toBe(1);
    expect(await page.getByLabel('Bind password').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'directory-sync-test-failed', true);

    await page.getByLabel('Bind password').fill(SERVICE_PASSWORD);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await outcome.getByText('Connected:').waitFor();
    const tested = (await outcome.textContent()) ?? '';
    expect(tested).toContain(`${directory.people.length} users`);
    expect(tested).toContain(`${directory.groups.length} groups`);
    await screenshot(page, 'directory-sync-test-passed', true);

    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByRole('heading', { name: NAME }).waitFor();
    await page.getByRole('tab', { name: 'Sync', exact: true }).waitFor();
    await page.getByText('No syncs yet.').waitFor();

    // The preview: every syncable person to create, the groups, and the entries it cannot take named by DN.
    await page.getByRole('button', { name: 'Preview' }).click();
    const plan = page.getByRole('region', { name: 'Preview' });
    await plan.getByText('Preview of a full sync').waitFor();
    const toCreate = plan.locator('summary', { hasText: 'To create' }).first();
    expect(await toCreate.textContent()).toContain(String(syncable()));
    await toCreate.click();
    await plan.getByRole('list', { name: 'To create' }).getByText('zoe.odegard', { exact: true }).waitFor();
    for (const entry of unsyncable()) await plan.getByText(entry.dn, { exact: true }).first().waitFor();
    await screenshot(page, 'directory-sync-preview', true);

    // The sync runs in the background: a progress bar, then the counts and the errors naming DNs.
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('progressbar', { name: 'Sync progress' }).waitFor();
    await screenshot(page, 'directory-sync-running');
    const result = page.getByRole('region', { name: 'Sync result' });
    await result.getByText('Full sync finished').waitFor({ timeout: 60_000 });
    const stat = (label: string) => result.locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=..');
    expect(await stat('Created').locator('dd').textContent()).toBe(String(syncable()));
    expect(await stat('Errors').locator('dd').textContent()).toBe(String(unsyncable().length));
    for (const entry of unsyncable()) await result.getByText(entry.dn, { exact: true }).first().waitFor();
    await result.getByText('has no uid').waitFor();
    const history = page.getByRole('region', { name: 'Sync history' });
    // Newest first: the sync, then the preview.
    const runs = history.locator('tbody tr');
    await expect.poll(() => runs.count()).toBe(2);
    expect(await runs.nth(0).textContent()).toMatch(new RegExp(`Succeeded.*${syncable()} created`));
    expect(await runs.nth(1).getByText('Preview', { exact: true }).count()).toBe(1);
    await screenshot(page, 'directory-sync-finished', true);

    // A sync of the changes only: nothing changed since.
    await page.getByRole('button', { name: 'Sync changes only' }).click();
    await result.getByText('Sync of the changes finished').waitFor({ timeout: 60_000 });
    expect(await stat('Created').locator('dd').textContent()).toBe('0');
    await expect.poll(() => runs.count()).toBe(3);
    expect(await runs.nth(0).textContent()).toMatch(/Changes only.*Succeeded.*No changes/);

    // Settings: the stored password shows as set and is not sent again; a new schedule is saved.
    await page.getByRole('tab', { name: 'Settings' }).click();
    expect(await page.getByLabel('Bind password').inputValue()).toBe('');
    await page.getByText('Set. Leave blank to keep it').waitFor();
    expect(await page.getByLabel('Vendor preset').inputValue()).toBe('openldap');
    await page.getByLabel('Schedule').selectOption({ label: 'Every hour' });
    await page.getByText('Unsaved changes').waitFor();
    await screenshot(page, 'directory-sync-settings', true);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`${NAME} was saved.`).waitFor();
    const saved = await (await server.api('/directory-connections')).json();
    expect(saved.items[0]).toMatchObject({ scheduleMinutes: 60, bindPasswordSet: true });

    // A new address needs the password again (the stored one goes nowhere new); over ldaps:// StartTLS goes.
    await page.getByLabel('URL', { exact: true }).fill(slapd.tlsUrl);
    expect(await page.getByRole('switch', { name: 'StartTLS' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByLabel('Bind password').getAttribute('aria-invalid')).toBe('true');
    // The form is long: the field in error gets the focus, and the summary beside Save names it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('password');
    await page.getByText('The changes were not saved: fix the fields marked.').waitFor();
    await page
      .locator('.error-summary')
      .getByText(/^Bind password: /)
      .waitFor();
    await screenshot(page, 'directory-sync-settings-password-again');
    await page.getByLabel('Bind password').fill(SERVICE_PASSWORD);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`${NAME} was saved.`).waitFor();
    await page.getByRole('tab', { name: 'Sync', exact: true }).click();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('status', { name: 'Test result' }).getByText('Connected:').waitFor();
    expect(await page.locator('.page__lead').textContent()).toContain(slapd.tlsUrl);

    // The synced users, with the connection as their source.
    await page.goto(`/users?source=${encodeURIComponent(NAME)}`);
    await page.getByRole('button', { name: /^Columns/ }).click();
    await page.locator('#columns-menu').getByLabel('Source').check();
    await page.keyboard.press('Escape');
    await page.getByRole('columnheader', { name: 'Source' }).waitFor();
    await page.getByLabel('Search users').fill('Núñez');
    const row = page.getByRole('row', { name: /José Núñez/ });
    await row.waitFor();
    expect(await row.getByRole('cell', { name: NAME, exact: true }).count()).toBe(1);
    await screenshot(page, 'directory-sync-users');

    // José follows the directory: his Teams tab says so.
    await row.getByRole('link', { name: /José Núñez/ }).click();
    await page.getByRole('heading', { name: 'José Núñez' }).waitFor();
    const syncSwitch = page.getByRole('switch', { name: 'Synchronization' });
    expect(await syncSwitch.isChecked()).toBe(true);
    await page.getByRole('tab', { name: 'Teams' }).click();
    const notice = page.getByText(
      `Group memberships of this user follow the directory ${NAME}: changes made here are overwritten by the next sync.`,
    );
    await notice.waitFor();
    await page.getByRole('row', { name: /Ventas España/ }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Member of Ventas España' }).isChecked()).toBe(true);
    await screenshot(page, 'directory-sync-user-teams', true);

    // Sync off: the user is Roster's, and the notice goes.
    await page.getByRole('tab', { name: 'Details' }).click();
    await screenshot(page, 'directory-sync-user-details');
    await syncSwitch.click();
    await page.getByText(`Syncs of ${NAME} leave this user alone`).waitFor();
    expect(await syncSwitch.isChecked()).toBe(false);
    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.getByRole('heading', { name: 'Teams', exact: true }).waitFor();
    await page.getByRole('row', { name: /Ventas España/ }).waitFor();
    expect(await notice.count()).toBe(0);
    await screenshot(page, 'directory-sync-user-teams-sync-off', true);
    const jose = await (await server.api('/users?q=jose.nunez')).json();
    expect(jose.items[0]).toMatchObject({ source: NAME, syncEnabled: false });
  }, 180_000);

  it('deletes the connection after a confirmation', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Directory sync' }).click();
    const row = page.getByRole('row', { name: new RegExp(NAME) });
    await row.getByText('Succeeded').waitFor();
    await row.getByText('Every hour').waitFor();
    await screenshot(page, 'directory-sync-list');
    await row.getByRole('button', { name: `Delete ${NAME}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(`Delete ${NAME}?`).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await row.count()).toBe(1);
    await row.getByRole('button', { name: `Delete ${NAME}` }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No directory connections yet.').waitFor();
  });
});
