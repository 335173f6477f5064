// `roster sync CONNECTION`: the same directory sync as the console's, run as the account's owner, with a progress
// bar on stderr and the run's counts (or, with --preview, what a sync would do) on stdout.
import type { AppContext } from '../server/context.js';
import { AppError } from '../server/errors.js';
import type { Actor } from '../server/policy.js';
import type { DirectorySyncPreview, DirectorySyncRun } from '../shared/responses/directory.js';

function bar(done: number, total: number): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const width = 30;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${Math.floor(share * 100)}% ${done}/${total}`;
}

function printCounts(run: DirectorySyncRun) {
  const c = run.counts;
  console.log(
    `Users: ${c.created} created, ${c.updated} updated, ${c.disabled} disabled, ${c.enabled} enabled, ${c.deleted} deleted, ${c.unchanged} unchanged, ${c.skipped} skipped (sync off), ${c.errors} errors`,
  );
  console.log(
    `Groups: ${c.groupsCreated} created, ${c.groupsUpdated} updated, ${c.groupsDeleted} deleted; ${c.membershipsChanged} memberships changed`,
  );
  for (const problem of run.errors.slice(0, 20)) console.log(`  error: ${problem.dn}: ${problem.message}`);
  if (run.errors.length > 20) console.log(`  ... and ${run.errors.length - 20} more errors`);
  for (const warning of run.warnings.slice(0, 20)) console.log(`  warning: ${warning.dn}: ${warning.message}`);
}

function printPreview(preview: DirectorySyncPreview) {
  console.log('Preview: nothing was written.');
  for (const [action, list] of Object.entries(preview.users)) {
    console.log(`Users to ${action === 'skip' ? 'leave alone (sync off)' : action}: ${list.total}`);
    for (const user of list.items.slice(0, 10)) console.log(`  ${user.username} (${user.dn})`);
    if (list.total > 10) console.log(`  ... and ${list.total - 10} more`);
  }
  for (const [action, list] of Object.entries(preview.groups)) {
    console.log(`Groups to ${action}: ${list.total}`);
    for (const group of list.items.slice(0, 10)) console.log(`  ${group.name} (${group.dn})`);
  }
  printCounts(preview.run);
}

export async function syncDirectory(
  ctx: AppContext,
  actor: Actor,
  name: string,
  options: { preview: boolean; incremental: boolean },
): Promise<number> {
  const connection = (
    await ctx.database.db
      .selectFrom('directory_connections')
      .select(['id', 'name'])
      .where('account_id', '=', actor.accountId)
      .execute()
  ).find((row) => row.name.toLowerCase() === name.toLowerCase());
  if (!connection) throw new AppError(404, 'NotFound', `No directory connection "${name}" in the account`);
  const kind = options.incremental ? 'incremental' : 'full';
  process.stderr.write(`${options.preview ? 'Previewing' : 'Running'} a ${kind} sync of ${connection.name}...\n`);
  const started = await ctx.directorySync.start(actor, connection.id, { kind, preview: options.preview });
  if (started.preview) {
    printPreview(started.preview);
    return 0;
  }
  const tty = process.stderr.isTTY;
  let run = started.run;
  let shown = '';
  while (run.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    run = await ctx.directorySync.run(actor, connection.id, run.id);
    const line = bar(run.progress.done, run.progress.total);
    if (line !== shown) {
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
      shown = line;
    }
  }
  await ctx.directorySync.idle();
  if (tty) process.stderr.write('\n');
  printCounts(run);
  if (run.status === 'failed') {
    console.error(`The sync failed: ${run.message}`);
    return 1;
  }
  console.log(`Sync ${run.id} finished.`);
  return 0;
}
