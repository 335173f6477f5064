// Reads an uploaded file once, whatever its format, into a staging file of numbered rows (one JSON array a line)
// that previews and the import itself read back quickly. Empty rows are dropped here, however many there are.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { IMPORT_FORMATS, type ImportFormat, type TextEncoding } from '../../../shared/import-schemas.js';
import { importError } from './problems.js';
import { openSpreadsheet } from './read-spreadsheet.js';
import { detectLayout, readTextRows } from './read-text.js';
import { type Cell, MAX_COLUMNS, type SheetRow } from './sheet.js';

export interface StagedFile {
  rows: number;
  width: number;
  /** The encoding a text file was read in (detected or chosen); absent for spreadsheets. */
  encoding?: TextEncoding;
}

export function formatOf(fileName: string): ImportFormat {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';
  if ((IMPORT_FORMATS as readonly string[]).includes(extension)) return extension as ImportFormat;
  if (extension === 'xls' || extension === 'xlt') {
    throw importError(
      'UnsupportedFormat',
      'Old Excel 97-2003 (.xls) workbooks cannot be read: open the file and save it as .xlsx (Excel Workbook) or .ods',
    );
  }
  throw importError('UnsupportedFormat', 'Import a .csv, .tsv, .txt, .xlsx, .xlsm, .ods or .fods file');
}

/** The file's rows; `layout` receives the encoding a text file is read in. */
async function* rowsOf(
  path: string,
  format: ImportFormat,
  encoding: TextEncoding | undefined,
  found: (encoding: TextEncoding) => void,
): AsyncGenerator<SheetRow> {
  if (format === 'xlsx' || format === 'xlsm' || format === 'ods' || format === 'fods') {
    const sheet = await openSpreadsheet(path, format === 'xlsm' ? 'xlsx' : format);
    yield* sheet.rows();
    return;
  }
  const layout = await detectLayout(path, { encoding, delimiter: format === 'tsv' ? '\t' : undefined });
  found(layout.encoding);
  yield* readTextRows(path, layout);
}

const isEmpty = (cell: Cell) => cell === null || (typeof cell === 'string' && cell.trim() === '');

/** Rows staged in a batch for `stageFile`'s `take` (and read back by readStaged). */
const STAGED_BATCH = 2000;

/**
 * Stages `source` into `target`. With `take`, also hands the staged rows over in batches as they come, waiting for
 * each to be taken (a preview checks them while the rest of the file is read).
 */
export async function stageFile(
  source: string,
  format: ImportFormat,
  target: string,
  take?: (rows: SheetRow[]) => Promise<void>,
  encoding?: TextEncoding,
): Promise<StagedFile> {
  if ((await stat(source)).size === 0) throw importError('EmptyFile', 'The file is empty');
  const out = createWriteStream(target, { mode: 0o600 });
  let rows = 0;
  let width = 0;
  let buffer = '';
  let batch: SheetRow[] = [];
  let readIn: TextEncoding | undefined;
  try {
    for await (const sheetRow of rowsOf(source, format, encoding, (found) => {
      readIn = found;
    })) {
      let cells = sheetRow.cells.length > MAX_COLUMNS ? sheetRow.cells.slice(0, MAX_COLUMNS) : sheetRow.cells;
      let last = cells.length - 1;
      while (last >= 0 && isEmpty(cells[last] as Cell)) last--;
      if (last < 0) continue;
      if (last < cells.length - 1) cells = cells.slice(0, last + 1);
      width = Math.max(width, cells.length);
      rows++;
      buffer += `${JSON.stringify([sheetRow.row, ...cells])}\n`;
      if (buffer.length > 256 * 1024) {
        if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        buffer = '';
      }
      if (take) {
        batch.push({ row: sheetRow.row, cells });
        if (batch.length >= STAGED_BATCH) {
          await take(batch);
          batch = [];
        }
      }
    }
    out.end(buffer);
    await new Promise<void>((resolve, reject) => out.once('finish', resolve).once('error', reject));
  } catch (error) {
    out.destroy();
    throw error;
  }
  if (rows === 0) throw importError('EmptyFile', 'The file has no rows');
  if (take && batch.length > 0) await take(batch);
  return readIn ? { rows, width, encoding: readIn } : { rows, width };
}

/** The staged rows, in batches, so a caller can work a batch at a time and let the server breathe in between. */
export async function* readStaged(path: string, batchSize = STAGED_BATCH): AsyncGenerator<SheetRow[]> {
  const input = createReadStream(path, { highWaterMark: 1024 * 1024 });
  const lines = createInterface({ input, crlfDelay: Infinity });
  // readline does not pass on its input's errors (a staged file removed by a cancel): without this listener the
  // error would be thrown outside any caller; with it, the reading stops and the caller gets the error.
  let failure: unknown = null;
  input.on('error', (error) => {
    failure = error;
    lines.close();
  });
  let batch: SheetRow[] = [];
  for await (const line of lines) {
    if (!line) continue;
    const [row, ...cells] = JSON.parse(line) as [number, ...Cell[]];
    batch.push({ row, cells });
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (failure) throw failure;
  if (batch.length > 0) yield batch;
}

/** Batches of rows without the first row when it is a header row (and without the batch it leaves empty). */
export async function* pastHeader(batches: AsyncIterable<SheetRow[]>, hasHeader: boolean): AsyncGenerator<SheetRow[]> {
  let skip = hasHeader;
  for await (const batch of batches) {
    const rows = skip ? batch.slice(1) : batch;
    skip = false;
    if (rows.length > 0) yield rows;
  }
}

/** The staged rows past the header row (when the file has one), in batches. */
export function stagedDataRows(path: string, hasHeader: boolean): AsyncGenerator<SheetRow[]> {
  return pastHeader(readStaged(path), hasHeader);
}
