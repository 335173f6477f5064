// One-time codes and required actions in the console, with a real SMTP server: an invited user chooses a password,
// sets up a device from the page's secret, signs out and in again with a code; an admin asks for Verify Email and the
// user completes it from the mailed link; My profile shows where they are signed in.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { type ConsoleHarness, createUsers, openConsole, screenshot, signIn, submitSignIn } from './support.js';

const PASSWORD = 'Lighthouse-keeper-2026';
const linkIn = (text: string) => /https?:\/\/\S+#token=[A-Za-z0-9_-]{43}/.exec(text)?.[0] as string;

describe('one-time codes and required actions in the console', () => {
  let h: ConsoleHarness;
  let smtp: TestSmtp;
  let secret = '';
  let recoveryCodes: string[] = [];
  beforeAll(async () => {
    smtp = await startSmtp();
    h = await openConsole();
    const saved = await h.server.api('/mail/settings', {
      method: 'PUT',
      body: { smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'roster@example.com' } },
    });
    expect(saved.status).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  const code = (steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
      timestamp: Date.now() + steps * 30_000,
    });

  it('an admin asks a new user to set up one-time codes', async () => {
    const { page, server } = h;
    const [olga] = await createUsers(server, [
      { username: 'olga.otp', firstName: 'Olga', lastName: 'Otp', email: 'olga@example.com', sendInvitation: true },
    ]);
    await signIn(page, server);
    await page.goto(`/users/${olga?.id}`);
    await page.getByLabel('Configure OTP').check();
    await page.getByRole('button', { name: 'Save required actions' }).click();
    await page.getByText('Required actions saved.').waitFor();
    await screenshot(page, 'user-required-actions', true);
  });

  it('the user chooses a password, sets up a device from the page, and signs in again with a code', async () => {
    const [invitation] = await smtp.waitFor(1);
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(linkIn(invitation?.text ?? ''));
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Confirm the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await submitSignIn(page, 'olga.otp', PASSWORD);

    await page.getByRole('heading', { name: 'Set up one-time codes' }).waitFor();
    await page.getByRole('button', { name: 'Set up my device' }).click();
    secret = ((await page.getByTestId('otp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'otp-setup');
    await page.getByLabel('Code from the app').fill(code());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    recoveryCodes = (await page.getByTestId('recovery-codes').locator('code').allTextContents()).map((c) => c.trim());
    expect(recoveryCodes).toHaveLength(10);
    await screenshot(page, 'otp-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByRole('heading', { name: 'My profile' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await submitSignIn(page, 'olga.otp', PASSWORD);
    await page.getByRole('heading', { name: 'Enter your one-time code' }).waitFor();
    await page.getByLabel('Code', { exact: true }).fill('123456');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That code is not right').waitFor();
    await screenshot(page, 'otp-sign-in-wrong-code');
    // The next step's code: the one that confirmed the device cannot be used again.
    await page.getByLabel('Code', { exact: true }).fill(code(1));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    await page.getByText('Password + code').first().waitFor();
    await screenshot(page, 'my-profile-security', true);
    await context.close();
  });

  it('an admin sets Verify Email, and the user confirms the address from the mailed link', async () => {
    const users = (await (await h.server.api('/users?q=olga.otp')).json()) as { items: { id: number }[] };
    const id = users.items[0]?.id;
    const set = await h.server.api(`/users/${id}`, { method: 'PATCH', body: { requiredActions: ['verify_email'] } });
    expect(set.status).toBe(200);
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${h.server.url}/sign-in`);
    await submitSignIn(page, 'olga.otp', PASSWORD);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCodes[0] as string);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    const before = smtp.mails.length;
    await page.getByRole('button', { name: 'Send me the link' }).click();
    await page.getByText('We sent a link to').waitFor();
    await screenshot(page, 'verify-email-required');
    const mails = await smtp.waitFor(before + 1);
    const mail = mails.filter((m) => /Confirm your email/.test(m.subject)).at(-1);
    await page.goto(linkIn(mail?.text ?? ''));
    await page.getByRole('heading', { name: 'Your email address is confirmed' }).waitFor();
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    await page.getByText('olga@example.com (verified)').waitFor();
    await context.close();
  });
});
