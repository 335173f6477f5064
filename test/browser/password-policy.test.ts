// The password policy in the console: the change-password page shows each rule as one types, the first failing one
// spelled out (the breached list checked by the server), and an admin changes the policy on the Sign-in security page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, openConsole, screenshot, signIn } from './support.js';

describe('password policy in the console', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await openConsole();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows the failing rule as one types a new password', async () => {
    const { page, server } = h;
    await signIn(page, server);
    await page.goto('/profile/password');
    const field = page.getByLabel('New password', { exact: true });
    const first = page.getByTestId('password-first-failing');
    const rule = (name: string) => page.locator(`.password-rules__rule[data-rule="${name}"]`);

    await field.fill('short');
    await expect(first.textContent()).resolves.toBe('Use at least 15 characters');
    expect(await first.getAttribute('aria-live')).toBe('polite');
    expect(await rule('minLength').getAttribute('class')).toContain('password-rules__rule--fail');
    expect(await rule('username').getAttribute('class')).toContain('password-rules__rule--pass');
    await screenshot(page, 'password-rules-short');

    await field.fill(`my-${server.ownerUsername}-garden-2026`);
    await expect(first.textContent()).resolves.toBe('Do not use the username in the password');

    // Only the server knows the breached list: its answer comes after a pause in typing.
    await field.fill('Mailcreated5240');
    await page.getByText('This password is common or known from data breaches: choose another').waitFor();
    expect(await rule('breached').getAttribute('class')).toContain('password-rules__rule--fail');
    expect(await rule('minLength').getAttribute('class')).toContain('password-rules__rule--pass');
    await screenshot(page, 'password-rules-breached');

    await field.fill('Quiet harbour lantern 42');
    await page.getByText('The password meets every rule checked as you type.').waitFor();
    expect(await page.locator('.password-rules__rule--fail').count()).toBe(0);
    await screenshot(page, 'password-rules-ok');
  });

  it('lets the admin change the policy, and the password fields follow it', async () => {
    const { page, server } = h;
    await page.getByRole('link', { name: 'Sign-in security' }).click();
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Password policy' }) });
    await section.getByText('NIST SP 800-63B-4').waitFor();
    await section.getByLabel('Minimum length').fill('7');
    await section.getByRole('button', { name: 'Save password policy' }).click();
    await section.getByText('At least 8').waitFor();

    await section.getByLabel('Minimum length').fill('20');
    await section.getByLabel('Character classes required').selectOption('3');
    await section.getByLabel('Passwords remembered').fill('10');
    await section.getByLabel('Maximum age (days)').fill('365');
    await section.getByRole('button', { name: 'Save password policy' }).click();
    await section.getByText('Password policy saved.').waitFor();
    await screenshot(page, 'password-policy-section', true);
    const saved = await (await server.api('/security/password-policy')).json();
    expect(saved).toMatchObject({ minLength: 20, minClasses: 3, historyCount: 10, maxAgeDays: 365 });

    await page.goto('/profile/password');
    await page.getByLabel('New password', { exact: true }).fill('quiet harbour lantern 42');
    await page.getByText('At least 20 characters').waitFor();
    await expect(page.getByTestId('password-first-failing').textContent()).resolves.toBe(
      'Use 3 of: lower-case letter, upper-case letter, digit, symbol',
    );
    expect(await page.getByText('Not one of your last 10 passwords').count()).toBe(1);
  });

  it("shows the rules when an admin sets a user's password, and sets it", async () => {
    const { page, server } = h;
    const reply = await server.api('/users', {
      method: 'POST',
      body: { username: 'paula', firstName: 'Paula', lastName: 'Park', email: 'paula.park@example.com' },
    });
    const user = (await reply.json()) as { id: number };
    await page.goto(`/users/${user.id}`);
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Password', exact: true }) });
    const field = section.getByLabel('New password', { exact: true });
    // The policy of the previous test: 20 characters and 3 classes.
    await field.fill('paula-park-garden');
    await expect(section.getByTestId('password-first-failing').textContent()).resolves.toBe(
      'Use at least 20 characters',
    );
    expect(await section.locator('.password-rules__rule--fail').count()).toBe(3);
    await field.fill('Lanterns over the Bay 2026');
    await section.getByText('The password meets every rule checked as you type.').waitFor();
    await section.getByLabel('Confirm the password').fill('Lanterns over the Bay 2026');
    await screenshot(page, 'user-set-password', true);
    await section.getByRole('button', { name: 'Set password' }).click();
    await section.getByText('Paula Park must choose a new one at the next sign-in.').waitFor();
    const signIn = await fetch(`${server.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: server.accountSlug, username: 'paula', password: 'Lanterns over the Bay 2026' }),
    });
    expect(((await signIn.json()) as { requiredActions: string[] }).requiredActions).toEqual(['update_password']);
  });
});
