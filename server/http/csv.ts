// CSV output (RFC 4180) streamed row by row, with cells a spreadsheet would run as formulas neutralized.
import type { Context } from 'hono';
import { stream } from 'hono/streaming';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value);
  // OWASP: a leading = + - @ tab or CR makes Excel/LibreOffice evaluate the cell; a leading quote keeps it text.
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
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
