// CSV output (RFC 4180) streamed row by row, with cells a spreadsheet would run as formulas neutralized.
import type { Context } from 'hono';
import { stream } from 'hono/streaming';

/** Always a formula to a spreadsheet (OWASP CSV injection): `=`, `@`, tab or CR first. */
const FORMULA_START = /^[=@\t\r]/;
/** `+` or `-` first is a formula too, unless the rest is a number such as a phone (`+34 612 34 56 78`, `-1.5`). */
const SIGNED = /^[+-]/;
const NUMBER_LIKE = /^[+-][\d .()-]*\d[\d .()-]*$/;
/**
 * C0 controls but tab, CR and LF (which stay, in quoted cells), DEL and C1 controls: a raw NUL cuts the file short in
 * many readers, and none of these is text anyone typed. Each becomes U+FFFD, so the reader sees something was there.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/** The cell's text: dates as ISO 8601 (UTC), lists comma-separated, control characters replaced. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(', ') : String(value);
  return text.replace(CONTROL, '\uFFFD');
}

/** Whether Excel, LibreOffice or Google Sheets would evaluate this text typed or opened as a CSV cell. */
export function runsAsFormula(text: string): boolean {
  return FORMULA_START.test(text) || (SIGNED.test(text) && !NUMBER_LIKE.test(text));
}

export function csvCell(value: unknown): string {
  let text = cellText(value);
  // A leading quote keeps the cell text (the importer removes it again).
  if (runsAsFormula(text)) text = `'${text}`;
  return /[",\t\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** Streams `rows` as a CSV download; the header row comes first, a UTF-8 BOM lets Excel read accents. */
export function csvResponse(c: Context, filename: string, header: string[], rows: AsyncIterable<unknown[]>) {
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="${filename}"`);
  c.header('Cache-Control', 'no-store');
  return stream(c, async (out) => {
    await out.write(`\uFEFF${csvLine(header)}`);
    let batch = '';
    for await (const row of rows) {
      batch += csvLine(row);
      if (batch.length > 64_000) {
        await out.write(batch);
        batch = '';
      }
    }
    if (batch) await out.write(batch);
  });
}
