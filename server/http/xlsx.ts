// XLSX output streamed row by row (exceljs' streaming writer, inline strings), with formula-like text neutralized
// as in CSV downloads, so a download's memory does not grow with the number of rows.
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Context } from 'hono';

const FORMULA_START = /^[=+\-@\t\r]/;

export function xlsxCell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = Array.isArray(value) ? value.join(', ') : String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Writes `rows` as one worksheet into `out`; waits whenever the reader falls behind. */
export async function writeXlsx(
  out: PassThrough,
  sheetName: string,
  header: string[],
  rows: AsyncIterable<unknown[]>,
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet(sheetName);
  const headerRow = sheet.addRow(header);
  headerRow.font = { bold: true };
  headerRow.commit();
  for await (const row of rows) {
    sheet.addRow(row.map(xlsxCell)).commit();
    if (out.writableLength > 4 * 1024 * 1024) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  sheet.commit();
  await workbook.commit();
}

export function xlsxResponse(c: Context, filename: string, header: string[], rows: AsyncIterable<unknown[]>) {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  writeXlsx(out, 'Users', header, rows).catch((error: unknown) => out.destroy(error as Error));
  c.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  c.header('Content-Disposition', `attachment; filename="${filename}"`);
  c.header('Cache-Control', 'no-store');
  return c.body(Readable.toWeb(out) as ReadableStream);
}
