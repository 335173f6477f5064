// Two admins editing the same user: the console sends the version it loaded the user at (If-Match), so a change
// someone made meanwhile is not overwritten silently; the admin is told, keeps what they typed, and can reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, createUsers, openConsole, screenshot, signIn } from './support.js';

describe('editing a user someone else changed meanwhile', { timeout: 90_000 }, () => {
  let h: ConsoleHarness;
  let id: number;
  beforeAll(async () => {
    h = await openConsole();
    [{ id }] = (await createUsers(h.server, [
      { username: 'ada.l', firstName: 'Ada', lastName: 'Byron', department: 'Maths' },
    ])) as [{ id: number; username: string }];
    await signIn(h.page, h.server);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('refuses the stale save with a clear message, keeps the typed value, and reloads their changes', async () => {
    const { page, server } = h;
    await page.goto(`/users/${id}`);
    await page.getByRole('heading', { name: 'Ada Byron' }).waitFor();

    // Another admin (here: the API) changes the user while the form is open.
    const theirs = await server.api(`/users/${id}`, { method: 'PATCH', body: { department: 'Analytical Engines' } });
    expect(theirs.status).toBe(200);

    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const message = page.getByText(
      'Someone else changed this user while you were editing. Reload to see their changes.',
    );
    await message.waitFor();
    // Said also in the bar the admin pressed Save in, far below the top of the page.
    const bar = page.locator('.sticky-actions');
    await bar.getByText('Not saved: someone else changed this user.').waitFor();
    expect(await page.getByLabel('Last name').inputValue()).toBe('Lovelace');
    await screenshot(page, 'user-etag-conflict-bar');
    await message.scrollIntoViewIfNeeded();
    await screenshot(page, 'user-etag-conflict');
    // Nothing was written: their change stands, ours is not in.
    const after = (await (await server.api(`/users/${id}`)).json()) as { lastName: string; department: string };
    expect(after).toMatchObject({ lastName: 'Byron', department: 'Analytical Engines' });

    await bar.getByRole('button', { name: 'Reload their changes' }).click();
    await page.getByText('Reloaded with their changes. Your edits are kept: check them and save again.').waitFor();
    expect(await page.getByLabel('Department').inputValue()).toBe('Analytical Engines');
    expect(await page.getByLabel('Last name').inputValue()).toBe('Lovelace');
    await screenshot(page, 'user-etag-reloaded');

    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('✓ Changes saved.').waitFor();
    const saved = (await (await server.api(`/users/${id}`)).json()) as { lastName: string; department: string };
    expect(saved).toMatchObject({ lastName: 'Lovelace', department: 'Analytical Engines' });

    // The console's own saves move its version along: a second edit saves without a conflict.
    await page.getByLabel('First name').fill('Augusta Ada');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('✓ Changes saved.').waitFor();
    expect(((await (await server.api(`/users/${id}`)).json()) as { firstName: string }).firstName).toBe('Augusta Ada');
  });
});
