// Mail in the console, with a real SMTP server: an admin sets the mail server and sends a test mail, creates a user
// with an invitation, the user follows the mailed link and chooses a password; a user who forgot their password gets
// a link from the sign-in page; the outbox shows what was sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp, type TestSmtp, tokenIn } from '../support/smtp.js';
import { type ConsoleHarness, openConsole, screenshot, signIn, submitSignIn } from './support.js';

const CHOSEN = 'Quiet-harbour-lantern-42';

describe('mail in the console', () => {
  let h: ConsoleHarness;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
    h = await openConsole();
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  it('sets the mail server and sends a test mail', async () => {
    const { page, server } = h;
    await server.api('/users/1', { method: 'PATCH', body: { email: 'owner@example.com' } });
    await signIn(page, server);
    await page.getByRole('link', { name: 'Sign-in security' }).click();
    await page.getByText('No mail server is set').waitFor();
    await page.getByLabel("Use this account's own mail server (SMTP)").check();
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Security').selectOption('none');
    await page.getByLabel('Port').fill(String(smtp.port));
    await page.getByLabel('From').fill('Roster <roster@example.com>');
    await page.getByRole('button', { name: 'Save mail settings' }).click();
    await page.getByText('Mail settings saved.').waitFor();
    await page.getByRole('button', { name: 'Send me a test mail' }).click();
    await page.getByText('A test mail to owner@example.com is on its way').waitFor();
    const [mail] = await smtp.waitFor(1);
    expect(mail?.to).toBe('owner@example.com');
    expect(mail?.subject).toMatch(/^Test mail from Roster/);
    await screenshot(page, 'mail-settings', true);
  });

  it('invites a new user, who chooses a password through the mailed link and signs in', async () => {
    const { page, browser } = h;
    await page.goto('/users/new');
    await page.getByLabel('Username').fill('ivy.invited');
    await page.getByLabel('First name').fill('Ivy');
    await page.getByLabel('Last name').fill('Invited');
    await page.getByLabel('Email', { exact: true }).fill('ivy@example.com');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(
      page.getByLabel('Mail ivy@example.com an invitation to choose their own password').isChecked(),
    ).resolves.toBe(true);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Ivy Invited was created.').waitFor();
    await page.locator('.user-heading__meta').getByText('Invited', { exact: true }).waitFor();

    const mails = await smtp.waitFor(2);
    const invitation = mails.find((m) => m.to === 'ivy@example.com');
    expect(invitation?.subject).toMatch(/^You are invited to /);
    const link = /https?:\/\/\S+#token=[A-Za-z0-9_-]{43}/.exec(invitation?.text ?? '')?.[0];
    expect(link).toBeDefined();

    // The invited person opens the link in their own browser.
    const theirs = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const guest = await theirs.newPage();
    await guest.goto(link as string);
    await guest.getByRole('heading', { name: /Welcome to / }).waitFor();
    // The account's rules show as they type, without a session.
    await guest.getByLabel('New password').fill('ivy.invited-2026');
    await guest
      .getByTestId('password-first-failing')
      .getByText(/username/i)
      .waitFor();
    await guest.getByLabel('New password').fill('short');
    await guest
      .getByTestId('password-first-failing')
      .getByText(/at least 15 characters/i)
      .waitFor();
    await guest.getByLabel('New password').fill(CHOSEN);
    await guest
      .getByTestId('password-first-failing')
      .getByText(/checked when you save|rules checked here/)
      .waitFor();
    await guest.getByLabel('Confirm the password').fill(CHOSEN);
    await screenshot(guest, 'invitation-choose-password');
    await guest.getByRole('button', { name: 'Set password' }).click();
    await guest.getByRole('heading', { name: 'Your password is set' }).waitFor();
    // The same link clicked again (a new tab) explains itself.
    const again = await theirs.newPage();
    await again.goto(link as string);
    await again.getByRole('heading', { name: 'This link has already been used' }).waitFor();
    await screenshot(again, 'invitation-link-used');
    await again.close();
    await guest.goto(`${h.server.url}/sign-in`);
    await submitSignIn(guest, 'ivy.invited', CHOSEN);
    await guest.getByRole('heading', { name: 'My profile' }).waitFor();
    await theirs.close();

    await page.reload();
    await page.locator('.user-heading__meta').getByText('Active', { exact: true }).waitFor();
  });

  it('sends a reset link from the sign-in page, and the new password works', async () => {
    const { browser } = h;
    const theirs = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const guest = await theirs.newPage();
    await guest.goto(`${h.server.url}/sign-in`);
    await guest.getByRole('link', { name: 'Forgot password?' }).click();
    await guest.getByLabel('Username or email').fill('IVY@example.com');
    await guest.getByRole('button', { name: 'Send me a link' }).click();
    await guest.getByRole('heading', { name: 'Check your mail' }).waitFor();
    await screenshot(guest, 'forgot-password-sent');
    const mails = await smtp.waitFor(3);
    const reset = mails.at(-1);
    expect(reset?.subject).toMatch(/^Reset your password/);
    await guest.goto(`${h.server.url}/reset-password#token=${tokenIn(reset?.text ?? '')}`);
    await guest.getByLabel('New password').fill('Second-quiet-harbour-99');
    await guest.getByLabel('Confirm the password').fill('Second-quiet-harbour-99');
    await guest.getByRole('button', { name: 'Set password' }).click();
    await guest.getByRole('link', { name: 'Sign in' }).click();
    await submitSignIn(guest, 'ivy.invited', 'Second-quiet-harbour-99');
    await guest.getByRole('heading', { name: 'My profile' }).waitFor();
    await theirs.close();
  });

  it('shows the outbox with what was sent and no link left in delivered mails', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Outbox' }).click();
    const rows = page.locator('tbody tr');
    await rows.first().getByText('Sent', { exact: true }).waitFor();
    const invitation = rows.filter({ hasText: 'You are invited' });
    await invitation.getByText('Sent', { exact: true }).waitFor();
    await invitation.getByRole('button', { name: /^Open/ }).click();
    await page.locator('.mail-body').getByText('[link delivered by mail]').waitFor();
    await screenshot(page, 'outbox-open-mail');
    await page.getByRole('button', { name: 'Close' }).click();
    await screenshot(page, 'outbox');
  });
});
