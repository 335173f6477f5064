// XLSX output streamed row by row (exceljs' streaming writer), so a download's memory does not grow with the number
// of rows. Text is written as inline string cells (ECMA-376 `t="inlineStr"`): a string cell is never evaluated, so
// unlike CSV nothing needs a leading quote; dates are date cells (a serial number with a date format).
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Context } from 'hono';
import { cellText } from './csv.js';

/** How date cells show; the value is the date's serial number (UTC), so a spreadsheet sorts and computes with it. */
export const XLSX_DATE_FORMAT = 'yyyy-mm-dd hh:mm';

export function xlsxCell(value: unknown): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  const text = cellText(value);
  if (text === '') return null;
  // exceljs writes a plain string as `t="str"` (the type of a formula's string result); a rich-text value without
  // formatting is written as the inline string the format defines for text.
  return { richText: [{ text }] };
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
  // Wide enough for a date and time (Excel shows ##### in a column too narrow for a date).
  sheet.columns = header.map((name) => ({ width: Math.max(18, name.length + 2) }));
  const headerRow = sheet.addRow(header.map(xlsxCell));
  headerRow.font = { bold: true };
  headerRow.commit();
  for await (const row of rows) {
    const added = sheet.addRow(row.map(xlsxCell));
    row.forEach((value, index) => {
      if (value instanceof Date) added.getCell(index + 1).numFmt = XLSX_DATE_FORMAT;
    });
    added.commit();
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
