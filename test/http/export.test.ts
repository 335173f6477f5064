// The user export: phones stay numbers, only what a spreadsheet would run is neutralized (CSV), XLSX text is typed
// strings and dates are date cells, and no control character reaches the file.
import ExcelJS from 'exceljs';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';

function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (quoted) {
      if (char === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && body[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  return rows;
}

describe.each(DIALECTS)('user export (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('keeps phone numbers as they are and neutralizes only what would run as a formula', async () => {
    const { owner } = await h.newAccount();
    const people = [
      { username: 'spain', firstName: 'Ana', lastName: 'Ruiz', phone: '+34 612 34 56 78' },
      { username: 'mexico', firstName: 'Luis', lastName: '-(55) 1234.5678', phone: '+52 (55) 1234-5678' },
      { username: 'evil', firstName: '=HYPERLINK("http://evil")', lastName: '+cmd|calc', phone: '2001' },
      { username: 'evil2', firstName: '@SUM(A1)', lastName: '-2+3', department: '+Sales' },
    ];
    for (const person of people) await h.buildUser(owner, person);
    const reply = await owner.get('/users/export.csv?sort=username');
    expect(reply.status).toBe(200);
    const rows = csvRows(reply.text);
    const header = rows[0] as string[];
    const at = (username: string, column: string) => rows.find((row) => row[0] === username)?.[header.indexOf(column)];
    expect(at('spain', 'Phone')).toBe('+34 612 34 56 78');
    expect(at('mexico', 'Phone')).toBe('+52 (55) 1234-5678');
    expect(at('mexico', 'Last name')).toBe('-(55) 1234.5678');
    expect(at('evil', 'First name')).toBe(`'=HYPERLINK("http://evil")`);
    expect(at('evil', 'Last name')).toBe(`'+cmd|calc`);
    expect(at('evil2', 'First name')).toBe(`'@SUM(A1)`);
    expect(at('evil2', 'Last name')).toBe(`'-2+3`);
    expect(at('evil2', 'Department')).toBe(`'+Sales`);
    expect(reply.text).not.toContain(`'+34`);
    expect(reply.text).not.toContain(`'+52`);
  });

  it('writes XLSX text as inline strings without a quote prefix, and dates as date cells', async () => {
    const { owner } = await h.newAccount();
    await h.buildUser(owner, {
      username: 'dated',
      firstName: '=1+1',
      lastName: 'Dated',
      phone: '+52 55 1234 5678',
      validFrom: '2026-01-01T08:30:00.000Z',
      expiresAt: '2027-06-30T00:00:00.000Z',
    });
    const response = await h.app.request('/api/v1/users/export.xlsx?q=dated', { headers: { cookie: owner.cookie } });
    expect(response.status).toBe(200);
    const data = new Uint8Array(await response.arrayBuffer());
    const sheetXml = strFromU8(unzipSync(data)['xl/worksheets/sheet1.xml'] as Uint8Array);
    // No formula anywhere, and no text cell typed as a formula's result.
    expect(sheetXml).not.toContain('<f>');
    expect(sheetXml).not.toContain('t="str"');
    expect(sheetXml).toContain('t="inlineStr"');

    const book = new ExcelJS.Workbook();
    await book.xlsx.load(data as never);
    const sheet = book.worksheets[0] as ExcelJS.Worksheet;
    const header: string[] = [];
    sheet.getRow(1).eachCell((cell) => {
      header.push(cell.text);
    });
    const cell = (column: string) => sheet.getRow(2).getCell(header.indexOf(column) + 1);
    expect(cell('Phone').text).toBe('+52 55 1234 5678');
    expect(cell('First name').text).toBe('=1+1');
    expect(cell('First name').formula).toBeUndefined();
    for (const [column, iso] of [
      ['Valid from', '2026-01-01T08:30:00.000Z'],
      ['Expiration', '2027-06-30T00:00:00.000Z'],
    ] as const) {
      expect(cell(column).type, column).toBe(ExcelJS.ValueType.Date);
      expect((cell(column).value as Date).toISOString()).toBe(iso);
      expect(cell(column).numFmt).toBe('yyyy-mm-dd hh:mm');
    }
    expect(cell('Created').type).toBe(ExcelJS.ValueType.Date);
  });

  it('never writes a raw NUL or other control character, even one already in the database', async () => {
    const { owner, accountId } = await h.newAccount();
    const user = await h.buildUser(owner, { username: 'controls', firstName: 'Ctl', lastName: 'Chars' });
    // PostgreSQL text cannot hold NUL at all; SQLite can, so the export must cope with it.
    const lastName = dialect === 'sqlite' ? 'Nul\u0000Byte\u0001\u001b[31m\u007f' : 'Esc\u001b[31m\u0001\u0085';
    await h.db
      .updateTable('users')
      .set({ last_name: lastName, department: 'Ops\u0007' })
      .where('id', '=', user.id)
      .where('account_id', '=', accountId)
      .execute();
    const csv = await owner.get('/users/export.csv?sort=username');
    expect(csv.status).toBe(200);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters.
    expect(csv.text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    const row = csvRows(csv.text).find((cells) => cells[0] === 'controls') as string[];
    expect(row[2]).toBe(lastName.replace(/[^\p{L}\p{N}[ ]/gu, '\uFFFD'));
    expect(row[5]).toBe('Ops\uFFFD');

    const response = await h.app.request('/api/v1/users/export.xlsx', { headers: { cookie: owner.cookie } });
    const data = new Uint8Array(await response.arrayBuffer());
    const sheetXml = strFromU8(unzipSync(data)['xl/worksheets/sheet1.xml'] as Uint8Array);
    // XML 1.0 cannot carry these characters at all: a file holding one is refused by Excel as damaged.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters.
    expect(sheetXml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(data as never);
    expect(book.worksheets[0]?.getRow(2).getCell(3).text).toBe(row[2]);
  });
});
