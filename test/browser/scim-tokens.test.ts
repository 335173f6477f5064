// Provisioning (SCIM) in the console: an admin creates a token for an identity provider, sees it once with the SCIM
// base URL, finds it listed by hint only, and revokes it after a confirmation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, openConsole, screenshot, signIn } from './support.js';

describe('SCIM tokens in the console', { timeout: 120_000 }, () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await openConsole();
    await signIn(h.page, h.server);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('creates a token shown once, lists it by hint, and revokes it', async () => {
    const { page, server } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Provisioning (SCIM)' }).click();
    await page.getByRole('heading', { name: 'Provisioning (SCIM)' }).waitFor();
    // The base URL comes with the token list.
    await expect.poll(() => page.getByLabel('SCIM base URL (Tenant URL)').inputValue()).toBe(`${server.url}/scim/v2`);
    await expect.poll(() => page.getByText('No SCIM tokens yet.').isVisible()).toBe(true);

    // A name is required.
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('Name is required').waitFor();

    await page.getByLabel('Name').fill('Microsoft Entra ID');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-scim-token');
    await shown.waitFor();
    const token = (await shown.textContent()) ?? '';
    expect(token).toMatch(/^rscim_[A-Za-z0-9_-]{43}$/);
    await page.getByText('It is shown only this once.').waitFor();
    const row = page.getByRole('row', { name: /Microsoft Entra ID/ });
    await row.waitFor();
    expect(await row.innerText()).toContain(`rscim_…${token.slice(-4)}`);
    expect(await row.innerText()).toContain('Never');
    await screenshot(page, 'scim-token-created');

    // Never shown again: not after a reload, not in the list.
    await page.reload();
    await page.getByRole('heading', { name: 'Provisioning (SCIM)' }).waitFor();
    await row.waitFor();
    expect(await page.getByTestId('new-scim-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token.slice(6));
    const listed = (await (await server.api('/scim-tokens')).json()) as { items: { hint: string }[] };
    expect(listed.items.map((t) => t.hint)).toEqual([`rscim_…${token.slice(-4)}`]);
    await screenshot(page, 'scim-token-listed');

    // The identity provider provisions a manager and a user with the token; the console shows what it set.
    const scim = (path: string, body?: unknown) =>
      fetch(`${server.url}/scim/v2${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: body ? JSON.stringify(body) : undefined,
      });
    const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    const boss = (await (
      await scim('/Users', { userName: 'maria.lopez@contoso.com', name: { givenName: 'María', familyName: 'López' } })
    ).json()) as { id: string };
    const made = await scim('/Users', {
      userName: 'tomas.novak@contoso.com',
      externalId: '7f3c2a1e-entra',
      name: { givenName: 'Tomáš', familyName: 'Novák' },
      emails: [{ value: 'tomas.novak@contoso.com', type: 'work', primary: true }],
      title: 'Team lead',
      [enterprise]: { employeeNumber: 'E-2048', department: 'Soporte', manager: { value: boss.id } },
    });
    expect(made.status).toBe(201);
    const user = (await made.json()) as { id: string };
    await page.goto(`${server.url}/users/${user.id}`);
    await page.getByRole('heading', { name: 'Tomáš Novák' }).waitFor();
    const account = page.getByRole('region', { name: 'Account' });
    await account.getByText('7f3c2a1e-entra').waitFor();
    expect(await account.innerText()).toContain('scim');
    expect(await account.innerText()).toContain('Team lead');
    expect(await account.innerText()).toContain('E-2048');
    await account.getByRole('link', { name: 'María López' }).waitFor();
    await screenshot(page, 'scim-provisioned-user');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Provisioning (SCIM)' }).click();
    await row.waitFor();
    await expect.poll(async () => (await row.innerText()).includes('Never')).toBe(false);

    await row.getByRole('button', { name: /Revoke/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke Microsoft Entra ID?' });
    await dialog.waitFor();
    await screenshot(page, 'scim-token-revoke-confirm');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No SCIM tokens yet.').waitFor();
    expect(((await (await server.api('/scim-tokens')).json()) as { items: unknown[] }).items).toEqual([]);
    await screenshot(page, 'scim-token-revoked');
    expect((await scim('/Users')).status).toBe(401);
  });
});
