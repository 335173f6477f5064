// An import job as the API shows it: its row, with a running job's progress taken from its runner, its progress
// file or its heartbeat (a job whose heartbeat stopped is shown failed).
import { readFile, stat } from 'node:fs/promises';
import type { ImportMapping, ImportMode, TextEncoding } from '../../../shared/import-schemas.js';
import type { ImportJob } from '../../../shared/responses/imports.js';
import { type JobRow, STALE_MS } from './job-store.js';
import type { RowProblem } from './problems.js';
import type { Live } from './runner.js';

/** A run's progress as the API shows it: its counts, not the runner's own cancel flag. */
const shownProgress = ({ cancel: _, ...counts }: Partial<Live>) => counts;

/**
 * The job; `full` adds its preview and problems (a list leaves them out). `live` is this process's run of it, if
 * any; `progressFile` is where another process running it writes its progress.
 */
export async function presentJob(
  row: JobRow,
  full: boolean,
  live: Live | undefined,
  progressFile: string,
): Promise<ImportJob> {
  let status = row.status as ImportJob['status'];
  let message = row.message;
  let progress = {
    phase: row.phase,
    processed: row.processed,
    total: row.to_create + row.to_update + row.bad_rows,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
  };
  if (live) progress = { ...progress, ...shownProgress(live) };
  else if (status === 'running') {
    // Another process runs it: its progress file (same machine) or the database (PostgreSQL) tell how far it is.
    const info = await stat(progressFile).catch(() => null);
    if (info) {
      const saved = JSON.parse(await readFile(progressFile, 'utf8').catch(() => '{}')) as Partial<Live>;
      progress = { ...progress, ...shownProgress(saved) };
    }
    const beat = Math.max(info?.mtimeMs ?? 0, Date.parse(row.heartbeat_at ?? row.started_at ?? row.updated_at));
    if (Date.now() - beat > STALE_MS) {
      status = 'failed';
      message = 'The import was interrupted (the server stopped) and nothing was written';
    }
  }
  return {
    id: row.id,
    fileName: row.file_name,
    format: row.format,
    encoding: (row.encoding as TextEncoding | null) ?? null,
    fileBytes: Number(row.file_bytes),
    status,
    mode: row.mode as ImportMode,
    partial: row.partial === 1,
    hasHeader: row.has_header === 1,
    headers: JSON.parse(row.headers_json) as string[],
    mapping: JSON.parse(row.mapping_json) as ImportMapping,
    preview: full ? (JSON.parse(row.preview_json) as ImportJob['preview']) : [],
    problems: full ? (JSON.parse(row.problems_json) as RowProblem[]) : [],
    counts: {
      rows: row.total_rows,
      badRows: row.bad_rows,
      problems: row.problem_count,
      toCreate: row.to_create,
      toUpdate: row.to_update,
    },
    progress,
    generatedPasswords: row.generated_passwords,
    passwordsAvailable: row.secrets !== null,
    message,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
