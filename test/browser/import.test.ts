// Importing users in a real browser: upload, fix a column mapping, read the problems, import the good rows while
// the progress bar moves, and find the new users in the directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, openConsole, screenshot, signIn } from './support.js';

const ROWS = 80_000;

function file(): Buffer {
  const lines = ['Username,Full Name,Contact,Time zone'];
  lines.push('ines.ortega,Inés Ortega,ines@example.com,Europe/Madrid');
  lines.push('bad.zone,Bad Zone,bad.zone@example.com,Mars/Olympus');
  lines.push('bad.mail,Bad Mail,not-an-address,UTC');
  for (let i = 0; i < ROWS; i++) lines.push(`bulk.${i},Bulk Agent${i},bulk.${i}@example.com,UTC`);
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

describe('import users', { timeout: 120_000 }, () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await openConsole();
    await signIn(h.page, h.server);
  });
  afterAll(() => h.close());

  it('uploads a file, fixes the mapping, reads the problems, imports and sees the new users', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Import users' }).click();
    await page.getByRole('heading', { name: 'Import users' }).waitFor();
    await page.getByLabel('File to import').setInputFiles({ name: 'agents.csv', mimeType: 'text/csv', buffer: file() });

    // "Contact" is not a known column: it starts ignored, and only the time zone problem shows.
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    const problems = page.getByRole('region', { name: 'Problems' });
    await expect.poll(() => page.getByTestId('bad-rows').textContent(), { timeout: 15_000 }).toBe('1');
    expect(await problems.getByRole('row').nth(1).textContent()).toContain('Time zone "Mars/Olympus" is unknown');
    expect(await page.getByLabel('Column C field').inputValue()).toBe('');

    await page.getByLabel('Column C field').selectOption('email');
    // Checking 80,000 rows again takes a moment on a busy machine.
    await expect.poll(() => page.getByTestId('bad-rows').textContent(), { timeout: 15_000 }).toBe('2');
    expect(await problems.textContent()).toContain('Email "not-an-address" is not a valid email address');
    await expect.poll(() => page.getByTestId('to-create').textContent(), { timeout: 15_000 }).toBe('80,001');
    // The cells with problems are highlighted in the preview.
    const flagged = page.locator('td.cell--problem');
    expect(await flagged.count()).toBe(2);
    expect(await flagged.first().getAttribute('title')).toContain('Mars/Olympus');
    await screenshot(page, 'import-preview', true);

    // All or nothing by default: the import button waits until the admin chooses to skip the bad rows.
    const importButton = page.getByRole('button', { name: /^Import 80,001 users$/ });
    expect(await importButton.isDisabled()).toBe(true);
    await page.getByLabel('Import the good rows and skip the rows with problems').check();
    await importButton.click();

    const bar = page.getByRole('progressbar', { name: 'Import progress' });
    await bar.waitFor();
    // The bar moves while the rows are written.
    await expect
      .poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000, interval: 100 })
      .toBeGreaterThan(0);
    await screenshot(page, 'import-progress');
    // A reload keeps following the same import.
    await page.reload();
    await page.getByText(/Imported agents\.csv: 80,001 created, 0 updated, 2 rows with problems skipped/).waitFor({
      timeout: 60_000,
    });
    await screenshot(page, 'import-report');
    expect(await page.getByRole('link', { name: 'Download 80,001 generated passwords' }).isVisible()).toBe(true);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download 80,001 generated passwords' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('passwords.csv');

    await page.getByRole('link', { name: 'See users' }).click();
    await page.getByRole('searchbox').fill('ines ortega');
    await page.getByText('ines.ortega').first().waitFor();
    await expect.poll(() => page.getByTestId('user-count').textContent()).toContain('80,002');
  });

  it('shows the encoding a Windows-1252 file was read in, and reads it again in the one the admin picks', async () => {
    const { page } = h;
    await page.goto(`${h.server.url}/import`);
    await page.getByRole('heading', { name: 'Import users' }).waitFor();
    // Excel's "CSV" on Windows: é is the single byte 0xE9.
    const latin = Buffer.concat([
      Buffer.from('Username;Full Name\r\nrene.faure;Ren'),
      Buffer.from([0xe9]),
      Buffer.from(' Faur'),
      Buffer.from([0xe9]),
      Buffer.from('\r\n'),
    ]);
    await page.getByLabel('File to import').setInputFiles({ name: 'excel.csv', mimeType: 'text/csv', buffer: latin });
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    const encoding = page.getByLabel('Encoding');
    await expect.poll(() => encoding.inputValue()).toBe('windows-1252');
    await page.getByRole('cell', { name: 'René Fauré' }).waitFor();
    await screenshot(page, 'import-encoding');
    const firstJob = new URL(page.url()).searchParams.get('job');

    await encoding.selectOption('utf-8');
    await page.getByRole('cell', { name: 'Ren\uFFFD Faur\uFFFD' }).waitFor();
    await expect.poll(() => new URL(page.url()).searchParams.get('job')).not.toBe(firstJob);
    await encoding.selectOption('windows-1252');
    await page.getByRole('cell', { name: 'René Fauré' }).waitFor();
  });
});
