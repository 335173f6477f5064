// Import and export benchmark (`node --import tsx bench/import.ts`): generates a 50 MB CSV, XLSX and ODS of new
// users (no phones, no passwords: every row gets an extension and a generated password), imports each end to end
// through the HTTP API (upload, preview, import) on SQLite and PostgreSQL, and exports 1,000,000 users to CSV.
// Each scenario runs in its own process so its peak memory (process.memoryUsage().rss, sampled) is its own.
// BENCH_DB (sqlite,postgres), BENCH_FORMATS (csv,xlsx,ods), BENCH_EXPORT_USERS (1000000) change the run.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import ExcelJS from 'exceljs';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { createApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import type { Dialect } from '../server/db/dialect.js';
import { migrateToLatest, openDatabase } from '../server/db/index.js';
import { insertUsersInBulk } from '../server/services/user-bulk-insert.js';
import { FIRST_NAMES, generateUsers, LAST_NAMES, random } from './data.js';
import { postgresServer } from './databases.js';

const MB = 1024 * 1024;
const TARGET = 50 * MB - 64 * 1024;
const DIALECTS = (process.env.BENCH_DB ?? 'sqlite,postgres').split(',') as Dialect[];
const FORMATS = (process.env.BENCH_FORMATS ?? 'csv,xlsx,ods')
  .split(',')
  .filter((f) => ['csv', 'xlsx', 'ods'].includes(f));
const EXPORT_USERS = Number(process.env.BENCH_EXPORT_USERS ?? 1_000_000);
const PASSWORD = 'Bench-pass-2026!';
const ZONES = ['UTC', 'Europe/Madrid', 'America/Sao_Paulo', 'America/New_York', 'Asia/Kolkata'];
const LANGS = ['en', 'es', 'pt-BR', 'fr', 'de'];

type Fields = [string, string, string, string, Date, string, string];

function* people(): Generator<Fields> {
  const next = random(42);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  for (let i = 1; ; i++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local = `${first}.${last}${i}`
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9.]/g, '');
    const from = new Date(Date.UTC(2026, Math.floor(next() * 12), 1 + Math.floor(next() * 28)));
    yield [local, `${first} ${last}`, `${local}@example.com`, '', from, pick(ZONES), pick(LANGS)];
  }
}

const HEADER = [
  'Username',
  'Full Name',
  'Email',
  'Profile',
  'Valid from',
  'Expiration',
  'Time zone',
  'Language',
  'Phone',
  'Password',
];

async function writeCsv(path: string): Promise<number> {
  const out = createWriteStream(path);
  let size = 0;
  let rows = 0;
  let chunk = `${HEADER.join(',')}\r\n`;
  for (const [user, name, email, profile, from, zone, lang] of people()) {
    const line = `${user},${name},${email},${profile},${from.toISOString().slice(0, 10)},,${zone},${lang},,\r\n`;
    if (size + chunk.length + line.length > TARGET) break;
    chunk += line;
    rows++;
    if (chunk.length > MB) {
      size += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((r) => out.once('finish', () => r()));
  return rows;
}

async function writeXlsx(path: string, rows: number): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: false });
  const sheet = workbook.addWorksheet('Users');
  sheet.addRow(HEADER).commit();
  let n = 0;
  for (const [user, name, email, , from, zone, lang] of people()) {
    if (n++ >= rows) break;
    sheet.addRow([user, name, email, null, from, null, zone, lang]).commit();
    if (n % 20_000 === 0) await new Promise((r) => setImmediate(r));
  }
  sheet.commit();
  await workbook.commit();
}

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
const text = (value: string) =>
  value
    ? `<table:table-cell office:value-type="string"><text:p>${xml(value)}</text:p></table:table-cell>`
    : '<table:table-cell/>';

async function writeOds(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const zip = new Zip((error, data) => {
    if (error) throw error;
    out.write(data);
  });
  const mimetype = new ZipPassThrough('mimetype');
  zip.add(mimetype);
  mimetype.push(new TextEncoder().encode('application/vnd.oasis.opendocument.spreadsheet'), true);
  const content = new ZipDeflate('content.xml', { level: 6 });
  zip.add(content);
  const enc = new TextEncoder();
  content.push(
    enc.encode(
      '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Users">' +
        `<table:table-row>${HEADER.map(text).join('')}</table:table-row>`,
    ),
  );
  let n = 0;
  let chunk = '';
  for (const [user, name, email, , from, zone, lang] of people()) {
    if (n++ >= rows) break;
    const date = from.toISOString().slice(0, 10);
    chunk += `<table:table-row>${text(user)}${text(name)}${text(email)}<table:table-cell/><table:table-cell office:value-type="date" office:date-value="${date}"><text:p>${date}</text:p></table:table-cell><table:table-cell/>${text(zone)}${text(lang)}</table:table-row>`;
    if (chunk.length > MB) {
      content.push(enc.encode(chunk));
      chunk = '';
      if (out.writableLength > 8 * MB) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  content.push(enc.encode(`${chunk}</table:table></office:spreadsheet></office:body></office:document-content>`), true);
  zip.end();
  out.end();
  await new Promise<void>((r) => out.once('finish', () => r()));
}

/** Writes a file of `probe` rows, then one sized to about 50 MB from it. */
async function sized(path: string, write: (path: string, rows: number) => Promise<void>, cap: number): Promise<number> {
  const probe = 50_000;
  await write(path, probe);
  const rows = Math.min(cap, Math.floor((probe * TARGET * 0.97) / statSync(path).size));
  await write(path, rows);
  return rows;
}

function postgres() {
  return postgresServer({ shared_buffers: '512MB', max_wal_size: '4GB', synchronous_commit: 'off' });
}

/** Runs one scenario in a child process; it prints one JSON line. */
interface Result {
  rows: number;
  seconds: number;
  rate: number;
  peak: number;
  bytes: number;
  preview: number;
}

function child(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    // Node's heap grows lazily up to a quarter of the machine's memory before it collects in earnest; the import's
    // live set is under 100 MB, so cap the old space as a deployment would (NODE_OPTIONS=--max-old-space-size=256).
    // (512 MB for the million-row XLSX and ODS files, whose usernames alone take about 100 MB.)
    const heap = args[3]?.endsWith('.csv') ? 256 : 512;
    const proc = spawn(
      process.execPath,
      [`--max-old-space-size=${heap}`, '--import', 'tsx', 'bench/import.ts', ...args],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ROSTER_IMPORT_DIR: join(tmpdir(), 'roster-bench-imports') },
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

// ---------- worker side ----------

async function serverFor(url: string) {
  const handle = openDatabase(url);
  await migrateToLatest(handle);
  const ctx = createContext({ ...loadConfig({}), databaseUrl: url }, handle);
  const created = await ctx.accounts.create({ name: 'Import run', owner: { username: 'owner' } });
  const app = createApp(ctx);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const address = server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}/api/v1`;
  const signIn = async (password: string) => {
    const reply = await fetch(`${base}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: created.account.slug, username: 'owner', password }),
    });
    const session = (await reply.json()) as { csrfToken: string };
    return { cookie: (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: session.csrfToken };
  };
  const pending = await signIn(created.oneTimePassword);
  await fetch(`${base}/auth/change-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: pending.cookie, 'x-csrf-token': pending.csrf },
    body: JSON.stringify({ currentPassword: created.oneTimePassword, newPassword: PASSWORD }),
  });
  const session = await signIn(PASSWORD);
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  return { handle, ctx, accountId: created.account.id, base, headers, close: () => server.close() };
}

function sampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak && process.env.BENCH_VERBOSE)
      console.error(
        JSON.stringify({ rss: m.rss / MB, heap: m.heapUsed / MB, ext: m.external / MB, ab: m.arrayBuffers / MB }),
      );
    peak = Math.max(peak, m.rss);
  }, 50);
  return {
    reset: () => {
      peak = process.memoryUsage().rss;
    },
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss) / MB;
    },
  };
}

async function importWorker(url: string, file: string) {
  const memory = sampler();
  const s = await serverFor(url);
  // A million new users need a wider extension range than the default.
  await fetch(`${s.base}/import-settings`, {
    method: 'PUT',
    headers: { ...s.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ extensionFirst: 1000, extensionLast: 9_999_999 }),
  });
  const start = performance.now();
  const uploaded = await fetch(`${s.base}/imports?name=${encodeURIComponent(file.split('/').pop() ?? '')}`, {
    method: 'POST',
    headers: { ...s.headers, 'content-type': 'application/octet-stream' },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const job = (await uploaded.json()) as { id: number; counts: { toCreate: number; badRows: number } };
  if (!uploaded.ok) throw new Error(JSON.stringify(job));
  const previewed = performance.now();
  await fetch(`${s.base}/imports/${job.id}/start`, {
    method: 'POST',
    headers: { ...s.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'create' }),
  });
  let done: { status: string; message: string; progress: { created: number } } = {
    status: 'running',
    message: '',
    progress: { created: 0 },
  };
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    // A poll may meet a keep-alive socket the server just closed: ask again.
    const reply = await fetch(`${s.base}/imports/${job.id}`, { headers: s.headers }).catch(() => null);
    if (!reply?.ok) continue;
    done = (await reply.json()) as typeof done;
    if (done.status !== 'running') break;
  }
  const seconds = (performance.now() - start) / 1000;
  if (done.status !== 'done') throw new Error(done.message);
  const peak = memory.stop();
  s.close();
  await s.handle.close();
  const rows = done.progress.created;
  console.log(
    JSON.stringify({
      rows,
      seconds,
      rate: rows / seconds,
      preview: (previewed - start) / 1000,
      peak,
      bytes: statSync(file).size,
    }),
  );
}

async function exportWorker(url: string, users: number) {
  const s = await serverFor(url);
  await insertUsersInBulk(s.handle, s.accountId, generateUsers(users));
  const memory = sampler();
  const start = performance.now();
  // Seeding blocked the event loop, so the keep-alive socket of the sign-in may be gone: retry once on a new one.
  const download = () => fetch(`${s.base}/users/export.csv`, { headers: s.headers });
  const reply = await download().catch(download);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of reply.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  const seconds = (performance.now() - start) / 1000;
  const peak = memory.stop();
  s.close();
  await s.handle.close();
  console.log(JSON.stringify({ rows: lines - 1, seconds, rate: (lines - 1) / seconds, peak, bytes }));
}

// ---------- driver ----------

async function main() {
  const [mode, dialectOrUrl, url, arg] = process.argv.slice(2);
  if (mode === 'import') return importWorker(url as string, arg as string);
  if (mode === 'export') return exportWorker(url as string, Number(arg));
  void dialectOrUrl;

  const dir = process.env.BENCH_IMPORT_FILES ?? join(tmpdir(), 'roster-bench-files');
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    csv: join(dir, 'users.csv'),
    xlsx: join(dir, 'users.xlsx'),
    ods: join(dir, 'users.ods'),
  };
  for (const format of FORMATS) {
    const path = files[format] as string;
    if (existsSync(path)) continue;
    console.error(`generating ${format}...`);
    if (format === 'csv') await writeCsv(path);
    if (format === 'xlsx') await sized(path, writeXlsx, 1_048_000);
    if (format === 'ods') await sized(path, writeOds, 1_048_000);
  }
  const rows: string[] = [];
  const pgServer = DIALECTS.includes('postgres') ? await postgres() : null;
  try {
    for (const dialect of DIALECTS) {
      // A scenario's SQLite database (up to a gigabyte) is removed once the scenario is measured.
      const scratch: string[] = [];
      const fresh = async () => {
        if (dialect !== 'sqlite') return await pgServer?.newDatabase();
        const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
        scratch.push(dir);
        return join(dir, 'roster.db');
      };
      const clean = () => {
        for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
      };
      for (const format of FORMATS) {
        const file = files[format] as string;
        const r = await child(['import', dialect, (await fresh()) as string, file]).finally(clean);
        const line = `| ${dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | Import ${(r.bytes / MB).toFixed(1)} MB ${format.toUpperCase()} (${r.rows.toLocaleString('en-US')} new users, generated passwords and extensions) | ${r.seconds.toFixed(1)} s (preview ${r.preview.toFixed(1)} s) | ${Math.round(r.rate).toLocaleString('en-US')} rows/s | ${Math.round(r.peak)} MB |`;
        console.error(line);
        rows.push(line);
      }
      if (EXPORT_USERS > 0) {
        const r = await child(['export', dialect, (await fresh()) as string, String(EXPORT_USERS)]).finally(clean);
        const line = `| ${dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | Export ${r.rows.toLocaleString('en-US')} users to CSV (${(r.bytes / MB).toFixed(0)} MB, streamed) | ${r.seconds.toFixed(1)} s | ${Math.round(r.rate).toLocaleString('en-US')} rows/s | ${Math.round(r.peak)} MB |`;
        console.error(line);
        rows.push(line);
      }
    }
  } finally {
    await pgServer?.stop();
  }
  console.log('| Database | Scenario | Time | Rate | Peak memory |');
  console.log('|---|---|---|---|---|');
  for (const line of rows) console.log(line);
}

await main();
