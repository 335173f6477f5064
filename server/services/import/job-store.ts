// Import jobs as they are kept: their rows in `import_jobs` and their staging folders (the staged rows, the upload,
// the bad-rows file, progress), found for an actor who may import, and swept a week after they last changed.
import { createHash } from 'node:crypto';
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Selectable } from 'kysely';
import type { Db } from '../../db/index.js';
import type { ImportJobsTable } from '../../db/schema/import-jobs.js';
import { conflict, forbidden, notFound } from '../../errors.js';
import { type Actor, canOnAccount } from '../../policy.js';
import type { Cell, SheetRow } from './sheet.js';
import { readStaged, stagedDataRows } from './stage.js';

export type JobRow = Selectable<ImportJobsTable>;

/** The files of a job's staging folder. */
export const STAGED_ROWS = 'rows.jsonl';
/** A text file's upload, kept beside its staged rows so that it can be read again in another encoding. */
export const SOURCE_FILE = 'source';
/** The numbers a file gives as phones (written by the preview, read when free extensions are picked). */
export const FILE_PHONES = 'file-phones.json';
export const BAD_ROWS = 'bad-rows.csv';
/** A running job's progress, for the other processes of the same machine. */
export const PROGRESS = 'progress.json';

/** A running job whose progress has not moved for this long belongs to a process that died. */
export const STALE_MS = 60_000;
/** How long a job's staging folder (its rows, the bad-rows file) is kept after the job last changed. */
const KEEP_STAGED_DAYS = 7;
const KEEP_STAGED_MS = KEEP_STAGED_DAYS * 24 * 60 * 60 * 1000;
export const EXPIRED = `The uploaded file was removed after ${KEEP_STAGED_DAYS} days: upload it again`;

export const importRunning = () => conflict('ImportRunning', 'An import is already running in this account');
export const importDone = () =>
  conflict('ImportDone', 'This import is finished: upload the file again to import it again');

export function assertCanImport(actor: Actor): void {
  if (!canOnAccount(actor, 'users.import', actor.accountId)) {
    throw forbidden('Importing users needs an admin whose profile allows every user');
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export class ImportJobStore {
  private readonly prefix: string;

  /** `databaseUrl` keeps the staging directories of different databases on one machine apart. */
  constructor(
    readonly db: Db,
    private readonly now: () => Date,
    databaseUrl: string,
    private readonly root: string,
  ) {
    this.prefix = createHash('sha256').update(databaseUrl).digest('hex').slice(0, 12);
  }

  /** The job's staging folder. */
  dir(id: number): string {
    return join(this.root, `${this.prefix}-${id}`);
  }

  /** A file of the job's staging folder. */
  file(id: number, name: string): string {
    return join(this.dir(id), name);
  }

  async assertStaged(id: number): Promise<void> {
    if (!(await exists(this.file(id, STAGED_ROWS)))) throw conflict('ImportExpired', EXPIRED);
  }

  /** Whether the job's upload is still kept (text files only keep it). */
  hasSource(id: number): Promise<boolean> {
    return exists(this.file(id, SOURCE_FILE));
  }

  /** The staged rows past the header, a batch at a time. */
  dataRows(id: number, hasHeader: boolean): AsyncGenerator<SheetRow[]> {
    return stagedDataRows(this.file(id, STAGED_ROWS), hasHeader);
  }

  async firstRow(id: number): Promise<Cell[]> {
    for await (const batch of readStaged(this.file(id, STAGED_ROWS), 1)) return batch[0]?.cells ?? [];
    return [];
  }

  /** The actor's account's job (one being staged is not there yet). */
  async find(actor: Actor, id: number): Promise<JobRow> {
    assertCanImport(actor);
    const row = await this.db
      .selectFrom('import_jobs')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('id', '=', id)
      .where('status', '!=', 'staging')
      .executeTakeFirst();
    if (!row) throw notFound('Import');
    return row;
  }

  /** The account's last 20 jobs, newest first. */
  async latest(actor: Actor): Promise<JobRow[]> {
    assertCanImport(actor);
    return this.db
      .selectFrom('import_jobs')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('status', '!=', 'staging')
      .orderBy('id', 'desc')
      .limit(20)
      .execute();
  }

  /** Removes the job and its staging folder. */
  async remove(id: number): Promise<void> {
    await this.db.deleteFrom('import_jobs').where('id', '=', id).execute();
    await rm(this.dir(id), { recursive: true, force: true });
  }

  /**
   * Removes staging folders (they may hold passwords) a week after their job last changed, and folders no job owns;
   * an upload never imported expires with its folder. Staging and running jobs are left alone. Returns how many
   * folders went.
   */
  async sweep(): Promise<number> {
    const prefix = `${this.prefix}-`;
    const entries = await readdir(this.root).catch(() => [] as string[]);
    const ids = entries
      .filter((name) => name.startsWith(prefix))
      .map((name) => Number(name.slice(prefix.length)))
      .filter((id) => Number.isSafeInteger(id) && id > 0);
    if (ids.length === 0) return 0;
    const jobs = await this.db
      .selectFrom('import_jobs')
      .select(['id', 'status', 'updated_at'])
      .where('id', 'in', ids)
      .execute();
    const byId = new Map(jobs.map((job) => [job.id, job]));
    const now = this.now();
    let removed = 0;
    for (const id of ids) {
      const job = byId.get(id);
      if (
        job &&
        (['staging', 'running'].includes(job.status) || now.getTime() - Date.parse(job.updated_at) < KEEP_STAGED_MS)
      )
        continue;
      if (job && job.status !== 'done') {
        await this.db
          .updateTable('import_jobs')
          .set({ status: 'cancelled', message: EXPIRED, updated_at: now.toISOString() })
          .where('id', '=', id)
          .where('status', '=', job.status)
          .execute();
      }
      await rm(this.dir(id), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}
