// A small zip reader for spreadsheets: reads the central directory of a file held in memory (at most 50 MB) and
// inflates one entry at a time in small steps, refusing zip bombs (total size and compression ratio caps).
import { Inflate } from 'fflate';
import { importError } from './problems.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
  encrypted: boolean;
}

export interface InflateBudget {
  /** Bytes every entry of this file may inflate to, together. */
  remaining: number;
}

/** The most a spreadsheet's XML may inflate to, whatever its size, and the most it may inflate per zipped byte. */
export const MAX_INFLATED_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_RATIO = 200;

export function inflateBudget(fileBytes: number): InflateBudget {
  return { remaining: Math.min(MAX_INFLATED_BYTES, Math.max(fileBytes, 64 * 1024) * MAX_RATIO) };
}

const bomb = () =>
  importError('ZipBomb', 'The file expands to far more data than a spreadsheet of its size holds (a zip bomb?)');
const broken = () => importError('BrokenFile', 'The file is damaged or truncated: it is not a complete zip archive');

export function readZipDirectory(data: Buffer): Map<string, ZipEntry> {
  // End of central directory: the last 22 bytes, plus up to 64 KB of comment.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65_535); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw broken();
  let count = data.readUInt16LE(eocd + 10);
  let dirOffset = data.readUInt32LE(eocd + 16);
  if (dirOffset === 0xffffffff || count === 0xffff) {
    // Zip64 end of central directory locator sits just before.
    const locator = eocd - 20;
    if (locator < 0 || data.readUInt32LE(locator) !== 0x07064b50) throw broken();
    const record = Number(data.readBigUInt64LE(locator + 8));
    if (record + 56 > data.length || data.readUInt32LE(record) !== 0x06064b50) throw broken();
    count = Number(data.readBigUInt64LE(record + 32));
    dirOffset = Number(data.readBigUInt64LE(record + 48));
  }
  const entries = new Map<string, ZipEntry>();
  let at = dirOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== 0x02014b50) throw broken();
    const flags = data.readUInt16LE(at + 8);
    const method = data.readUInt16LE(at + 10);
    let compressedSize = data.readUInt32LE(at + 20);
    let size = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    let headerOffset = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    // Zip64 sizes live in the extra field when the 32-bit ones are saturated.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const tag = data.readUInt16LE(extra);
      const length = data.readUInt16LE(extra + 2);
      if (tag === 0x0001) {
        let p = extra + 4;
        if (size === 0xffffffff) {
          size = Number(data.readBigUInt64LE(p));
          p += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(data.readBigUInt64LE(p));
          p += 8;
        }
        if (headerOffset === 0xffffffff) headerOffset = Number(data.readBigUInt64LE(p));
      }
      extra += 4 + length;
    }
    entries.set(name, { name, method, compressedSize, size, headerOffset, encrypted: (flags & 1) === 1 });
    at = extraEnd + commentLength;
  }
  return entries;
}

/** The whole (small) entry as text, e.g. a manifest or workbook.xml. */
export function readZipText(data: Buffer, entry: ZipEntry, budget: InflateBudget): string {
  const parts: Buffer[] = [];
  for (const chunk of inflateChunks(data, entry, budget)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

/** The entry's bytes, a few hundred kilobytes at a time; throws on a bomb or a damaged entry. */
export function* inflateChunks(data: Buffer, entry: ZipEntry, budget: InflateBudget): Generator<Uint8Array> {
  if (entry.encrypted) throw importError('Encrypted', 'The workbook is password-protected: save it without a password');
  const local = entry.headerOffset;
  if (local + 30 > data.length || data.readUInt32LE(local) !== 0x04034b50) throw broken();
  const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
  const end = start + entry.compressedSize;
  if (end > data.length) throw broken();
  // The declared size must itself respect the budget, and the data may not inflate past it.
  if (entry.size > budget.remaining || entry.size > Math.max(entry.compressedSize, 1024) * MAX_RATIO * 5) throw bomb();
  if (entry.method === 0) {
    const step = 256 * 1024;
    for (let at = start; at < end; at += step) {
      const chunk = data.subarray(at, Math.min(end, at + step));
      budget.remaining -= chunk.length;
      if (budget.remaining < 0) throw bomb();
      yield chunk;
    }
    return;
  }
  if (entry.method !== 8)
    throw importError('UnsupportedFile', `The file uses an unsupported compression (${entry.method})`);
  let out: Uint8Array[] = [];
  let produced = 0;
  const inflater = new Inflate((chunk) => {
    produced += chunk.length;
    budget.remaining -= chunk.length;
    if (budget.remaining < 0 || produced > entry.size + 1024) throw bomb();
    out.push(chunk);
  });
  // 16 KB of deflate inflates to at most ~16 MB, so one step can never exhaust memory.
  const step = 16 * 1024;
  try {
    for (let at = start; at < end; at += step) {
      const next = Math.min(end, at + step);
      inflater.push(data.subarray(at, next), next === end);
      if (out.length > 0) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
  } catch (error) {
    if ((error as { code?: string }).code) throw error;
    throw broken();
  }
  if (produced !== entry.size) throw broken();
}
