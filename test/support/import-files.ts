// Import fixture files built in the test itself: CSV/TXT in several encodings, XLSX (exceljs), ODS (a zipped
// content.xml), and the broken files an import must refuse.
import ExcelJS from 'exceljs';
import { zipSync } from 'fflate';
import type { Client, Harness } from './harness.js';

export type Cells = (string | number | Date | { formula: string } | null)[];

export function csv(
  rows: Cells[],
  options: { delimiter?: string; encoding?: 'utf8' | 'utf8bom' | 'utf16le' | 'utf16be' } = {},
): Buffer {
  const d = options.delimiter ?? ',';
  const text = rows
    .map((row) =>
      row
        .map((cell) => {
          const value = cell === null ? '' : String(cell);
          return value.includes(d) || value.includes('"') || value.includes('\n')
            ? `"${value.replaceAll('"', '""')}"`
            : value;
        })
        .join(d),
    )
    .join('\r\n');
  switch (options.encoding ?? 'utf8') {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16be': {
      const le = Buffer.from(text, 'utf16le');
      const be = Buffer.alloc(le.length);
      for (let i = 0; i < le.length; i += 2) [be[i], be[i + 1]] = [le[i + 1] as number, le[i] as number];
      return Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
    }
  }
}

export async function xlsx(rows: Cells[], merge?: string): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Users');
  rows.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (cell === null) return;
      const target = sheet.getCell(r + 1, c + 1);
      target.value = typeof cell === 'object' && !(cell instanceof Date) ? { formula: cell.formula, result: 1 } : cell;
    });
  });
  if (merge) sheet.mergeCells(merge);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const esc = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** An ODS whose rows are given as raw cell XML or values; `extra` is XML appended inside the table. */
export function ods(rows: Cells[], extra = ''): Buffer {
  const cell = (value: Cells[number]) => {
    if (value === null) return '<table:table-cell/>';
    if (value instanceof Date) {
      return `<table:table-cell office:value-type="date" office:date-value="${value.toISOString().slice(0, 10)}"><text:p>x</text:p></table:table-cell>`;
    }
    if (typeof value === 'number') {
      return `<table:table-cell office:value-type="float" office:value="${value}"><text:p>${value}</text:p></table:table-cell>`;
    }
    if (typeof value === 'object') {
      return `<table:table-cell table:formula="of:${esc(value.formula)}" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>`;
    }
    return `<table:table-cell office:value-type="string"><text:p>${esc(value)}</text:p></table:table-cell>`;
  };
  const body = rows.map((row) => `<table:table-row>${row.map(cell).join('')}</table:table-row>`).join('');
  return odsFromTable(body + extra);
}

export function odsFromTable(tableXml: string, files: Record<string, string> = {}): Buffer {
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Users">${tableXml}</table:table></office:spreadsheet></office:body></office:document-content>`;
  const enc = (s: string) => new TextEncoder().encode(s);
  const entries: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    mimetype: [enc('application/vnd.oasis.opendocument.spreadsheet'), { level: 0 }],
    'content.xml': enc(content),
    'META-INF/manifest.xml': enc(
      files['META-INF/manifest.xml'] ??
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
    ),
  };
  return Buffer.from(zipSync(entries));
}

/** Uploads a file as the request body, as the console does. */
export async function upload(
  h: Harness,
  client: Client,
  name: string,
  data: Buffer | Uint8Array,
  headers: Record<string, string> = {},
) {
  const response = await h.app.request(`/api/v1/imports?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    body: new Blob([new Uint8Array(data)]),
    headers: {
      cookie: client.cookie,
      'x-csrf-token': client.csrfToken,
      'content-type': 'application/octet-stream',
      ...headers,
    },
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: test replies are read loosely.
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, body, text };
}

/** Starts an import and waits until it is no longer running. */
export async function runImport(
  client: Client,
  id: number,
  input: { mode?: string; partial?: boolean; sendInvitations?: boolean } = {},
) {
  const started = await client.post(`/imports/${id}/start`, input);
  if (started.status !== 202) return started;
  for (let i = 0; i < 600; i++) {
    const job = await client.get(`/imports/${id}`);
    if (job.body.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('import did not finish');
}
