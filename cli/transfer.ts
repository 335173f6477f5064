// `roster import` and `roster export`: the same import jobs and downloads as the console, run as the account's owner.
import { createWriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AppContext } from '../server/context.js';
import { AppError } from '../server/errors.js';
import { csvLine } from '../server/http/csv.js';
import { writeXlsx } from '../server/http/xlsx.js';
import type { Actor } from '../server/policy.js';
import { EXPORT_HEADER, exportRows } from '../server/routes/users.js';
import { MAX_IMPORT_BYTES } from '../shared/import-schemas.js';

export async function ownerOf(ctx: AppContext, slug: string): Promise<Actor> {
  const row = await ctx.database.db
    .selectFrom('accounts')
    .innerJoin('users', 'users.id', 'accounts.owner_user_id')
    .select(['users.id', 'users.account_id', 'users.username'])
    .where('accounts.slug', '=', slug)
    .executeTakeFirst();
  if (!row) throw new AppError(404, 'NotFound', `No account "${slug}"`);
  return { userId: row.id, accountId: row.account_id, username: row.username, accessType: 'admin', isOwner: true };
}

function bar(done: number, total: number): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const width = 30;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${Math.floor(share * 100)}% ${done}/${total}`;
}

export async function importFile(
  ctx: AppContext,
  actor: Actor,
  file: string,
  options: { mode: 'create' | 'upsert'; partial: boolean; invite?: boolean; passwordsOut: string },
): Promise<number> {
  const bytes = (await stat(file)).size;
  if (bytes > MAX_IMPORT_BYTES) throw new AppError(413, 'FileTooLarge', 'The file is larger than 50 MB: split it');
  const tty = process.stderr.isTTY;
  process.stderr.write(`Reading ${basename(file)}...\n`);
  let job = await ctx.imports.upload(actor, { name: basename(file), path: file, bytes });
  if (job.mode !== options.mode) job = await ctx.imports.revise(actor, job.id, { mode: options.mode });
  const c = job.counts;
  console.log(`${c.rows} rows: ${c.toCreate} to create, ${c.toUpdate} to update, ${c.badRows} with problems`);
  for (const p of job.problems.slice(0, 20))
    console.log(`  row ${p.row}${p.column ? `, column ${p.column}` : ''}: ${p.message}`);
  if (c.problems > 20) console.log(`  ... and ${c.problems - 20} more`);
  if (job.message) {
    console.error(job.message);
    return 1;
  }
  if (c.badRows > 0 && !options.partial) {
    console.error('Nothing was imported: fix the rows above, or pass --partial to import only the good rows.');
    return 1;
  }
  const started = await ctx.imports.start(
    actor,
    job.id,
    { mode: options.mode, partial: options.partial, sendInvitations: options.invite === true },
    {
      passwordSink: async (csv) => {
        await writeFile(options.passwordsOut, csv, { mode: 0o600 });
      },
    },
  );
  let last = '';
  const timer = setInterval(
    async () => {
      const now = await ctx.imports.get(actor, job.id).catch(() => null);
      if (now?.status !== 'running') return;
      const line = `${now.progress.phase} ${bar(now.progress.processed, now.progress.total)}`;
      if (tty) process.stderr.write(`\r${line}`);
      else if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    tty ? 200 : 1000,
  );
  try {
    await started.done;
  } finally {
    clearInterval(timer);
  }
  if (tty) process.stderr.write('\n');
  const result = await ctx.imports.get(actor, job.id);
  if (result.status !== 'done') {
    console.error(result.message || `The import ${result.status}`);
    return 1;
  }
  const p = result.progress;
  console.log(`Imported: ${p.created} created, ${p.updated} updated, ${p.skipped} rows skipped.`);
  if (result.generatedPasswords > 0) {
    console.log(`Generated passwords (to hand out; each must be changed at first sign-in): ${options.passwordsOut}`);
  }
  return 0;
}

export async function exportUsers(ctx: AppContext, actor: Actor, format: 'csv' | 'xlsx', out: string | undefined) {
  const target = out ? createWriteStream(out) : process.stdout;
  const rows = exportRows(ctx, actor, {});
  if (format === 'xlsx') {
    const pass = new PassThrough();
    pass.pipe(target);
    await writeXlsx(pass, 'Users', EXPORT_HEADER, rows);
    await new Promise<void>((resolve) => pass.once('end', () => resolve()));
  } else {
    let batch = `\uFEFF${csvLine(EXPORT_HEADER)}`;
    for await (const row of rows) {
      batch += csvLine(row);
      if (batch.length > 64_000) {
        if (!target.write(batch)) await new Promise<void>((resolve) => target.once('drain', () => resolve()));
        batch = '';
      }
    }
    target.write(batch);
  }
  if (out) await new Promise<void>((resolve) => (target as ReturnType<typeof createWriteStream>).end(() => resolve()));
}
