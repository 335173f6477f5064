// XLSX and ODS, read without loading the sheet: the zip's entries are inflated a few kilobytes at a time (see
// zip.ts) and the XML is parsed as a stream (saxes). Only the first sheet is imported.
import { readFile } from 'node:fs/promises';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { columnIndex, importError } from './problems.js';
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

export type SpreadsheetKind = 'xlsx' | 'ods';

export interface OpenedSpreadsheet {
  kind: SpreadsheetKind;
  rows(): AsyncGenerator<SheetRow>;
}

/** Opens an XLSX or ODS file, telling damaged, protected and non-spreadsheet files apart by their content. */
export async function openSpreadsheet(path: string, expected: SpreadsheetKind): Promise<OpenedSpreadsheet> {
  const data = await readFile(path);
  if (data.length === 0) throw importError('EmptyFile', 'The file is empty');
  if (data.subarray(0, 8).equals(OLE_MAGIC)) {
    throw importError(
      'Encrypted',
      'The workbook is password-protected (or an old .xls file): save it as XLSX or ODS without a password',
    );
  }
  if (data.length < 4 || data.readUInt32LE(0) !== ZIP_MAGIC) {
    throw importError('NotSpreadsheet', `The file is not a${expected === 'xlsx' ? 'n XLSX' : 'n ODS'} spreadsheet`);
  }
  const entries = readZipDirectory(data);
  const budget = inflateBudget(data.length);
  if (entries.has('content.xml')) {
    const manifest = entries.get('META-INF/manifest.xml');
    if (manifest && /encryption-data/.test(readZipText(data, manifest, budget))) {
      throw importError('Encrypted', 'The spreadsheet is password-protected: save it without a password');
    }
    const content = entries.get('content.xml') as ZipEntry;
    return { kind: 'ods', rows: () => odsRows(data, content, budget) };
  }
  if (entries.has('xl/workbook.xml')) {
    const sheet = firstSheet(data, entries, budget);
    const strings = entries.get('xl/sharedStrings.xml');
    return {
      kind: 'xlsx',
      rows: () => xlsxRows(data, sheet, strings ? sharedStrings(data, strings, budget) : [], budget),
    };
  }
  if (entries.has('EncryptedPackage')) throw importError('Encrypted', 'The workbook is password-protected');
  throw importError('NotSpreadsheet', 'The file is a zip archive but not an XLSX or ODS spreadsheet');
}

function firstSheet(data: Buffer, entries: Map<string, ZipEntry>, budget: InflateBudget): ZipEntry {
  const workbook = readZipText(data, entries.get('xl/workbook.xml') as ZipEntry, budget);
  const rid = /<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"/.exec(workbook)?.[1];
  const rels = entries.get('xl/_rels/workbook.xml.rels');
  if (rid && rels) {
    const text = readZipText(data, rels, budget);
    const rel = new RegExp(`<Relationship\\b[^>]*Id="${rid}"[^>]*>`).exec(text)?.[0];
    const target = rel && /Target="([^"]+)"/.exec(rel)?.[1];
    if (target) {
      const name = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
      const entry = entries.get(name);
      if (entry) return entry;
    }
  }
  const fallback = [...entries.keys()].filter((name) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name)).sort()[0];
  if (!fallback) throw importError('NotSpreadsheet', 'The workbook has no sheet');
  return entries.get(fallback) as ZipEntry;
}

/** Feeds an entry's XML to a SAX parser; after each chunk, hands over what the handlers produced. */
function* parseXml<T>(
  data: Buffer,
  entry: ZipEntry,
  budget: InflateBudget,
  setup: (parser: SaxesParser, emit: (item: T) => void) => void,
): Generator<T[]> {
  const parser = new SaxesParser();
  let out: T[] = [];
  setup(parser, (item) => out.push(item));
  const decoder = new TextDecoder('utf-8');
  try {
    for (const chunk of inflateChunks(data, entry, budget)) {
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

function sharedStrings(data: Buffer, entry: ZipEntry, budget: InflateBudget): string[] {
  const strings: string[] = [];
  for (const batch of parseXml<string>(data, entry, budget, (parser, emit) => {
    let text = '';
    let inText = false;
    let phonetic = 0;
    parser.on('opentag', (tag) => {
      if (tag.name === 'si') text = '';
      else if (tag.name === 't' && phonetic === 0) inText = true;
      else if (tag.name === 'rPh') phonetic++;
    });
    parser.on('text', (value) => {
      if (inText) text += value;
    });
    parser.on('closetag', (tag) => {
      if (tag.name === 't') inText = false;
      else if (tag.name === 'rPh') phonetic--;
      else if (tag.name === 'si') emit(text);
    });
  })) {
    for (const s of batch) strings.push(s);
  }
  return strings;
}

async function* xlsxRows(data: Buffer, sheet: ZipEntry, strings: string[], budget: InflateBudget) {
  const batches = parseXml<SheetRow>(data, sheet, budget, (parser, emit) => {
    let row: Cell[] = [];
    let rowNumber = 0;
    let hasValue = false;
    let column = 0;
    let type = 'n';
    let value = '';
    let formula: string | null = null;
    let capture: 'v' | 't' | 'f' | null = null;
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const attrs = tag.attributes as Record<string, string>;
      switch (tag.name) {
        case 'row':
          rowNumber = attrs.r ? Number(attrs.r) : rowNumber + 1;
          row = [];
          hasValue = false;
          column = 0;
          break;
        case 'c': {
          const ref = attrs.r;
          column = ref ? columnIndex(/^[A-Z]+/.exec(ref)?.[0] ?? 'A') : column;
          type = attrs.t ?? 'n';
          value = '';
          formula = null;
          break;
        }
        case 'v':
          capture = 'v';
          break;
        case 't':
          capture = 't';
          break;
        case 'f':
          capture = 'f';
          formula = '';
          break;
      }
    });
    parser.on('text', (text) => {
      if (capture === 'v' || capture === 't') value += text;
      else if (capture === 'f') formula += text;
    });
    parser.on('closetag', (tag) => {
      switch (tag.name) {
        case 'v':
        case 't':
        case 'f':
          capture = null;
          break;
        case 'c': {
          if (column < MAX_COLUMNS) {
            let cell: Cell = null;
            if (formula !== null) cell = { formula: formula || '(shared formula)' };
            else if (type === 's') cell = strings[Number(value)] ?? '';
            else if (type === 'inlineStr' || type === 'str' || type === 'd' || type === 'e') cell = value;
            else if (type === 'b') cell = value === '1' ? 'TRUE' : 'FALSE';
            else if (value !== '') cell = Number(value);
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
  });
  for (const batch of batches) {
    yield* batch;
    // Let the server answer other requests between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The most identical rows or cells a repeat attribute may stand for (LibreOffice pads sheets with repeats). */
const MAX_REPEAT = 1_100_000;

async function* odsRows(data: Buffer, content: ZipEntry, budget: InflateBudget) {
  const batches = parseXml<SheetRow>(data, content, budget, (parser, emit) => {
    let tables = 0;
    let inTable = false;
    let rowNumber = 0;
    let row: Cell[] = [];
    let rowRepeat = 1;
    let hasValue = false;
    let cell: { repeat: number; value: Cell; text: string[]; covered: boolean } | null = null;
    let paragraph: string | null = null;
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const attrs = tag.attributes as Record<string, string>;
      if (tag.name === 'table:table') {
        tables++;
        inTable = tables === 1;
        return;
      }
      if (!inTable) return;
      switch (tag.name) {
        case 'table:table-row':
          row = [];
          hasValue = false;
          rowRepeat = Math.min(Number(attrs['table:number-rows-repeated'] ?? 1) || 1, MAX_REPEAT);
          break;
        case 'table:table-cell':
        case 'table:covered-table-cell': {
          const repeat = Math.min(Number(attrs['table:number-columns-repeated'] ?? 1) || 1, MAX_REPEAT);
          const valueType = attrs['office:value-type'];
          let value: Cell = null;
          if (attrs['table:formula']) value = { formula: attrs['table:formula'] };
          else if (valueType === 'date') value = attrs['office:date-value'] ?? null;
          else if (valueType === 'float' || valueType === 'percentage' || valueType === 'currency') {
            value = attrs['office:value'] !== undefined ? Number(attrs['office:value']) : null;
          } else if (valueType === 'boolean') value = attrs['office:boolean-value'] === 'true' ? 'TRUE' : 'FALSE';
          cell = { repeat, value, text: [], covered: tag.name === 'table:covered-table-cell' };
          break;
        }
        case 'text:p':
          if (cell) paragraph = '';
          break;
        case 'text:s':
          if (paragraph !== null) paragraph += ' '.repeat(Math.min(Number(attrs['text:c'] ?? 1) || 1, 1000));
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
      if (paragraph !== null) paragraph += text;
    });
    function closeCell() {
      if (!cell) return;
      const value: Cell = cell.value ?? (cell.text.length > 0 ? cell.text.join('\n') : null);
      const empty = value === null || value === '';
      if (empty) row.length = Math.min(row.length + cell.repeat, MAX_COLUMNS + 1);
      else {
        for (let i = 0; i < cell.repeat && row.length < MAX_COLUMNS; i++) row.push(value);
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
      switch (tag.name) {
        case 'text:p':
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
