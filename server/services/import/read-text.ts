// CSV, TSV and delimited TXT: the encoding (UTF-8 with or without BOM, UTF-16 LE/BE, and Windows-1252 for files that
// are not valid UTF-8, as Excel's "CSV" on Windows writes them) and the delimiter (comma, semicolon, tab) are detected
// from the file, then the rows are parsed as a stream. The admin may name the encoding instead.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse';
import type { TextEncoding } from '../../../shared/import-schemas.js';
import { importError } from './problems.js';
import type { SheetRow } from './sheet.js';

/** A cell longer than this cannot be any field: the row is refused as a whole rather than held in memory. */
export const MAX_RECORD_CHARS = 1024 * 1024;

export interface TextLayout {
  encoding: TextEncoding;
  bomBytes: number;
  delimiter: string;
}

export interface TextChoices {
  /** The admin's choice; without it the encoding is detected. */
  encoding?: TextEncoding;
  /** A .tsv file is tab-separated whatever its first lines look like. */
  delimiter?: string;
}

/** A decoder for the encoding: ISO-8859-1 proper maps every byte to its code point (WHATWG reads the label as 1252). */
function textDecoder(encoding: TextEncoding): { decode(bytes?: Uint8Array, options?: { stream?: boolean }): string } {
  if (encoding !== 'iso-8859-1') return new TextDecoder(encoding);
  return {
    decode: (bytes) => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : ''),
  };
}

/** Whether the whole file is valid UTF-8 (read in 1 MB steps: about 30 ms for 50 MB). */
async function isUtf8(path: string, start: number): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(path, { start, highWaterMark: 1024 * 1024 })) {
      decoder.decode(chunk as Buffer, { stream: true });
    }
    decoder.decode();
    return true;
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

export async function detectLayout(path: string, choices: TextChoices = {}): Promise<TextLayout> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(64 * 1024);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  await handle.close();
  const bytes = head.subarray(0, bytesRead);
  let encoding: TextEncoding = 'utf-8';
  let bomBytes = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bomBytes = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, bomBytes] = ['utf-16le', 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, bomBytes] = ['utf-16be', 2];
  else {
    // UTF-16 without a BOM: ASCII text has a zero in every other byte.
    let evenZeros = 0;
    let oddZeros = 0;
    for (let i = 0; i < Math.min(bytes.length, 4096); i++) {
      if (bytes[i] === 0) {
        if (i % 2 === 0) evenZeros++;
        else oddZeros++;
      }
    }
    const half = Math.min(bytes.length, 4096) / 2;
    if (oddZeros > half * 0.3 && evenZeros === 0) encoding = 'utf-16le';
    else if (evenZeros > half * 0.3 && oddZeros === 0) encoding = 'utf-16be';
    else if (evenZeros + oddZeros > 0) {
      throw importError('NotText', 'The file is not a text file (it holds binary data): save it as CSV or XLSX');
    }
    // Bytes that are not UTF-8 are a legacy single-byte encoding: Windows-1252 is what Excel writes on Windows.
    else if (!choices.encoding && !(await isUtf8(path, 0))) encoding = 'windows-1252';
  }
  if (choices.encoding) encoding = choices.encoding;
  const sample = textDecoder(encoding).decode(bytes.subarray(bomBytes), { stream: true });
  // A replacement character says the file is not in the encoding detected; one the admin chose may leave a few.
  if (!encoding.startsWith('utf-16') && looksBinary(sample, !choices.encoding)) {
    throw importError('NotText', 'The file is not a text file (it holds binary data): save it as CSV or XLSX');
  }
  return { encoding, bomBytes, delimiter: choices.delimiter ?? detectDelimiter(sample) };
}

function looksBinary(text: string, replacementIsBad: boolean): boolean {
  let bad = 0;
  const n = Math.min(text.length, 8192);
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if ((code === 0xfffd && replacementIsBad) || (code < 32 && code !== 9 && code !== 10 && code !== 13)) bad++;
  }
  return n > 0 && bad / n > 0.05;
}

/** The candidate that splits the first lines into the same, largest number of columns. */
export function detectDelimiter(sample: string): string {
  const lines = sample
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, 20);
  if (lines.length > 1 && !sample.endsWith('\n')) lines.pop(); // the last line may be cut
  let best = ',';
  let bestScore = 0;
  for (const delimiter of [',', ';', '\t']) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const same = counts.filter((c) => c === first).length;
    const score = same * 1000 + first;
    if (score > bestScore) [best, bestScore] = [delimiter, score];
  }
  return best;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let inQuotes = false;
  let n = 0;
  for (const char of line) {
    if (char === '"') inQuotes = !inQuotes;
    else if (char === delimiter && !inQuotes) n++;
  }
  return n;
}

/**
 * The file's rows, numbered from 1 as a spreadsheet would: each record is a row, a quoted cell's line breaks included
 * (empty lines are skipped but still counted).
 */
export async function* readTextRows(path: string, layout: TextLayout): AsyncGenerator<SheetRow> {
  const input = createReadStream(path, { start: layout.bomBytes, highWaterMark: 1024 * 1024 });
  const decoder = textDecoder(layout.encoding);
  const parser = parse({
    delimiter: layout.delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_CHARS,
  });
  // The parser reads UTF-8 bytes itself: decoding them first only for it to encode the text again doubled the work.
  const utf8 = layout.encoding === 'utf-8';
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        const piece = utf8 ? (chunk as Buffer) : decoder.decode(chunk as Buffer, { stream: true });
        if (!parser.write(piece)) await new Promise((resolve) => parser.once('drain', resolve));
      }
      const rest = utf8 ? '' : decoder.decode();
      if (rest) parser.write(rest);
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  // Counted here rather than read from the parser's per-record info, which doubles the cost of parsing.
  let row = 0;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      row++;
      if (cells.length === 1 && cells[0] === '') continue;
      yield { row, cells };
    }
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (/max_record_size|record size/i.test(message)) {
      throw importError('RowTooLong', 'A row of the file is longer than 1 MB: no field can be that long');
    }
    throw importError('BadCsv', `The file is not valid CSV: ${message}`);
  }
  await feed;
}
