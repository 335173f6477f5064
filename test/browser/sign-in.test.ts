// Signing in and out of the console: errors shown clearly, the console frame, the API docs link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, openConsole, screenshot, submitSignIn } from './support.js';

describe('sign-in', { timeout: 60_000 }, () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await openConsole();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('rejects a wrong password with a clear message, then signs in and out', async () => {
    const { page, server } = h;
    await page.goto('/users');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await expect.poll(() => page.getByLabel('Account').inputValue()).toBe(server.accountSlug);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Username is required').waitFor();
    await page.getByLabel('Username').fill(server.ownerUsername);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The username or password is not correct.').waitFor();
    await screenshot(page, 'sign-in-error');

    await page.getByLabel('Password', { exact: true }).fill(server.ownerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/users');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect.poll(() => nav.getByRole('link', { name: 'Users', exact: true }).count()).toBe(1);
    const docs = page.getByRole('link', { name: /API docs/ });
    expect(await docs.getAttribute('href')).toBe('/api/docs');
    expect(await docs.getAttribute('target')).toBe('_blank');
    await screenshot(page, 'users-empty');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('prefills the account from ?account= and shows only My profile to a standard user', async () => {
    const { page, server } = h;
    const created = await server.api('/users', {
      method: 'POST',
      body: {
        username: 'agent.smith',
        firstName: 'Agent',
        lastName: 'Smith',
        accessType: 'standard',
        password: 'Agent-pass-2026!x',
        temporaryPassword: true,
      },
    });
    expect(created.status).toBe(201);
    await page.goto(`/sign-in?account=${server.accountSlug}`);
    expect(await page.getByLabel('Account').inputValue()).toBe(server.accountSlug);
    await submitSignIn(page, 'agent.smith', 'Agent-pass-2026!x');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('Current password').fill('Agent-pass-2026!x');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Confirm new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('.field__error').first().waitFor();
    await screenshot(page, 'change-password-policy');
    await page.getByLabel('New password', { exact: true }).fill('Another-Agent-pass-2026!');
    await page.getByLabel('Confirm new password').fill('Another-Agent-pass-2026!');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Users', exact: true }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await screenshot(page, 'profile-standard-user');
    await page.goto('/users');
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
  });
});
