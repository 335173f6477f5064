// Single sign-on in the console: an admin adds an identity provider (a real oidc-provider on a loopback port),
// signs out, signs in with it at the provider's own pages, and lands in the console signed in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestProvider } from '../support/oidc-provider.js';
import { type ConsoleHarness, openConsole, screenshot, signIn } from './support.js';

describe('single sign-on', { timeout: 90_000 }, () => {
  let h: ConsoleHarness;
  let idp: TestProvider;
  let ownerId: number;
  beforeAll(async () => {
    h = await openConsole();
    idp = await startOidcProvider([`${h.server.url}/api/v1/auth/sso/callback`]);
    const session = await (await h.server.api('/session')).json();
    ownerId = session.user.id;
    const changed = await h.server.api(`/users/${ownerId}`, {
      method: 'PATCH',
      body: { email: 'owner@acme.example' },
    });
    expect(changed.status).toBe(200);
    idp.people.set('owner-at-acme', {
      sub: 'owner-at-acme',
      email: 'owner@acme.example',
      email_verified: true,
      given_name: 'Olive',
      family_name: 'Owner',
    });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('an admin adds a provider, signs out, and signs in through it', async () => {
    const { page, server } = h;
    await signIn(page, server);
    await page.goto('/security');
    const section = page.getByRole('region', { name: 'Single sign-on' });
    await section.getByText('No identity provider yet').waitFor();
    expect(await section.getByLabel('Redirect URI to register at the provider').inputValue()).toBe(
      `${server.url}/api/v1/auth/sso/callback`,
    );

    await section.getByRole('button', { name: 'Add provider' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add an identity provider' });
    await dialog.getByLabel('Name', { exact: true }).fill('Acme Login');
    expect(await dialog.getByLabel('Slug', { exact: true }).inputValue()).toBe('acme-login');
    // A wrong issuer is refused with the reason next to the field.
    await dialog.getByLabel('Issuer URL').fill('http://127.0.0.1:9/nothing');
    await dialog.getByLabel('Client ID').fill(idp.clientId);
    await dialog.getByLabel('Client secret').fill(idp.clientSecret);
    await dialog.getByRole('button', { name: 'Add provider' }).click();
    await dialog.getByText(/could not read the OpenID Connect configuration/).waitFor();
    await screenshot(page, 'sso-provider-issuer-error');
    await dialog.getByLabel('Issuer URL').fill(idp.issuer);
    await dialog.getByRole('switch', { name: 'Link existing users by verified email' }).check();
    await screenshot(page, 'sso-provider-dialog');
    await dialog.getByRole('button', { name: 'Add provider' }).click();
    await section.getByText('Acme Login was added.').waitFor();
    await section.getByRole('cell', { name: 'Acme Login Enabled acme-login' }).waitFor();
    await expect.poll(() => section.getByText('Links verified emails').count()).toBe(1);
    await screenshot(page, 'sso-providers', true);

    // Editing keeps the secret when it is left blank.
    await section.getByRole('button', { name: 'Edit Acme Login' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Acme Login' });
    expect(await edit.getByLabel('Client secret').inputValue()).toBe('');
    expect(await edit.getByLabel('Client secret').getAttribute('placeholder')).toBe('Leave blank to keep');
    await edit.getByRole('button', { name: 'Save' }).click();
    await section.getByText('Acme Login was saved.').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const button = page.getByRole('link', { name: 'Sign in with Acme Login' });
    await button.waitFor();
    await screenshot(page, 'sso-sign-in-page');
    await button.click();

    // The provider's own pages: sign in, then consent.
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill('owner-at-acme');
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(new URL(page.url()).origin).toBe(server.url);
    await screenshot(page, 'sso-signed-in');

    await page.goto(`/users/${ownerId}`);
    const identities = page.getByRole('region', { name: 'Single sign-on identities' });
    await identities.getByRole('cell', { name: 'Acme Login', exact: true }).waitFor();
    await identities.getByRole('cell', { name: 'owner-at-acme' }).waitFor();
    await screenshot(page, 'sso-user-identities', true);

    await identities.getByRole('button', { name: 'Unlink Acme Login' }).click();
    const confirm = page.getByRole('dialog', { name: 'Unlink Acme Login?' });
    await screenshot(page, 'sso-unlink-confirm');
    await confirm.getByRole('button', { name: 'Unlink' }).click();
    await expect.poll(() => identities.count()).toBe(0);
    const left = await (await server.api(`/users/${ownerId}/identities`)).json();
    expect(left.items).toEqual([]);
  });

  it('says why a sign-in through a provider failed', async () => {
    const { page, server } = h;
    await page.context().clearCookies();
    await page.goto(`/sign-in?account=${server.accountSlug}&sso_error=NotLinked`);
    await page.getByRole('alert').getByText('No Roster user is linked to this sign-in; ask an admin.').waitFor();
    await page.goto(`/sign-in?account=${server.accountSlug}&sso_error=<script>alert(1)</script>`);
    await page.getByRole('alert').getByText('Single sign-on failed. Try again.').waitFor();
    // A code that names a property of every object is no message either.
    await page.goto(`/sign-in?account=${server.accountSlug}&sso_error=constructor`);
    await page.getByRole('alert').getByText('Single sign-on failed. Try again.').waitFor();
    await screenshot(page, 'sso-sign-in-error');
  });
});
