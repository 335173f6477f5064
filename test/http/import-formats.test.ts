// Spreadsheets and text files as other programs write them (Excel, LibreOffice, Numbers, Google Sheets, WPS, other
// libraries), built part by part to the formats (ECMA-376 / ISO 29500 transitional and strict, ODF 1.2/1.3), read
// by the importer's readers and through the API.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpreadsheet, type SpreadsheetKind, shiftFormula } from '../../server/services/import/read-spreadsheet.js';
import { detectLayout } from '../../server/services/import/read-text.js';
import type { SheetRow } from '../../server/services/import/sheet.js';
import { DIALECTS } from '../support/databases.js';
import { createHarness, type Harness } from '../support/harness.js';
import { odsFromTable, upload } from '../support/import-files.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function read(data: Buffer | Uint8Array, kind: SpreadsheetKind): Promise<SheetRow[]> {
  const path = join(dir, `file-${++files}`);
  writeFileSync(path, data);
  const rows: SheetRow[] = [];
  for await (const row of (await openSpreadsheet(path, kind)).rows()) rows.push(row);
  return rows;
}

const cellsOf = (rows: SheetRow[]) => rows.map((row) => row.cells);

/** A zip of the given parts, as an OPC package or an ODF document is. */
const pack = (parts: Record<string, string>) =>
  Buffer.from(zipSync(Object.fromEntries(Object.entries(parts).map(([name, text]) => [name, strToU8(text)]))));

const TRANSITIONAL = {
  main: 'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
  rel: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
};
const STRICT = {
  main: 'http://purl.oclc.org/ooxml/spreadsheetml/main',
  rel: 'http://purl.oclc.org/ooxml/officeDocument/relationships',
};

/** Rows of `<c>` XML as a worksheet part, with an optional element prefix (`x:` as some writers use). */
function worksheet(rows: string[], ns = TRANSITIONAL, prefix = '') {
  const p = prefix ? `${prefix}:` : '';
  const xmlns = prefix ? `xmlns:${prefix}="${ns.main}"` : `xmlns="${ns.main}"`;
  const body = rows.map((cells, i) => `<${p}row r="${i + 1}">${cells}</${p}row>`).join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><${p}worksheet ${xmlns}><${p}sheetData>${body}</${p}sheetData></${p}worksheet>`;
}

const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

describe('XLSX: the workbook found the way the format says', () => {
  it('follows the package relationships to a workbook of any name, with backslashes, prefixes and case', async () => {
    const ns = TRANSITIONAL;
    const file = pack({
      '[Content_Types].xml': '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
      '_rels/.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${ns.rel}/officeDocument" Target="/Book/Main.xml"/></Relationships>`,
      'Book/Main.xml': `<x:workbook xmlns:x="${ns.main}" xmlns:r="${ns.rel}"><x:workbookPr/><x:sheets><x:sheet name="Chart" sheetId="2" r:id="rIdChart"/><x:sheet name="Users" sheetId="1" r:id="rIdUsers"/></x:sheets></x:workbook>`,
      // A writer that puts backslashes in targets and differs in case from the part names.
      'Book/_rels/Main.xml.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdChart" Type="${ns.rel}/chartsheet" Target="charts\\chart1.xml"/><Relationship Id="rIdUsers" Type="${ns.rel}/worksheet" Target="Sheets\\Users.xml"/><Relationship Id="rIdS" Type="${ns.rel}/sharedStrings" Target="strings.XML"/></Relationships>`,
      'Book/charts/chart1.xml': `<chartsheet xmlns="${ns.main}"/>`,
      'Book/sheets/users.xml': worksheet(
        ['<x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>'],
        ns,
        'x',
      ),
      'Book/Strings.xml': `<x:sst xmlns:x="${ns.main}"><x:si><x:t>ana</x:t></x:si><x:si><x:t>Ana Lima</x:t></x:si></x:sst>`,
    });
    expect(cellsOf(await read(file, 'xlsx'))).toEqual([['ana', 'Ana Lima']]);
  });

  it('reads strict (ISO 29500) workbooks and skips chart, dialog and macro sheets', async () => {
    const ns = STRICT;
    const file = pack({
      '_rels/.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="${ns.rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      'xl/workbook.xml': `<workbook xmlns="${ns.main}" xmlns:r="${ns.rel}"><sheets><sheet name="M" sheetId="1" r:id="m"/><sheet name="D" sheetId="2" r:id="d"/><sheet name="U" sheetId="3" r:id="u"/></sheets></workbook>`,
      'xl/_rels/workbook.xml.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="m" Type="http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/><Relationship Id="d" Type="${ns.rel}/dialogsheet" Target="dialogsheets/sheet1.xml"/><Relationship Id="u" Type="${ns.rel}/worksheet" Target="worksheets/sheet9.xml"/></Relationships>`,
      'xl/macrosheets/sheet1.xml': worksheet([inline('A1', 'macro')], ns),
      'xl/dialogsheets/sheet1.xml': worksheet([inline('A1', 'dialog')], ns),
      'xl/worksheets/sheet9.xml': worksheet([inline('A1', 'strict') + inline('B1', 'Strict User')], ns),
    });
    expect(cellsOf(await read(file, 'xlsx'))).toEqual([['strict', 'Strict User']]);
  });

  it('reads cell values as the spec writes them', async () => {
    const ns = TRANSITIONAL;
    const rows = [
      // Inline strings: CDATA, rich text runs, and a <v> beside the <is> that is not the text.
      `<c r="A1" t="inlineStr"><is><t><![CDATA[a<b>&c]]></t></is></c><c r="B1" t="inlineStr"><v>9</v><is><r><t>Jo</t></r><r><rPr><b/></rPr><t xml:space="preserve">sé Díaz</t></r></is></c>`,
      // Escapes: _x000D_ is a carriage return, _x005F_ keeps the text _x000D_ literal; an empty <v/> is empty.
      `<c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v/></c><c r="D2" t="s"><v>2</v></c>`,
      // A date (style 1 is a date format) in a 1904 workbook, and a plain number in the same workbook.
      `<c r="A3" s="1"><v>45000</v></c><c r="B3"><v>45000</v></c><c r="C3" t="b"><v>1</v></c>`,
    ];
    const file = pack({
      '_rels/.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="${ns.rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      'xl/workbook.xml': `<workbook xmlns="${ns.main}" xmlns:r="${ns.rel}"><workbookPr date1904="1"/><sheets><sheet name="S" sheetId="1" r:id="s1"/></sheets></workbook>`,
      'xl/_rels/workbook.xml.rels': `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="s1" Type="${ns.rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="st" Type="${ns.rel}/styles" Target="styles.xml"/><Relationship Id="ss" Type="${ns.rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
      'xl/worksheets/sheet1.xml': worksheet(rows, ns),
      'xl/styles.xml': `<styleSheet xmlns="${ns.main}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>`,
      'xl/sharedStrings.xml': `<sst xmlns="${ns.main}"><si><t>line_x000D_break</t></si><si><t>_x005F_x000D_ stays</t></si><si><r><t>山田</t></r><rPh sb="0" eb="2"><t>ヤマダ</t></rPh></si></sst>`,
    });
    expect(cellsOf(await read(file, 'xlsx'))).toEqual([
      ['a<b>&c', 'José Díaz'],
      ['line\rbreak', '_x000D_ stays', null, '山田'],
      // 45000 in the 1904 system is 46462 in the 1900 system the importer reads serial dates in.
      [45000 + 1462, 45000, 'TRUE'],
    ]);
  });

  it('shows a shared formula as its follower cell holds it', async () => {
    expect(shiftFormula('A2*2+$B$1+SUM(C2:C9)+"A1"', 3, 1)).toBe('B5*2+$B$1+SUM(D5:D12)+"A1"');
    expect(shiftFormula('LOG10(A1)', 1, 0)).toBe('LOG10(A2)');
    const ns = TRANSITIONAL;
    const file = pack({
      'xl/workbook.xml': `<workbook xmlns="${ns.main}"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`,
      'xl/worksheets/sheet1.xml': worksheet(
        [
          `<c r="A1"><f t="shared" ref="A1:A3" si="0">B1&amp;"x"</f><v>1</v></c>`,
          `<c r="A2"><f t="shared" si="0"/><v>1</v></c>`,
          `<c r="A3"><f t="shared" si="0"/><v>1</v></c>`,
        ],
        ns,
      ),
    });
    expect(cellsOf(await read(file, 'xlsx'))).toEqual([
      [{ formula: 'B1&"x"' }],
      [{ formula: 'B2&"x"' }],
      [{ formula: 'B3&"x"' }],
    ]);
  });
});

describe('ODS and FODS', () => {
  it('refuses a sheet of repeated cells before expanding it, and reads LibreOffice padding at no cost', async () => {
    const bomb = odsFromTable(
      '<table:table-row table:number-rows-repeated="999999999"><table:table-cell table:number-columns-repeated="999999999" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>',
    );
    expect(bomb.length).toBeLessThan(2000);
    const started = Date.now();
    await expect(read(bomb, 'ods')).rejects.toMatchObject({ code: 'ZipBomb' });
    expect(Date.now() - started).toBeLessThan(2000);

    // What LibreOffice writes: content, then empty cells to the last column and empty rows to the last row.
    const padded = odsFromTable(
      '<table:table-row><table:table-cell office:value-type="string"><text:p>ana</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Ana</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16382"/></table:table-row>' +
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>' +
        '<table:table-row><table:table-cell office:value-type="string"><text:p>bo</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Bo</text:p></table:table-cell></table:table-row>',
    );
    const rows = await read(padded, 'ods');
    expect(rows.map((row) => [row.row, row.cells.slice(0, 2)])).toEqual([
      [1, ['ana', 'Ana']],
      [1048576, ['bo', 'Bo']],
    ]);
    // Identical rows written once with a repeat count are still every one of them.
    const twins = odsFromTable(
      '<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>same</text:p></table:table-cell></table:table-row>',
    );
    expect(cellsOf(await read(twins, 'ods'))).toEqual([
      ['same', 'same'],
      ['same', 'same'],
      ['same', 'same'],
    ]);
  });

  it('leaves comments out of the text, reads covered cells as empty and keeps spaces, tabs and paragraphs', async () => {
    const file = odsFromTable(
      '<table:table-row>' +
        '<table:table-cell office:value-type="string"><office:annotation><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Ed</dc:creator><text:p>check this</text:p></office:annotation><text:p>maria</text:p></table:table-cell>' +
        '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>María<text:s text:c="2"/>José</text:p><text:p>Line<text:tab/>two</text:p></table:table-cell>' +
        '<table:covered-table-cell office:value-type="string"><text:p>hidden by the merge</text:p></table:covered-table-cell>' +
        '<table:table-cell table:formula="of:=[.A1]&amp;[.B1:.B2]" office:value-type="string" office:string-value="x"><text:p>x</text:p></table:table-cell>' +
        '</table:table-row>',
    );
    expect(cellsOf(await read(file, 'ods'))).toEqual([
      ['maria', 'María  José\nLine\ttwo', null, { formula: 'A1&B1:B2' }],
    ]);
  });

  it('reads a flat ODS (.fods) like a zipped one', async () => {
    const flat = `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:styles/><office:body><office:spreadsheet><table:table table:name="Users"><table:table-row><table:table-cell office:value-type="string"><text:p>Username</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Full Name</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>flat</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Flat File</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document>`;
    expect(cellsOf(await read(Buffer.from(flat), 'fods'))).toEqual([
      ['Username', 'Full Name'],
      ['flat', 'Flat File'],
    ]);
  });
});

describe('text files in the encodings people save them in', () => {
  const layoutOf = async (data: Buffer) => {
    const path = join(dir, `text-${++files}`);
    writeFileSync(path, data);
    return detectLayout(path);
  };

  it('tells UTF-8, UTF-16 and Windows-1252 apart', async () => {
    expect((await layoutOf(Buffer.from('Username,Full Name\njose,José Müller\n'))).encoding).toBe('utf-8');
    // Excel's "CSV" on Windows: é is 0xE9, ü is 0xFC, € is 0x80.
    const cp1252 = Buffer.from([...Buffer.from('Username;Full Name\r\njose;Jos'), 0xe9, 0x20, 0x4d, 0xfc, 0x80]);
    expect(await layoutOf(cp1252)).toMatchObject({ encoding: 'windows-1252', delimiter: ';' });
    expect((await layoutOf(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]))).encoding).toBe(
      'utf-16le',
    );
  });
});

describe.each(DIALECTS)('imports of real-world files (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(dialect);
  });
  afterAll(() => h.close());

  it('detects a Windows-1252 CSV, shows it, and reads it again in the encoding the admin picks', async () => {
    const { owner } = await h.newAccount();
    const file = Buffer.from([
      ...Buffer.from('Username;Full Name\r\nrene;Ren'),
      0xe9,
      ...Buffer.from(' Faur'),
      0xe9,
      ...Buffer.from('\r\ngrete;Gr'),
      0xe9,
      ...Buffer.from('te M'),
      0xfc,
      ...Buffer.from('ller\r\n'),
    ]);
    const first = await upload(h, owner, 'excel.csv', file);
    expect(first.status).toBe(201);
    expect(first.body.encoding).toBe('windows-1252');
    expect(first.body.preview.map((row: { cells: string[] }) => row.cells[1])).toEqual(['René Fauré', 'Gréte Müller']);

    const again = await owner.post(`/imports/${first.body.id}/reread`, { encoding: 'utf-8' });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    expect(again.body.encoding).toBe('utf-8');
    expect(again.body.preview[0].cells[1]).toBe('Ren\uFFFD Faur\uFFFD');
    expect((await owner.get(`/imports/${first.body.id}`)).status).toBe(404);

    const named = await h.app.request(`/api/v1/imports?name=excel.csv&encoding=iso-8859-1`, {
      method: 'POST',
      body: new Blob([new Uint8Array(file)]),
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrfToken, 'content-type': 'application/octet-stream' },
    });
    const body = await named.json();
    expect(named.status).toBe(201);
    expect(body.encoding).toBe('iso-8859-1');
    expect(body.preview[1].cells[1]).toBe('Gréte Müller');

    const bad = await owner.post(`/imports/${again.body.id}/reread`, { encoding: 'ebcdic' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].path).toBe('encoding');
  });

  it('accepts .tsv, .xlsm and .fods, and refuses .xls with what to do instead', async () => {
    const { owner } = await h.newAccount();
    const tsv = await upload(h, owner, 'users.tsv', Buffer.from('Username\tFull Name\ntab,user\tTab, User\n'));
    expect(tsv.status).toBe(201);
    expect(tsv.body.preview[0].cells).toEqual(['tab,user', 'Tab, User']);
    expect(tsv.body.format).toBe('tsv');

    const ns = TRANSITIONAL;
    const xlsm = pack({
      'xl/workbook.xml': `<workbook xmlns="${ns.main}"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`,
      'xl/worksheets/sheet1.xml': worksheet(
        [inline('A1', 'Username') + inline('B1', 'Full Name'), inline('A2', 'macro.user') + inline('B2', 'Macro User')],
        ns,
      ),
      'xl/vbaProject.bin': 'not run',
    });
    const macro = await upload(h, owner, 'users.xlsm', xlsm);
    expect(macro.status).toBe(201);
    expect(macro.body.encoding).toBeNull();
    expect(macro.body.preview[0].cells).toEqual(['macro.user', 'Macro User']);

    const xls = await upload(h, owner, 'old.xls', Buffer.from('d0cf11e0a1b11ae1', 'hex'));
    expect(xls.status).toBe(422);
    expect(xls.body.error.code).toBe('UnsupportedFormat');
    expect(xls.body.error.message).toMatch(/\.xls.*save it as \.xlsx/);
  });

  it('names a shared formula as written in its problem, and leaves nothing staged after a repeat bomb', async () => {
    const { owner } = await h.newAccount();
    const ns = TRANSITIONAL;
    const file = pack({
      'xl/workbook.xml': `<workbook xmlns="${ns.main}"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`,
      'xl/worksheets/sheet1.xml': worksheet(
        [
          inline('A1', 'Username') + inline('B1', 'Full Name'),
          `${inline('A2', 'f1')}<c r="B2" t="str"><f t="shared" ref="B2:B3" si="4">UPPER(A2)</f><v>F1</v></c>`,
          `${inline('A3', 'f2')}<c r="B3" t="str"><f t="shared" si="4"/><v>F2</v></c>`,
        ],
        ns,
      ),
    });
    const reply = await upload(h, owner, 'formulas.xlsx', file);
    expect(reply.status).toBe(201);
    const messages = reply.body.problems.map((p: { row: number; message: string }) => `${p.row}: ${p.message}`);
    expect(messages).toEqual([expect.stringContaining('2: '), expect.stringContaining('3: ')]);
    expect(messages[0]).toContain('=UPPER(A2)');
    expect(messages[1]).toContain('=UPPER(A3)');

    // A control character a cell escapes (_x0007_ is BEL) is refused, naming the row and column.
    const bell = pack({
      'xl/workbook.xml': `<workbook xmlns="${ns.main}"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`,
      'xl/worksheets/sheet1.xml': worksheet(
        [inline('A1', 'Username') + inline('B1', 'Full Name'), inline('A2', 'bell') + inline('B2', 'Ding_x0007_ Dong')],
        ns,
      ),
    });
    const rung = await upload(h, owner, 'bell.xlsx', bell);
    expect(rung.body.problems).toEqual([
      expect.objectContaining({
        row: 2,
        column: 'B',
        code: 'BadCharacter',
        message: expect.stringContaining('U+0007'),
      }),
    ]);

    const root = process.env.ROSTER_IMPORT_DIR ?? join(tmpdir(), 'roster-imports');
    const prefix = createHash('sha256').update(h.ctx.config.databaseUrl).digest('hex').slice(0, 12);
    const staged = () => readdirSync(root).filter((name) => name.startsWith(`${prefix}-`)).length;
    const before = staged();
    const bomb = odsFromTable(
      '<table:table-row table:number-rows-repeated="999999999"><table:table-cell table:number-columns-repeated="999999999" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>',
    );
    const refused = await upload(h, owner, 'bomb.ods', bomb);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('ZipBomb');
    expect(staged()).toBe(before);
  });
});
