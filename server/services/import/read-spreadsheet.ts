// XLSX and ODS, read without loading the sheet: the zip's entries are inflated a few kilobytes at a time (see
// zip.ts) and the XML is parsed as a stream (saxes). Only the first sheet is imported.
import { readFile } from 'node:fs/promises';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { columnIndex, columnLetter, importError } from './problems.js';
import type { Cell, SheetRow } from './sheet.js';
import { MAX_COLUMNS } from './sheet.js';
import {
  type InflateBudget,
  inflateBudget,
  inflateChunks,
  readZipDirectory,
  readZipText,
  type ZipEntry,
} from './zip.js';

const ZIP_MAGIC = 0x04034b50;
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** XLSX and XLSM (macros ignored) share a reader; ODS is zipped ODF, FODS the same document as one flat XML file. */
export type SpreadsheetKind = 'xlsx' | 'ods' | 'fods';

export interface OpenedSpreadsheet {
  kind: SpreadsheetKind;
  rows(): AsyncGenerator<SheetRow>;
}

/** Opens an XLSX, XLSM, ODS or FODS file, telling damaged, protected and non-spreadsheet files apart by their content. */
export async function openSpreadsheet(path: string, expected: SpreadsheetKind): Promise<OpenedSpreadsheet> {
  const data = await readFile(path);
  if (data.length === 0) throw importError('EmptyFile', 'The file is empty');
  if (data.subarray(0, 8).equals(OLE_MAGIC)) {
    throw importError(
      'Encrypted',
      'The workbook is password-protected (or an old .xls file): save it as XLSX or ODS without a password',
    );
  }
  const budget = inflateBudget(data.length);
  if (expected === 'fods' && (data.length < 4 || data.readUInt32LE(0) !== ZIP_MAGIC)) {
    if (!/^(\uFEFF)?\s*</.test(data.subarray(0, 64).toString('utf8'))) {
      throw importError('NotSpreadsheet', 'The file is not a flat ODS (.fods) spreadsheet');
    }
    return { kind: 'fods', rows: () => odsRows(() => flatChunks(data), budget) };
  }
  if (data.length < 4 || data.readUInt32LE(0) !== ZIP_MAGIC) {
    throw importError('NotSpreadsheet', `The file is not a${expected === 'xlsx' ? 'n XLSX' : 'n ODS'} spreadsheet`);
  }
  const zip = new Package(data, readZipDirectory(data), budget);
  const content = zip.entry('content.xml');
  if (content) {
    const manifest = zip.text('META-INF/manifest.xml');
    if (manifest && /encryption-data/.test(manifest)) {
      throw importError('Encrypted', 'The spreadsheet is password-protected: save it without a password');
    }
    return { kind: 'ods', rows: () => odsRows(() => inflateChunks(data, content, budget), budget) };
  }
  const workbook = zip.workbookPart();
  if (workbook) {
    const book = readWorkbook(zip, workbook);
    const strings = book.sharedStrings ? sharedStrings(zip, book.sharedStrings) : [];
    const dates = book.date1904 && book.styles ? dateStyles(zip, book.styles) : [];
    return {
      kind: 'xlsx',
      rows: () => xlsxRows(zip, book.sheet, strings, { date1904: book.date1904, dateStyles: dates }),
    };
  }
  if (zip.entry('EncryptedPackage')) throw importError('Encrypted', 'The workbook is password-protected');
  throw importError('NotSpreadsheet', 'The file is a zip archive but not an XLSX or ODS spreadsheet');
}

/** A flat file's bytes, a few hundred kilobytes at a time, as the zip reader hands over an entry's. */
function* flatChunks(data: Buffer): Generator<Uint8Array> {
  const step = 256 * 1024;
  for (let at = 0; at < data.length; at += step) yield data.subarray(at, Math.min(data.length, at + step));
}

interface Relationship {
  id: string;
  type: string;
  /** The target part's name, resolved against the source part (absent for external targets). */
  target: string | null;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_, name: string) =>
    name[0] === '#'
      ? String.fromCodePoint(
          name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)),
        )
      : (XML_ENTITIES[name.toLowerCase()] ?? ''),
  );

/** A part name as the package's directory holds it: forward slashes, no leading slash, `.` and `..` resolved. */
function normalizePart(name: string): string {
  const out: string[] = [];
  for (const segment of name.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
}

/**
 * An OPC package (ECMA-376 part 2): parts found by name whatever their case or slashes (part names are
 * case-insensitive, and some writers use backslashes), and relationships read from each part's `_rels` part.
 */
class Package {
  private readonly parts = new Map<string, ZipEntry>();

  constructor(
    readonly data: Buffer,
    entries: Map<string, ZipEntry>,
    readonly budget: InflateBudget,
  ) {
    for (const [name, entry] of entries) {
      const key = normalizePart(name).toLowerCase();
      if (!this.parts.has(key)) this.parts.set(key, entry);
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.parts.get(normalizePart(name).toLowerCase());
  }

  names(): string[] {
    return [...this.parts.keys()];
  }

  text(name: string): string | undefined {
    const entry = this.entry(name);
    return entry ? readZipText(this.data, entry, this.budget) : undefined;
  }

  /** The relationships of `part` ('' for the package's own, `_rels/.rels`). */
  relationships(part: string): Relationship[] {
    const slash = part.lastIndexOf('/');
    const dir = slash < 0 ? '' : part.slice(0, slash + 1);
    const xml = this.text(`${dir}_rels/${part.slice(slash + 1)}.rels`);
    if (!xml) return [];
    const out: Relationship[] = [];
    for (const [, attributes = ''] of xml.matchAll(/<(?:[\w.-]+:)?Relationship\b([^>]*)>/g)) {
      const attr: Record<string, string> = {};
      for (const m of attributes.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attr[m[1] as string] = unescapeXml(m[2] ?? m[3] ?? '');
      }
      if (!attr.Id || !attr.Type) continue;
      const raw = attr.Target ?? '';
      const target =
        attr.TargetMode === 'External' || !raw ? null : normalizePart(/^[\\/]/.test(raw) ? raw : dir + raw);
      out.push({ id: attr.Id, type: attr.Type, target });
    }
    return out;
  }

  /** The workbook part: the package's officeDocument relationship, or `xl/workbook.xml` when a writer left it out. */
  workbookPart(): string | null {
    const main = this.relationships('').find((rel) => isType(rel, 'officeDocument') && rel.target);
    if (main?.target && this.entry(main.target)) return main.target;
    return this.entry('xl/workbook.xml') ? 'xl/workbook.xml' : null;
  }
}

/** Relationship types end the same in transitional (schemas.openxmlformats.org) and strict (purl.oclc.org) files. */
const isType = (rel: Relationship, kind: string) => rel.type.endsWith(`/${kind}`);

interface Workbook {
  /** The first worksheet in the workbook's order (chart, dialog and macro sheets skipped). */
  sheet: ZipEntry;
  sharedStrings: ZipEntry | null;
  styles: ZipEntry | null;
  /** Dates count days from 1904-01-01 instead of 1899-12-30 (old Mac workbooks). */
  date1904: boolean;
}

function readWorkbook(zip: Package, part: string): Workbook {
  const sheetIds: string[] = [];
  let date1904 = false;
  parseSmall(zip.text(part) ?? '', (parser) => {
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const name = localName(tag.name);
      const attrs = tag.attributes as Record<string, string>;
      if (name === 'sheet') {
        const id = Object.entries(attrs).find(([key]) => /(^|:)id$/.test(key))?.[1];
        if (id) sheetIds.push(id);
      } else if (name === 'workbookPr') {
        date1904 = attrs.date1904 === '1' || attrs.date1904 === 'true';
      }
    });
  });
  const rels = zip.relationships(part);
  const byId = new Map(rels.map((rel) => [rel.id, rel]));
  const partOf = (rel: Relationship | undefined) => (rel?.target ? (zip.entry(rel.target) ?? null) : null);
  let sheet: ZipEntry | null = null;
  for (const id of sheetIds) {
    const rel = byId.get(id);
    if (rel && isType(rel, 'worksheet')) {
      sheet = partOf(rel);
      if (sheet) break;
    }
  }
  if (!sheet && rels.length === 0) {
    // No relationships at all: the worksheets where Excel puts them.
    const fallback = zip
      .names()
      .filter((name) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name))
      .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]))[0];
    sheet = fallback ? (zip.entry(fallback) ?? null) : null;
  }
  if (!sheet) throw importError('NotSpreadsheet', 'The workbook has no worksheet');
  return {
    sheet,
    sharedStrings:
      partOf(rels.find((rel) => isType(rel, 'sharedStrings'))) ?? zip.entry('xl/sharedStrings.xml') ?? null,
    styles: partOf(rels.find((rel) => isType(rel, 'styles'))) ?? null,
    date1904,
  };
}

/** An element's name without its namespace prefix (`x:row` is `row`): writers choose their own prefixes. */
const localName = (name: string) => name.slice(name.indexOf(':') + 1);

function parseSmall(xml: string, setup: (parser: SaxesParser) => void): void {
  const parser = new SaxesParser();
  setup(parser);
  try {
    parser.write(xml).close();
  } catch (error) {
    throw importError('BrokenFile', `The spreadsheet's XML is damaged: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Feeds XML bytes to a SAX parser; after each chunk, hands over what the handlers produced. */
function* parseXml<T>(
  chunks: Iterable<Uint8Array>,
  setup: (parser: SaxesParser, emit: (item: T) => void) => void,
): Generator<T[]> {
  const parser = new SaxesParser();
  let out: T[] = [];
  setup(parser, (item) => out.push(item));
  const decoder = new TextDecoder('utf-8');
  try {
    for (const chunk of chunks) {
      parser.write(decoder.decode(chunk, { stream: true }));
      if (out.length > 0) {
        yield out;
        out = [];
      }
    }
    parser.write(decoder.decode());
    parser.close();
  } catch (error) {
    if ((error as { code?: string }).code) throw error;
    throw importError('BrokenFile', `The spreadsheet's XML is damaged: ${(error as Error).message.split('\n')[0]}`);
  }
  if (out.length > 0) yield out;
}

/**
 * ST_Xstring escapes (ECMA-376 part 1, 22.9.2.19): `_xHHHH_` stands for the character HHHH, so `_x000D_` is a carriage
 * return; `_x005F_` is the underscore itself, which keeps a literal `_x000D_` written as `_x005F_x000D_`.
 */
export function unescapeXstring(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * Collects the text of rich-text string items (`<si>` of the shared strings, `<is>` of an inline string): the `<t>` of
 * the item or of its runs, CDATA included, phonetic runs (`<rPh>`, furigana) left out.
 */
class RichText {
  private text = '';
  private inText = false;
  private phonetic = 0;

  open(name: string): void {
    if (name === 't' && this.phonetic === 0) this.inText = true;
    else if (name === 'rPh') this.phonetic++;
  }

  add(text: string): void {
    if (this.inText) this.text += text;
  }

  close(name: string): void {
    if (name === 't') this.inText = false;
    else if (name === 'rPh') this.phonetic--;
  }

  take(): string {
    const text = unescapeXstring(this.text);
    this.text = '';
    this.inText = false;
    this.phonetic = 0;
    return text;
  }
}

function sharedStrings(zip: Package, entry: ZipEntry): string[] {
  const strings: string[] = [];
  for (const batch of parseXml<string>(inflateChunks(zip.data, entry, zip.budget), (parser, emit) => {
    const item = new RichText();
    parser.on('opentag', (tag) => item.open(localName(tag.name)));
    parser.on('text', (value) => item.add(value));
    parser.on('cdata', (value) => item.add(value));
    parser.on('closetag', (tag) => {
      const name = localName(tag.name);
      if (name === 'si') emit(item.take());
      else item.close(name);
    });
  })) {
    for (const s of batch) strings.push(s);
  }
  return strings;
}

/** Built-in number formats that show dates or times (ECMA-376 part 1, 18.8.30, with the East Asian ones). */
const BUILT_IN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36]);
for (const id of [45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]) BUILT_IN_DATE_FORMATS.add(id);

/** Whether a custom format code shows a date: day, month, year or time parts outside quoted text and [colours]. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/\[(?!h\]|m\]|s\])[^\]]*\]/gi, '');
  return /[dmyhs]/i.test(bare) && !/^(general|@)$/i.test(bare.trim());
}

/** For each cell style (the cell's `s`), whether it formats the number as a date. */
function dateStyles(zip: Package, entry: ZipEntry): boolean[] {
  const custom = new Map<number, string>();
  const styles: boolean[] = [];
  let inCellXfs = false;
  for (const _ of parseXml<never>(inflateChunks(zip.data, entry, zip.budget), (parser) => {
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const attrs = tag.attributes as Record<string, string>;
      switch (localName(tag.name)) {
        case 'numFmt':
          custom.set(Number(attrs.numFmtId), attrs.formatCode ?? '');
          break;
        case 'cellXfs':
          inCellXfs = true;
          break;
        case 'xf':
          if (inCellXfs) {
            const id = Number(attrs.numFmtId ?? 0);
            const code = custom.get(id);
            styles.push(code !== undefined ? isDateFormat(code) : BUILT_IN_DATE_FORMATS.has(id));
          }
          break;
      }
    });
    parser.on('closetag', (tag) => {
      if (localName(tag.name) === 'cellXfs') inCellXfs = false;
    });
  }));
  return styles;
}

/** Days between the 1904 date system's epoch and the 1900 system's, which the importer reads dates in. */
const DAYS_1900_TO_1904 = 1462;

function letterColumn(letters: string): number {
  let n = 0;
  for (let i = 0; i < letters.length; i++) n = n * 26 + (letters.charCodeAt(i) - 64);
  return n - 1;
}

/**
 * A shared formula's text as a follower cell holds it: relative references moved by the follower's distance from the
 * master cell (`$` keeps a row or column), as a spreadsheet shows it in that cell.
 */
export function shiftFormula(formula: string, rows: number, columns: number): string {
  if (rows === 0 && columns === 0) return formula;
  return formula.replace(
    /("(?:[^"]|"")*")|(?<![A-Za-z0-9_.])(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?![A-Za-z0-9_(])/g,
    (match, quoted: string | undefined, colAbs: string, letters: string, rowAbs: string, digits: string) => {
      if (quoted) return match;
      const column = colAbs ? letterColumn(letters) : letterColumn(letters) + columns;
      const row = rowAbs ? Number(digits) : Number(digits) + rows;
      if (column < 0 || row < 1) return '#REF!';
      return `${colAbs}${columnLetter(column)}${rowAbs}${row}`;
    },
  );
}

interface XlsxOptions {
  date1904: boolean;
  dateStyles: boolean[];
}

async function* xlsxRows(zip: Package, sheet: ZipEntry, strings: string[], options: XlsxOptions) {
  const batches = parseXml<SheetRow>(inflateChunks(zip.data, sheet, zip.budget), (parser, emit) => {
    let row: Cell[] = [];
    let rowNumber = 0;
    let hasValue = false;
    let column = 0;
    let type = 'n';
    let style = 0;
    let value = '';
    let inline: RichText | null = null;
    let inlineText: string | null = null;
    let formula: string | null = null;
    let sharedIndex: string | null = null;
    let sharedRef = false;
    let capture: 'v' | 'f' | null = null;
    // The masters of the sheet's shared formulas: their text and cell, by their shared index.
    const masters = new Map<string, { text: string; row: number; column: number }>();
    const onText = (text: string) => {
      if (inline) inline.add(text);
      else if (capture === 'v') value += text;
      else if (capture === 'f') formula += text;
    };
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const attrs = tag.attributes as Record<string, string>;
      const name = localName(tag.name);
      if (inline) {
        inline.open(name);
        return;
      }
      switch (name) {
        case 'row':
          rowNumber = attrs.r ? Number(attrs.r) : rowNumber + 1;
          row = [];
          hasValue = false;
          column = 0;
          break;
        case 'c': {
          const ref = attrs.r ? /^\$?([A-Z]+)/.exec(attrs.r)?.[1] : undefined;
          column = ref ? columnIndex(ref) : column;
          type = attrs.t ?? 'n';
          style = Number(attrs.s ?? 0);
          value = '';
          inlineText = null;
          formula = null;
          sharedIndex = null;
          break;
        }
        case 'v':
          capture = 'v';
          break;
        case 'is':
          inline = new RichText();
          break;
        case 'f':
          capture = 'f';
          formula = '';
          sharedIndex = attrs.t === 'shared' ? (attrs.si ?? null) : null;
          sharedRef = attrs.ref !== undefined;
          break;
      }
    });
    parser.on('text', onText);
    parser.on('cdata', onText);
    parser.on('closetag', (tag) => {
      const name = localName(tag.name);
      if (inline) {
        if (name !== 'is') {
          inline.close(name);
          return;
        }
        // An inline string's text is its <is>, whatever <v> a writer puts beside it.
        inlineText = inline.take();
        inline = null;
        return;
      }
      switch (name) {
        case 'v':
        case 'f':
          capture = null;
          break;
        case 'c': {
          if (column < MAX_COLUMNS) {
            const cell = cellValue();
            if (cell !== null && cell !== '') {
              row[column] = cell;
              hasValue = true;
            }
          }
          column++;
          break;
        }
        case 'row':
          if (hasValue) emit({ row: rowNumber, cells: Array.from(row, (c) => c ?? null) });
          break;
      }
    });
    function cellValue(): Cell {
      if (formula !== null) {
        let text = formula;
        if (sharedIndex !== null) {
          const master = masters.get(sharedIndex);
          if (sharedRef || !master) masters.set(sharedIndex, { text, row: rowNumber, column });
          else if (!text) text = shiftFormula(master.text, rowNumber - master.row, column - master.column);
        }
        return { formula: text };
      }
      if (inlineText !== null) return inlineText;
      switch (type) {
        case 's':
          // An empty <v/> is an empty cell, not the first shared string.
          return value === '' ? null : (strings[Number(value)] ?? '');
        case 'inlineStr':
        case 'str':
        case 'e':
        case 'd':
          return unescapeXstring(value);
        case 'b':
          return value === '1' || value === 'true' ? 'TRUE' : 'FALSE';
        default: {
          if (value === '') return null;
          const number = Number(value);
          if (!Number.isFinite(number)) return value;
          return options.date1904 && options.dateStyles[style] ? number + DAYS_1900_TO_1904 : number;
        }
      }
    }
  });
  for (const batch of batches) {
    yield* batch;
    // Let the server answer other requests between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const repeatBomb = () =>
  importError(
    'ZipBomb',
    'The spreadsheet repeats cells or rows far more than a file of its size holds (a zip bomb?): remove the repeated cells',
  );

/** What a repeated cell or row costs against the file's inflate budget: the bytes it would take written out. */
const cellBytes = (cell: Cell) =>
  cell === null
    ? 1
    : typeof cell === 'string'
      ? cell.length + 1
      : typeof cell === 'number'
        ? 9
        : cell.formula.length + 2;

/** An ODF formula as a spreadsheet shows it: `of:=[.A1]*2` is `A1*2`. */
function odfFormula(formula: string): string {
  return formula
    .replace(/^[a-z]+:/i, '')
    .replace(/^=/, '')
    .replace(
      /\[\$?'?([^\]]*?)'?\.(\$?[A-Z]+\$?\d+)(?::\.(\$?[A-Z]+\$?\d+))?\]/g,
      (_, sheet: string, from: string, to) => `${sheet ? `${sheet}.` : ''}${from}${to ? `:${to}` : ''}`,
    );
}

/**
 * The first table of an ODF spreadsheet (content.xml of an ODS, or a flat FODS). Repeated cells and rows are never
 * expanded past what their content costs against the file's inflate budget (the zip bomb's limit): padding that
 * LibreOffice writes to the sheet's edge (empty cells and rows repeated a million times) costs nothing, and
 * non-empty repeats beyond the budget refuse the file before anything is expanded.
 */
async function* odsRows(chunks: () => Iterable<Uint8Array>, budget: InflateBudget) {
  const batches = parseXml<SheetRow>(chunks(), (parser, emit) => {
    let tables = 0;
    let inTable = false;
    let rowNumber = 0;
    let row: Cell[] = [];
    let rowRepeat = 1;
    let hasValue = false;
    let cell: { repeat: number; value: Cell; text: string[]; covered: boolean } | null = null;
    let paragraph: string | null = null;
    // Annotations (comments) hold paragraphs of their own, which are not the cell's text.
    let annotation = 0;
    const repeatOf = (value: string | undefined) => {
      const n = Math.floor(Number(value ?? 1));
      return Number.isFinite(n) && n >= 1 ? n : 1;
    };
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const attrs = tag.attributes as Record<string, string>;
      if (tag.name === 'table:table') {
        tables++;
        inTable = tables === 1;
        return;
      }
      if (!inTable) return;
      if (annotation > 0 || tag.name === 'office:annotation') {
        if (tag.name === 'office:annotation') annotation++;
        return;
      }
      switch (tag.name) {
        case 'table:table-row':
          row = [];
          hasValue = false;
          rowRepeat = repeatOf(attrs['table:number-rows-repeated']);
          break;
        case 'table:table-cell':
        case 'table:covered-table-cell': {
          const repeat = repeatOf(attrs['table:number-columns-repeated']);
          const covered = tag.name === 'table:covered-table-cell';
          const valueType = attrs['office:value-type'];
          let value: Cell = null;
          if (covered) value = null;
          else if (attrs['table:formula']) value = { formula: odfFormula(attrs['table:formula']) };
          else if (valueType === 'date') value = attrs['office:date-value'] ?? null;
          else if (valueType === 'float' || valueType === 'percentage' || valueType === 'currency') {
            value = attrs['office:value'] !== undefined ? Number(attrs['office:value']) : null;
          } else if (valueType === 'boolean') value = attrs['office:boolean-value'] === 'true' ? 'TRUE' : 'FALSE';
          cell = { repeat, value, text: [], covered };
          break;
        }
        case 'text:p':
        case 'text:h':
          if (cell && !cell.covered) paragraph = '';
          break;
        case 'text:s':
          if (paragraph !== null) paragraph += ' '.repeat(Math.min(repeatOf(attrs['text:c']), 1000));
          break;
        case 'text:tab':
          if (paragraph !== null) paragraph += '\t';
          break;
        case 'text:line-break':
          if (paragraph !== null) paragraph += '\n';
          break;
      }
    });
    parser.on('text', (text) => {
      if (paragraph !== null && annotation === 0) paragraph += text;
    });
    function closeCell() {
      if (!cell) return;
      const value: Cell = cell.value ?? (cell.text.length > 0 ? cell.text.join('\n') : null);
      const empty = value === null || value === '';
      if (empty) row.length = Math.min(row.length + Math.min(cell.repeat, MAX_COLUMNS + 1), MAX_COLUMNS + 1);
      else {
        const copies = Math.max(0, Math.min(cell.repeat, MAX_COLUMNS - row.length));
        budget.remaining -= (copies - 1) * cellBytes(value);
        if (budget.remaining < 0) throw repeatBomb();
        for (let i = 0; i < copies; i++) row.push(value);
        hasValue = true;
      }
      cell = null;
    }
    parser.on('closetag', (tag) => {
      if (tag.name === 'table:table') {
        inTable = false;
        return;
      }
      if (!inTable) return;
      if (annotation > 0) {
        if (tag.name === 'office:annotation') annotation--;
        return;
      }
      switch (tag.name) {
        case 'text:p':
        case 'text:h':
          if (cell && paragraph !== null) cell.text.push(paragraph);
          paragraph = null;
          break;
        case 'table:table-cell':
        case 'table:covered-table-cell':
          closeCell();
          break;
        case 'table:table-row':
          if (hasValue) {
            const cells = Array.from(row.slice(0, MAX_COLUMNS), (c) => c ?? null);
            // A repeated row is counted against the budget as the rows it stands for, before any is made.
            budget.remaining -= (rowRepeat - 1) * cells.reduce((sum: number, c) => sum + cellBytes(c), 1);
            if (budget.remaining < 0) throw repeatBomb();
            for (let i = 0; i < rowRepeat; i++) emit({ row: rowNumber + i + 1, cells });
          }
          // Empty rows, however many a repeat stands for, only move the row number on.
          rowNumber += rowRepeat;
          break;
      }
    });
  });
  for (const batch of batches) {
    yield* batch;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
