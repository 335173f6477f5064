import { access, mkdir } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportJobStore } from '../../server/services/import/job-store.js';
import { STAGE_IN_THREAD_BYTES } from '../../server/services/import/stage-thread.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness, PASSWORD } from '../support/harness.js';
import { type Cells, csv, ods, odsFromTable, runImport, upload, xlsx } from '../support/import-files.js';

const HEADER = [
  'Username',
  'Full Name',
  'Email',
  'Profile',
  'Valid from',
  'Expiration',
  'Time zone',
  'Language',
  'Phone',
  'Password',
];

describe.each(DIALECTS)('imports (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  const users = async (client: Awaited<ReturnType<Harness['newAccount']>>['owner']) =>
    (await client.get('/users?limit=100&sort=username')).body.items as { username: string }[];

  it('imports a CSV with a header: extensions and passwords are generated, the admin gets them once and they work', async () => {
    const { owner, slug } = await h.newAccount();
    await owner.request('PUT', '/import-settings', { extensionFirst: 2000, extensionLast: 2999 });
    await h.buildUser(owner, { username: 'taken-ext', phone: '2000' });
    const file = csv([
      HEADER,
      ['alice', 'Alice Smith', 'alice@example.com', '', '2026-01-01', '2027-12-31', 'Europe/Rome', 'pt-br', '', ''],
      ['bob', 'Bob', '', '', '', '', '', '', '2001', 'Chosen-pass-2026!'],
    ]);
    const preview = await upload(h, owner, 'users.csv', file);
    expect(preview.status).toBe(201);
    expect(preview.body.hasHeader).toBe(true);
    expect(preview.body.mapping).toEqual([
      'username',
      'fullName',
      'email',
      'profile',
      'validFrom',
      'expiresAt',
      'timeZone',
      'language',
      'phone',
      'password',
    ]);
    expect(preview.body.counts).toMatchObject({ rows: 2, badRows: 0, toCreate: 2, toUpdate: 0 });
    expect(preview.body.preview[0].cells[0]).toBe('alice');
    // A password the file gives is never shown back.
    expect(preview.body.preview[1].cells[9]).toBe('••••••••');
    // Previewing writes nothing.
    expect((await users(owner)).map((u) => u.username)).not.toContain('alice');

    const done = await runImport(owner, preview.body.id);
    expect(done.body.status).toBe('done');
    expect(done.body.progress).toMatchObject({ created: 2, updated: 0, skipped: 0 });
    expect(done.body.generatedPasswords).toBe(1);
    expect((await owner.post(`/imports/${preview.body.id}/start`, {})).body.error.code).toBe('ImportDone');

    const list = await owner.get('/users?q=alice');
    const alice = list.body.items[0];
    expect(alice).toMatchObject({ firstName: 'Alice', lastName: 'Smith', email: 'alice@example.com', phone: '2002' });
    expect(alice).toMatchObject({ timeZone: 'Europe/Rome', language: 'pt-BR', validFrom: '2026-01-01T00:00:00.000Z' });
    expect((await owner.get('/users?q=bob')).body.items[0].phone).toBe('2001');
    expect((await owner.get('/users/facets')).body.total).toBe(4);

    const passwords = await owner.get(`/imports/${preview.body.id}/passwords.csv`);
    expect(passwords.status).toBe(200);
    const [, line] = passwords.text.replace('\uFEFF', '').trim().split('\r\n');
    const [username, generated] = (line as string).split(',');
    expect(username).toBe('alice');
    // Once only.
    expect((await owner.get(`/imports/${preview.body.id}/passwords.csv`)).status).toBe(404);

    // Alice signs in with the generated password and must choose her own first; Bob with the one given.
    const aliceSession = await h.signIn(slug, 'alice', generated as string);
    const me = await aliceSession.get('/users');
    expect(me.body.error.code).toBe('PasswordChangeRequired');
    const changed = await aliceSession.post('/auth/change-password', {
      currentPassword: generated,
      newPassword: PASSWORD,
    });
    expect(changed.status).toBe(200);
    await h.signIn(slug, 'alice', PASSWORD);
    const bob = await h.signIn(slug, 'bob', 'Chosen-pass-2026!');
    expect((await bob.get('/users')).body.error.code).toBe('PasswordChangeRequired');

    const audit = await owner.get('/audit?action=users.import');
    expect(audit.body.items[0].after).toMatchObject({ created: 2, updated: 0 });
  });

  it('finds usernames created after the preview: all or nothing names the row, good rows only skips it', async () => {
    const { owner } = await h.newAccount();
    const file = csv([
      HEADER,
      ['carol', 'Carol Diaz', '', '', '', '', '', '', '', ''],
      ['dave', 'Dave Eng', '', '', '', '', '', '', '', ''],
      ['erin', 'Erin Fox', '', '', '', '', '', '', '', ''],
    ]);
    const first = await upload(h, owner, 'users.csv', file);
    expect(first.body.counts).toMatchObject({ badRows: 0, toCreate: 3 });
    // Created by hand between the preview and the start.
    await h.buildUser(owner, { username: 'dave', firstName: 'Dave', lastName: 'Byhand' });

    const refused = await runImport(owner, first.body.id);
    expect(refused.body.status).toBe('failed');
    expect(refused.body.message).toBe('Row 3: Username dave already exists in the account. Nothing was written.');
    expect((await users(owner)).map((u) => u.username)).not.toContain('carol');

    const again = await upload(h, owner, 'users.csv', file);
    await h.buildUser(owner, { username: 'erin', firstName: 'Erin', lastName: 'Byhand' });
    const partial = await runImport(owner, again.body.id, { partial: true });
    expect(partial.body.status).toBe('done');
    // dave was a bad row of this preview; erin was taken after it.
    expect(partial.body.progress).toMatchObject({ created: 1, skipped: 2 });
    expect(partial.body.generatedPasswords).toBe(1);
    const passwords = await owner.get(`/imports/${again.body.id}/passwords.csv`);
    expect(
      passwords.text
        .replace('\uFEFF', '')
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(['carol']);
    const erin = (await owner.get('/users?q=erin')).body.items;
    expect(erin.map((u: { lastName: string }) => u.lastName)).toEqual(['Byhand']);
    expect((await owner.get('/users/facets')).body.total).toBe(4);
  });

  it('reads files without a header in the seed order, in UTF-8 with BOM, UTF-16 and with ; and tab', async () => {
    const { owner } = await h.newAccount();
    const rows = [
      ['ana', 'Ana Núñez', 'ana@example.com', '', '', '', '', '', '3001'],
      ['joão', 'João Ürban', '', '', '', '', 'America/Sao_Paulo', 'pt', ''],
    ];
    const variants: [string, Buffer][] = [
      ['a.csv', csv(rows, { encoding: 'utf8bom' })],
      ['b.csv', csv(rows, { delimiter: ';', encoding: 'utf16le' })],
      ['c.txt', csv(rows, { delimiter: '\t', encoding: 'utf16be' })],
      ['d.txt', csv(rows, { delimiter: ';' })],
    ];
    for (const [name, data] of variants) {
      const preview = await upload(h, owner, name, data);
      expect(preview.status, name).toBe(201);
      expect(preview.body.hasHeader, name).toBe(false);
      expect(preview.body.preview[1].cells.slice(0, 2), name).toEqual(['joão', 'João Ürban']);
      expect(preview.body.counts, name).toMatchObject({ rows: 2, badRows: 0, toCreate: 2 });
    }
    const last = await upload(h, owner, 'e.csv', csv(rows, { encoding: 'utf16le' }));
    expect((await runImport(owner, last.body.id)).body.status).toBe('done');
    const joao = (await owner.get('/users?q=joao')).body.items[0];
    expect(joao).toMatchObject({
      username: 'joão',
      firstName: 'João',
      lastName: 'Ürban',
      timeZone: 'America/Sao_Paulo',
    });
  });

  it('numbers CSV rows as a spreadsheet does: a quoted line break stays in its row, an empty line is a row', async () => {
    const { owner } = await h.newAccount();
    const file = Buffer.from(
      ['Username,Full Name,Email', 'ana,"Ana\nNúñez",ana@example.com', '', 'bea,Bea Ortiz,nope@'].join('\r\n'),
    );
    const preview = await upload(h, owner, 'rows.csv', file);
    expect(preview.status).toBe(201);
    expect(preview.body.preview.map((r: { row: number }) => r.row)).toEqual([2, 4]);
    // The line break stays in row 2, where a name may not hold one.
    expect(preview.body.problems).toMatchObject([
      { row: 2, column: 'B', code: 'BadCharacter' },
      { row: 4, column: 'C', code: 'BadEmail' },
    ]);
  });

  it('names every problem with its row and column, and counts users to create and update', async () => {
    const { owner } = await h.newAccount();
    await h.buildUser(owner, { username: 'existing' });
    const file = csv([
      HEADER,
      ['', 'No Username', '', '', '', '', '', '', '', ''],
      ['nofull', '', '', '', '', '', '', '', '', ''],
      ['bademail', 'Bad Email', 'nope@', '', '', '', '', '', '', ''],
      ['profile', 'Has Profile', '', 'Supervisors', '', '', '', '', '', ''],
      ['baddate', 'Bad Date', '', '', '2026-02-30', '03/04/2026', '', '', '', ''],
      ['dup', 'First Dup', '', '', '', '', '', '', '', ''],
      ['DUP', 'Second Dup', '', '', '', '', '', '', '', ''],
      ['existing', 'Already There', '', '', '', '', '', '', '', ''],
      ['badtz', 'Bad Zone', '', '', '', '', 'Moon/Base', 'english please', '', ''],
      ['weak', 'Weak Password', '', '', '', '', '', '', '', 'short'],
      ['bad user!', 'Bad Username', '', '', '', '', '', '', 'call me', ''],
      ['order', 'Dates Backwards', '', '', '2027-01-01', '2026-01-01', '', '', '', ''],
      ['good', 'Good Row', '', '', '', '', '', '', '', ''],
    ]);
    const preview = await upload(h, owner, 'problems.csv', file);
    expect(preview.status).toBe(201);
    const found = preview.body.problems.map(
      (p: { row: number; column: string; code: string }) => `${p.row}${p.column}:${p.code}`,
    );
    expect(found).toEqual([
      '2A:MissingRequired',
      '3B:MissingRequired',
      '4C:BadEmail',
      '5D:UnknownProfile',
      '6E:BadDate',
      '6F:BadDate',
      '8A:DuplicateInFile',
      '9A:UsernameTaken',
      '10G:BadTimeZone',
      '10H:BadLanguage',
      '11J:PasswordPolicy',
      '12A:BadUsername',
      '12I:BadPhone',
      '13F:DatesOutOfOrder',
    ]);
    expect(preview.body.problems[6].message).toBe('Username dup is also in row 7');
    expect(preview.body.counts).toMatchObject({ rows: 13, badRows: 11, toCreate: 2, toUpdate: 0 });

    // All or nothing: one bad row writes nothing.
    const refused = await owner.post(`/imports/${preview.body.id}/start`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ImportHasProblems');

    // Create and update: the existing username becomes an update.
    const upsert = await owner.patch(`/imports/${preview.body.id}`, { mode: 'upsert' });
    expect(upsert.body.counts).toMatchObject({ badRows: 10, toCreate: 2, toUpdate: 1 });

    // Good rows only: the bad ones come back as a file that reads back into the importer.
    const done = await runImport(owner, preview.body.id, { mode: 'upsert', partial: true });
    expect(done.body.status).toBe('done');
    expect(done.body.progress).toMatchObject({ created: 2, updated: 1, skipped: 10 });
    expect((await owner.get('/users?q=existing')).body.items[0].lastName).toBe('There');
    const bad = await owner.get(`/imports/${preview.body.id}/bad-rows.csv`);
    const lines = bad.text.replace('\uFEFF', '').trim().split('\r\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe(`${HEADER.join(',')},Problems`);
    expect(lines[3]).toContain('C: Email ""nope@"" is not a valid email address');
  });

  it('reads XLSX: dates as serial numbers and text in several formats; formulas and merged cells are reported', async () => {
    const { owner } = await h.newAccount();
    const file = await xlsx(
      [
        HEADER,
        ['x1', 'Xavier One', '', '', new Date(Date.UTC(2026, 0, 15)), '2027-06-30 08:00', '', 'es', 1001, ''],
        ['x2', 'Xavier Two', '', '', '15.01.2026', '2026/12/31', '', '', '', ''],
        ['x3', 'Xavier Three', '', '', 46037, '31/12/2026', '', '', '', ''],
        ['x4', { formula: 'CONCAT("a","b")' }, '', '', '', '', '', '', '', ''],
        ['x5', 'Merged Left', '', '', '', '', '', '', '', ''],
        ['x6', '', '', '', '', '', '', '', '', ''],
      ],
      'B6:B7',
    );
    const preview = await upload(h, owner, 'users.xlsx', file);
    expect(preview.status).toBe(201);
    expect(
      preview.body.problems.map((p: { row: number; column: string; code: string }) => `${p.row}${p.column}:${p.code}`),
    ).toEqual(['5B:Formula', '7B:MissingRequired']);
    await owner.patch(`/imports/${preview.body.id}`, {});
    const done = await runImport(owner, preview.body.id, { partial: true });
    expect(done.body.progress).toMatchObject({ created: 4, skipped: 2 });
    const byName = async (q: string) => (await owner.get(`/users?q=${q}`)).body.items[0];
    expect(await byName('x1')).toMatchObject({
      validFrom: '2026-01-15T00:00:00.000Z',
      expiresAt: '2027-06-30T08:00:00.000Z',
      phone: '1001',
      language: 'es',
    });
    expect(await byName('x2')).toMatchObject({
      validFrom: '2026-01-15T00:00:00.000Z',
      expiresAt: '2026-12-31T00:00:00.000Z',
    });
    expect(await byName('x3')).toMatchObject({
      validFrom: '2026-01-15T00:00:00.000Z',
      expiresAt: '2026-12-31T00:00:00.000Z',
    });
  });

  it('reads ODS: repeated and covered cells, dates, formulas, and a million empty rows', async () => {
    const { owner } = await h.newAccount();
    const file = ods(
      [
        HEADER,
        ['o1', 'Olga One', 'olga@example.com', null, new Date(Date.UTC(2026, 2, 1)), null, 'UTC', null, 4000, null],
        ['o2', { formula: '1+1' }],
      ],
      '<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>' +
        '<table:table-row><table:table-cell office:value-type="string"><text:p>o3</text:p></table:table-cell><table:covered-table-cell/>' +
        '<table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>' +
        '<table:table-row><table:table-cell office:value-type="string"><text:p>o4</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Otto<text:s text:c="2"/>Four</text:p></table:table-cell></table:table-row>',
    );
    const preview = await upload(h, owner, 'users.ods', file);
    expect(preview.status).toBe(201);
    const problems = preview.body.problems.map(
      (p: { row: number; column: string; code: string }) => `${p.row}${p.column}:${p.code}`,
    );
    expect(problems).toEqual(['3B:Formula', '1000004E:BadDate', '1000004B:MissingRequired']);
    const done = await runImport(owner, preview.body.id, { partial: true });
    expect(done.body.progress).toMatchObject({ created: 2, skipped: 2 });
    expect((await owner.get('/users?q=o1')).body.items[0]).toMatchObject({
      validFrom: '2026-03-01T00:00:00.000Z',
      phone: '4000',
      timeZone: 'UTC',
    });
    expect((await owner.get('/users?q=o4')).body.items[0]).toMatchObject({ firstName: 'Otto', lastName: 'Four' });
  });

  it('previews a large file while a thread stages it, with every problem and the columns of its widest row', async () => {
    const { owner } = await h.newAccount();
    await h.buildUser(owner, { username: 'existing' });
    const rows: Cells[] = [HEADER];
    for (let i = 1; i <= 20_000; i++) {
      const name = `user${String(i).padStart(5, '0')}`;
      rows.push([name, `Person ${name} Of The Large File`, `${name}@example.com`, '', '', '', '', '', '', '']);
    }
    rows[3] = ['bademail', 'Bad Email', 'nope@', '', '', '', '', '', '', ''];
    rows[12_345] = ['user00005', 'Second Five', '', '', '', '', '', '', '', ''];
    rows[19_999] = ['existing', 'Already There', '', '', '', '', '', '', '', ''];
    const file = csv(rows);
    expect(file.length).toBeGreaterThan(STAGE_IN_THREAD_BYTES);
    const preview = await upload(h, owner, 'large.csv', file);
    expect(preview.status).toBe(201);
    const codes = (reply: typeof preview) =>
      reply.body.problems.map((p: { row: number; column: string; code: string }) => `${p.row}${p.column}:${p.code}`);
    expect(codes(preview)).toEqual(['4C:BadEmail', '12346A:DuplicateInFile', '20000A:UsernameTaken']);
    expect(preview.body.problems[1].message).toBe('Username user00005 is also in row 6');
    expect(preview.body.counts).toMatchObject({ rows: 20_000, badRows: 3, toCreate: 19_997, toUpdate: 0 });
    expect(preview.body.preview[0].cells.slice(0, 2)).toEqual(['user00001', 'Person user00001 Of The Large File']);

    // Without a header row the columns go by position over the widest row, here one far past the first batches.
    const plain: Cells[] = [];
    for (let i = 1; i <= 20_000; i++) plain.push([`plain${i}`, `Plain Person Number ${i} Of A Rather Long Name`]);
    plain[14_999] = ['wide', 'Wide Row', 'nope@'];
    const plainFile = csv(plain);
    expect(plainFile.length).toBeGreaterThan(STAGE_IN_THREAD_BYTES);
    const positional = await upload(h, owner, 'plain.csv', plainFile);
    expect(positional.status).toBe(201);
    expect(positional.body.hasHeader).toBe(false);
    expect(positional.body.mapping).toEqual(['username', 'fullName', 'email']);
    expect(codes(positional)).toEqual(['15000C:BadEmail']);
    expect(positional.body.counts).toMatchObject({ rows: 20_000, badRows: 1, toCreate: 19_999 });
  });

  it('refuses bad files with a clear error and changes nothing', { timeout: 90_000 }, async () => {
    const { owner } = await h.newAccount();
    const before = (await owner.get('/users/facets')).body.total;
    const refused = async (name: string, data: Buffer | Uint8Array, code: string) => {
      const reply = await upload(h, owner, name, data);
      expect(reply.status, name).toBeGreaterThanOrEqual(400);
      expect(reply.body.error.code, name).toBe(code);
      expect(reply.body.error.message.length, name).toBeGreaterThan(10);
      return reply;
    };
    await refused('empty.csv', Buffer.alloc(0), 'EmptyFile');
    await refused('blank.csv', Buffer.from('\r\n\r\n,,,\r\n'), 'EmptyFile');
    await refused('header.csv', csv([HEADER]), 'HeaderOnly');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    await refused('image.xlsx', png, 'NotSpreadsheet');
    await refused('image.csv', Buffer.concat([png, Buffer.alloc(100)]), 'NotText');
    const good = await xlsx([HEADER, ['t1', 'Truncated File']]);
    await refused('truncated.xlsx', good.subarray(0, Math.floor(good.length / 2)), 'BrokenFile');
    // A password-protected workbook is an OLE compound file, not a zip.
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(4096)]);
    await refused('protected.xlsx', ole, 'Encrypted');
    const encryptedOds = odsFromTable('<table:table-row/>', {
      'META-INF/manifest.xml':
        '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>',
    });
    await refused('protected.ods', encryptedOds, 'Encrypted');
    await refused('notes.pdf', Buffer.from('hello'), 'UnsupportedFormat');
    // A zip bomb: 400 MB of zeros that zip to a few hundred kilobytes.
    const bomb = zipSync({
      '[Content_Types].xml': strToU8('<Types/>'),
      'xl/workbook.xml': strToU8('<workbook><sheets><sheet name="a" r:id="rId1"/></sheets></workbook>'),
      'xl/worksheets/sheet1.xml': new Uint8Array(400 * 1024 * 1024),
    });
    await refused('bomb.xlsx', bomb, 'ZipBomb');
    // A cell longer than any field, and a row longer than a megabyte.
    const long = await upload(h, owner, 'long.csv', csv([['longname', 'x'.repeat(5000)]]));
    expect(long.body.problems[0]).toMatchObject({ row: 1, column: 'B', code: 'TooLong' });
    await refused('huge-row.csv', Buffer.from(`a,${'y'.repeat(2 * 1024 * 1024)}\n`), 'RowTooLong');
    // More than 50 MB is refused from its declared length, before it is read.
    const tooBig = await upload(h, owner, 'big.csv', Buffer.from('a'), { 'content-length': String(51 * 1024 * 1024) });
    expect(tooBig.status).toBe(413);
    const streamed = await upload(h, owner, 'big.csv', Buffer.alloc(50 * 1024 * 1024 + 1, 97));
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('FileTooLarge');
    expect((await owner.get('/users/facets')).body.total).toBe(before);
  });

  it('lets the admin fix the mapping and the header choice', async () => {
    const { owner } = await h.newAccount();
    const file = csv([
      ['Login', 'Mail', 'Nombre'],
      ['m1', 'm1@example.com', 'Mapped One'],
    ]);
    const preview = await upload(h, owner, 'map.csv', file);
    expect(preview.body.mapping).toEqual(['username', 'email', 'fullName']);
    const swapped = await owner.patch(`/imports/${preview.body.id}`, { mapping: ['username', null, 'fullName'] });
    expect(swapped.body.mapping).toEqual(['username', null, 'fullName']);
    const invalid = await owner.patch(`/imports/${preview.body.id}`, { mapping: ['email', 'email', null] });
    expect(invalid.status).toBe(400);
    const noHeader = await owner.patch(`/imports/${preview.body.id}`, { hasHeader: false });
    expect(noHeader.body.counts.rows).toBe(2);
    // In the seed order the third column is Email: "Nombre" and "Mapped One" are not addresses.
    expect(noHeader.body.counts.badRows).toBe(2);
    const back = await owner.patch(`/imports/${preview.body.id}`, {
      hasHeader: true,
      mapping: ['username', 'email', 'fullName'],
    });
    expect(back.body.counts).toMatchObject({ rows: 1, badRows: 0 });
    const done = await runImport(owner, preview.body.id);
    expect(done.body.status).toBe('done');
    expect((await owner.get('/users?q=m1')).body.items[0].email).toBe('m1@example.com');
  });

  it('exports CSV and XLSX that the importer reads back (round trip), neutralizing formulas', async () => {
    const { owner } = await h.newAccount();
    await h.buildUser(owner, {
      username: 'round1',
      firstName: '=HYPERLINK("x")',
      lastName: 'Trip',
      email: 'r1@example.com',
      phone: '+1 555 0100',
      timeZone: 'Europe/Rome',
      language: 'it',
      department: 'Sales',
    });
    await h.buildUser(owner, {
      username: 'round2',
      firstName: 'Second',
      validFrom: '2026-01-01T00:00:00.000Z',
      expiresAt: '2027-01-01T00:00:00.000Z',
    });
    const exported = await owner.get('/users/export.csv?q=round');
    expect(exported.text).toContain(`'=HYPERLINK`);
    const xlsxReply = await h.app.request('/api/v1/users/export.xlsx?q=round', { headers: { cookie: owner.cookie } });
    expect(xlsxReply.headers.get('content-type')).toContain('spreadsheetml');
    const xlsxData = Buffer.from(await xlsxReply.arrayBuffer());
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsxData as never);
    // A string cell is never evaluated: XLSX keeps the text as it is, with no quote prefix.
    expect(book.worksheets[0]?.getCell('B2').text).toBe(`=HYPERLINK("x")`);
    expect(book.worksheets[0]?.getCell('B2').formula).toBeUndefined();

    for (const [name, data] of [
      ['users.csv', Buffer.from(exported.text)],
      ['users.xlsx', xlsxData],
    ] as const) {
      const other = await h.newAccount();
      const preview = await upload(h, other.owner, name, data);
      expect(preview.body.counts, name).toMatchObject({ rows: 2, badRows: 0, toCreate: 2 });
      expect((await runImport(other.owner, preview.body.id)).body.status).toBe('done');
      const copy = (await other.owner.get('/users?q=round1')).body.items[0];
      expect(copy, name).toMatchObject({
        firstName: '=HYPERLINK("x")',
        lastName: 'Trip',
        email: 'r1@example.com',
        phone: '+1 555 0100',
        timeZone: 'Europe/Rome',
        language: 'it',
        department: 'Sales',
      });
      const second = (await other.owner.get('/users?q=round2')).body.items[0];
      expect(second, name).toMatchObject({
        validFrom: '2026-01-01T00:00:00.000Z',
        expiresAt: '2027-01-01T00:00:00.000Z',
      });
    }
  });

  it('cancels a running import, writing nothing', async () => {
    const { owner } = await h.newAccount();
    const rows = Array.from({ length: 30_000 }, (_, i) => [`cancel${i}`, `Cancel Me${i}`]);
    const preview = await upload(h, owner, 'cancel.csv', csv(rows));
    const started = await owner.post(`/imports/${preview.body.id}/start`, {});
    expect(started.status).toBe(202);
    const cancelling = await owner.post(`/imports/${preview.body.id}/cancel`, {});
    expect(cancelling.status).toBe(200);
    let job = cancelling.body;
    for (let i = 0; i < 400 && job.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = (await owner.get(`/imports/${preview.body.id}`)).body;
    }
    expect(job.status).toBe('cancelled');
    expect(job.message).toBe('Cancelled: nothing was written');
    expect((await owner.get('/users/facets')).body.total).toBe(1);
    expect((await owner.post(`/imports/${preview.body.id}/cancel`, {})).status).toBe(409);
  });

  it('keeps imports to admins of their own account', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const preview = await upload(h, a.owner, 'a.csv', csv([['iso1', 'Isolated One']]));
    expect((await b.owner.get(`/imports/${preview.body.id}`)).status).toBe(404);
    expect((await b.owner.post(`/imports/${preview.body.id}/start`, {})).status).toBe(404);
    expect((await b.owner.get(`/imports/${preview.body.id}/bad-rows.csv`)).status).toBe(404);
    expect((await b.owner.get('/imports')).body.items).toEqual([]);
    await h.buildUser(a.owner, { username: 'agent1', password: PASSWORD });
    const agent = await h.signIn(a.slug, 'agent1', PASSWORD);
    expect((await upload(h, agent, 'x.csv', csv([['x', 'y']]))).status).toBe(403);
    expect((await agent.get(`/imports/${preview.body.id}`)).status).toBe(403);
    // Another admin of the same account sees the job but not the generated passwords.
    const done = await runImport(a.owner, preview.body.id);
    expect(done.body.generatedPasswords).toBe(1);
    await h.buildUser(a.owner, { username: 'admin2', password: PASSWORD, accessType: 'admin' });
    const admin2 = await h.signIn(a.slug, 'admin2', PASSWORD);
    expect((await admin2.get(`/imports/${preview.body.id}`)).body.status).toBe('done');
    expect((await admin2.get(`/imports/${preview.body.id}/passwords.csv`)).status).toBe(404);
  });

  it('licenses imported users by default under a pool, as far as its seats go', async () => {
    const { owner } = await h.newAccount();
    expect((await owner.request('PUT', '/licenses/pools/chat', { size: 2 })).status).toBe(200);
    expect((await owner.request('PUT', '/licenses/pools/voice_analytics', { size: 5000 })).status).toBe(200);
    const pool = await owner.request('PUT', '/licenses/pools/call_recording', { size: 9, licensedByDefault: false });
    expect(pool.status).toBe(200);
    const preview = await upload(
      h,
      owner,
      'pool.csv',
      csv([
        ['pool1', 'Pool One'],
        ['pool2', 'Pool Two'],
        ['pool3', 'Pool Three'],
      ]),
    );
    expect((await runImport(owner, preview.body.id)).body.status).toBe('done');
    const listed = (await owner.get('/users?q=pool&sort=username&limit=10')).body.items as {
      username: string;
      licenses: { app: string }[];
    }[];
    expect(listed.map((u) => [u.username, u.licenses.map((l) => l.app)])).toEqual([
      ['pool1', ['chat', 'voice_analytics']],
      ['pool2', ['chat', 'voice_analytics']],
      ['pool3', ['voice_analytics']],
    ]);
    const pools = (await owner.get('/licenses')).body;
    const chat = JSON.stringify(pools).match(/"application":"chat"[^}]*"used":(\d+)/)?.[1];
    expect(chat).toBe('2');
    const audit = await owner.get('/audit?action=users.import');
    expect(audit.body.items[0].after.defaultLicenses).toEqual({ chat: 2, voice_analytics: 3 });
  });

  it('writes batch after batch in order: a username taken in a middle batch writes nothing, seats go to the first rows', async () => {
    const { owner } = await h.newAccount();
    expect((await owner.request('PUT', '/licenses/pools/chat', { size: 4500 })).status).toBe(200);
    const rows: Cells[] = [];
    for (let i = 1; i <= 7000; i++) rows.push([`batch${String(i).padStart(4, '0')}`, `Batch Person ${i}`]);
    const file = csv(rows);
    const first = await upload(h, owner, 'batches.csv', file);
    expect(first.body.counts).toMatchObject({ badRows: 0, toCreate: 7000 });
    // Created by hand between the preview and the start (it takes a seat, as users created one at a time do).
    await h.buildUser(owner, { username: 'batch3000', firstName: 'Taken', lastName: 'Byhand' });
    const total = (await owner.get('/users/facets')).body.total;

    const refused = await runImport(owner, first.body.id);
    expect(refused.body.status).toBe('failed');
    expect(refused.body.message).toBe(
      'Row 3000: Username batch3000 already exists in the account. Nothing was written.',
    );
    expect((await owner.get('/users/facets')).body.total).toBe(total);
    expect((await owner.get('/users?q=batch0001')).body.items).toEqual([]);

    const again = await upload(h, owner, 'batches.csv', file);
    const done = await runImport(owner, again.body.id, { partial: true });
    expect(done.body.status).toBe('done');
    expect(done.body.progress).toMatchObject({ created: 6999, skipped: 1 });
    expect((await owner.get('/users/facets')).body.total).toBe(total + 6999);
    // 4,499 seats were left: rows 1-2999 and 3001-4500 take them, in the order of the file.
    const apps = async (username: string) =>
      ((await owner.get(`/users?q=${username}`)).body.items[0].licenses as { app: string }[]).map((l) => l.app);
    expect(await apps('batch0001')).toEqual(['chat']);
    expect(await apps('batch4500')).toEqual(['chat']);
    expect(await apps('batch4501')).toEqual([]);
    expect(await apps('batch7000')).toEqual([]);
    const pools = (await owner.get('/licenses')).body;
    expect(JSON.stringify(pools).match(/"application":"chat"[^}]*"used":(\d+)/)?.[1]).toBe('4500');
  });

  // Last: it moves the clock a week on, past every session of this file.
  it('removes staging folders a week after their job last changed, and expires uploads never imported', async () => {
    const { owner, slug } = await h.newAccount();
    const folder = (id: number) => (h.ctx.imports as unknown as { store: ImportJobStore }).store.dir(id);
    const exists = (path: string) =>
      access(path).then(
        () => true,
        () => false,
      );
    const waiting = await upload(h, owner, 'waiting.csv', csv([['later1', 'Later One']]));
    const imported = await upload(h, owner, 'imported.csv', csv([['now1', 'Now One']]));
    expect((await runImport(owner, imported.body.id)).body.status).toBe('done');
    const orphan = `${folder(999_999_999)}`;
    await mkdir(orphan, { recursive: true });
    // Nothing is old yet: only the folder no job owns goes.
    expect(await h.ctx.imports.sweep()).toBe(1);
    expect(await exists(orphan)).toBe(false);
    expect(await exists(folder(waiting.body.id))).toBe(true);

    h.clock.advance(8 * 24 * 60 * 60 * 1000);
    expect(await h.ctx.imports.sweep()).toBeGreaterThanOrEqual(2);
    expect(await exists(folder(waiting.body.id))).toBe(false);
    expect(await exists(folder(imported.body.id))).toBe(false);
    const signedIn = await h.signIn(slug, 'owner', PASSWORD);
    const job = await signedIn.get(`/imports/${waiting.body.id}`);
    expect(job.body).toMatchObject({ status: 'cancelled', message: expect.stringContaining('upload it again') });
    const retried = await signedIn.post(`/imports/${waiting.body.id}/start`, {});
    expect(retried.status).toBe(409);
    expect(retried.body.error.code).toBe('ImportExpired');
    expect((await signedIn.get(`/imports/${imported.body.id}`)).body.status).toBe('done');
  });
});

// An import at least as large as the users table drops the table's secondary indexes in its transaction and builds
// them again before it commits (SQLite): after it, or after one that fails, the schema is as it was.
describe('imports larger than the directory (sqlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('sqlite');
  });
  afterAll(() => h.close());

  const indexes = () =>
    h.ctx.database.sqlite
      ?.prepare(`select name, sql from sqlite_schema where type = 'index' and tbl_name = 'users' order by name`)
      .all();

  it('keeps every index of the users table, whether the import commits or fails', async () => {
    const { owner } = await h.newAccount();
    const before = indexes();
    expect(before?.length).toBeGreaterThan(10);
    const names = ['Zoe Adams', 'Yann Brown', 'Xia Chen', 'Walt Dunn', 'Vera Ekberg', 'Uma Fischer'];
    const file = csv([
      HEADER,
      ...names.map((name, i) => [`u${i}`, name, `u${i}@example.com`, '', '', '', '', '', '', '']),
    ]);
    const preview = await upload(h, owner, 'users.csv', file);
    expect(preview.body.counts).toMatchObject({ badRows: 0, toCreate: 6 });
    expect((await runImport(owner, preview.body.id)).body.status).toBe('done');
    expect(indexes()).toEqual(before);
    const byEmail = await owner.get('/users?sort=email&order=desc&limit=3');
    expect(byEmail.body.items.map((u: { username: string }) => u.username)).toEqual(['u5', 'u4', 'u3']);
    // The search index took every new user.
    const found = await owner.get('/users?q=isch');
    expect(found.body.items.map((u: { username: string }) => u.username)).toEqual(['u5']);

    const more = csv([
      HEADER,
      ...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((u) => [u, `${u} ${u}`, '', '', '', '', '', '', '', '']),
    ]);
    const second = await upload(h, owner, 'more.csv', more);
    await h.buildUser(owner, { username: 'h', firstName: 'H', lastName: 'Byhand' });
    const refused = await runImport(owner, second.body.id);
    expect(refused.body.status).toBe('failed');
    expect(indexes()).toEqual(before);
    expect((await owner.get('/users/facets')).body.total).toBe(8);
  });
});
