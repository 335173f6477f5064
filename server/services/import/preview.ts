// The preview of an import: the upload staged and every row checked with the columns it seems to have (counts,
// the first rows, problems and the bad-rows file), checked again when the admin changes the mapping, the header
// choice, the mode or a text file's encoding.

import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import type { Updateable } from 'kysely';
import {
  IMPORT_FIELD_LABELS,
  type ImportMapping,
  type ImportMode,
  type ImportPreviewUpdate,
  importMappingSchema,
  isTextFormat,
  type TextEncoding,
} from '../../../shared/import-schemas.js';
import type { ImportJob } from '../../../shared/responses/imports.js';
import type { DatabaseHandle, Db } from '../../db/index.js';
import type { ImportJobsTable } from '../../db/schema/import-jobs.js';
import { idIn } from '../../db/sql-helpers.js';
import { AppError, conflict, validationFailed } from '../../errors.js';
import { csvLine } from '../../http/csv.js';
import type { Actor } from '../../policy.js';
import { accountPasswordRules } from '../password-policy.js';
import type { UserRow } from '../user-presenter.js';
import { type Lookup, RowChecker } from './check.js';
import { looksLikeHeader, mappingByPosition, mappingFromHeader } from './columns.js';
import {
  assertCanImport,
  BAD_ROWS,
  EXPIRED,
  FILE_PHONES,
  type ImportJobStore,
  importDone,
  importRunning,
  SOURCE_FILE,
  STAGED_ROWS,
} from './job-store.js';
import { describeProblems } from './prepare.js';
import type { RowProblem } from './problems.js';
import type { ImportSettingsStore } from './settings.js';
import { type Cell, cellText, phoneNumber, type SheetRow } from './sheet.js';
import { formatOf, pastHeader, type StagedFile } from './stage.js';
import { stagedRows } from './stage-thread.js';
import type { ProfileCatalogs } from './validate.js';

/** Problems kept for the preview; the bad-rows file has all of them. */
const MAX_STORED_PROBLEMS = 1000;
const PREVIEW_ROWS = 20;

export class ImportPreviews {
  private readonly db: Db;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly store: ImportJobStore,
    private readonly settings: ImportSettingsStore,
    private readonly now: () => Date,
    private readonly profiles: ProfileCatalogs,
  ) {
    this.db = handle.db;
  }

  /**
   * Reads the uploaded file (already saved at `path`), stages it and previews it with the columns it seems to have. A
   * text file is read in `encoding` when given, else in the encoding detected. Returns the new job's id.
   */
  async upload(
    actor: Actor,
    file: { name: string; path: string; bytes: number },
    options: { encoding?: TextEncoding } = {},
  ): Promise<number> {
    assertCanImport(actor);
    const format = formatOf(file.name);
    const at = this.now().toISOString();
    const { id } = await this.db
      .insertInto('import_jobs')
      .values({
        account_id: actor.accountId,
        created_by: actor.userId,
        file_name: file.name.slice(0, 255),
        format,
        file_bytes: file.bytes,
        status: 'staging',
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    let staging: AsyncGenerator<SheetRow[], StagedFile> | null = null;
    try {
      await mkdir(this.store.dir(id), { recursive: true, mode: 0o700 });
      if (isTextFormat(format)) await copyFile(file.path, this.store.file(id, SOURCE_FILE));
      // A large file is staged in a thread while this one checks the rows staged so far.
      const stager = stagedRows(file.path, format, this.store.file(id, STAGED_ROWS), file.bytes, options.encoding);
      staging = stager;
      const start = await stager.next();
      const head = start.done ? [] : start.value;
      const first = head[0]?.cells ?? [];
      const hasHeader = looksLikeHeader(first);
      // Without a header row, the columns are taken by position over the widest row: known for sure only at the end.
      const mapping = (width: number) =>
        JSON.stringify(hasHeader ? mappingFromHeader(first) : mappingByPosition(width));
      const checkedWith = mapping(Math.max(0, ...head.map((row) => row.cells.length)));
      await this.db
        .updateTable('import_jobs')
        .set({
          has_header: hasHeader ? 1 : 0,
          headers_json: JSON.stringify(hasHeader ? first.map(cellText) : []),
          mapping_json: checkedWith,
        })
        .where('id', '=', id)
        .execute();
      let remapped = false;
      const db = this.db;
      // The staged rows; at the end, the file's row count (and its mapping, if a wider row changed it) is stored
      // before the preview's results.
      async function* wholeFile(): AsyncGenerator<SheetRow[]> {
        let staged: StagedFile;
        if (start.done) staged = start.value;
        else {
          yield start.value;
          staged = yield* stager;
        }
        if (hasHeader && staged.rows === 1) {
          throw new AppError(422, 'HeaderOnly', 'The file has a header row but no users');
        }
        const final = mapping(staged.width);
        remapped = final !== checkedWith;
        await db
          .updateTable('import_jobs')
          .set({
            mapping_json: final,
            total_rows: staged.rows - (hasHeader ? 1 : 0),
            encoding: staged.encoding ?? null,
          })
          .where('id', '=', id)
          .execute();
      }
      const source = pastHeader(wholeFile(), hasHeader);
      await this.analyze(actor, id, source);
      // The check reads no rows when the mapping it began with is not valid: the file is staged to its end anyway.
      for await (const _ of source);
      // A row wider than those the check began with maps more columns: check the staged file again with them.
      if (remapped) await this.analyze(actor, id);
    } catch (error) {
      await staging?.return(undefined as never);
      await this.store.remove(id);
      throw error;
    }
    return id;
  }

  /**
   * Reads a text file's upload again in another encoding: a new preview (with its own header and mapping) replaces
   * this one, which is removed once the new one stands. Returns the new job's id.
   */
  async reread(actor: Actor, id: number, encoding: TextEncoding): Promise<number> {
    const job = await this.store.find(actor, id);
    if (job.status === 'done') throw importDone();
    if (!['ready', 'failed', 'cancelled'].includes(job.status)) throw importRunning();
    if (!isTextFormat(job.format)) {
      throw validationFailed([
        { path: 'encoding', message: 'Only text files (CSV, TSV, TXT) are read in an encoding' },
      ]);
    }
    if (!(await this.store.hasSource(id))) throw conflict('ImportExpired', EXPIRED);
    const next = await this.upload(
      actor,
      { name: job.file_name, path: this.store.file(id, SOURCE_FILE), bytes: Number(job.file_bytes) },
      { encoding },
    );
    await this.store.remove(id);
    return next;
  }

  /** Changes the header choice, the mapping or the mode, and checks every row again. */
  async revise(actor: Actor, id: number, input: ImportPreviewUpdate): Promise<void> {
    const job = await this.store.find(actor, id);
    if (job.status === 'done') throw importDone();
    if (!['ready', 'failed', 'cancelled'].includes(job.status)) throw importRunning();
    await this.store.assertStaged(id);
    const changes: Updateable<ImportJobsTable> = { status: 'ready' };
    if (input.hasHeader !== undefined && input.hasHeader !== (job.has_header === 1)) {
      const first = await this.store.firstRow(id);
      changes.has_header = input.hasHeader ? 1 : 0;
      changes.headers_json = JSON.stringify(input.hasHeader ? first.map(cellText) : []);
      changes.total_rows = job.total_rows + (input.hasHeader ? -1 : 1);
      if (!input.mapping) {
        const width = (JSON.parse(job.mapping_json) as unknown[]).length;
        changes.mapping_json = JSON.stringify(input.hasHeader ? mappingFromHeader(first) : mappingByPosition(width));
      }
    }
    if (input.mapping) changes.mapping_json = JSON.stringify(input.mapping);
    if (input.mode) changes.mode = input.mode;
    await this.db.updateTable('import_jobs').set(changes).where('id', '=', id).execute();
    await this.analyze(actor, id);
  }

  /** The rows with problems, each with its problems, as CSV (readable back by the importer once fixed). */
  async badRowsFile(actor: Actor, id: number): Promise<string> {
    await this.store.find(actor, id);
    const path = this.store.file(id, BAD_ROWS);
    await stat(path).catch(() => {
      throw new AppError(404, 'NotFound', 'The file of bad rows is no longer available');
    });
    return path;
  }

  private lookupIn(accountId: number): Lookup {
    return async (usernames) => {
      const found = new Map<string, UserRow>();
      for (let at = 0; at < usernames.length; at += 2000) {
        const rows = (await this.db
          .selectFrom('users')
          .selectAll()
          .where('account_id', '=', accountId)
          .where(idIn(this.handle.dialect, 'username', usernames.slice(at, at + 2000)))
          .execute()) as UserRow[];
        for (const row of rows) found.set(row.username, row);
      }
      return found;
    };
  }

  /**
   * Checks every staged row (or `staged`, the rows as they are staged) against the job's mapping and mode; stores
   * counts, problems and the bad-rows file.
   */
  private async analyze(actor: Actor, id: number, staged?: AsyncIterable<SheetRow[]>): Promise<void> {
    const accountId = actor.accountId;
    const job = await this.db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const mapping = JSON.parse(job.mapping_json) as ImportMapping;
    const valid = importMappingSchema.safeParse(mapping);
    const passwordColumn = mapping.indexOf('password');
    const phoneColumn = mapping.indexOf('phone');
    // Numbers the file gives as phones: free extensions for the users without one must avoid them.
    const filePhones = new Set<number>();
    const preview: ImportJob['preview'] = [];
    const problems: RowProblem[] = [];
    let problemCount = 0;
    let bad = 0;
    let toCreate = 0;
    let toUpdate = 0;
    let withoutPhone = 0;
    const badRows = createWriteStream(this.store.file(id, BAD_ROWS), { mode: 0o600 });
    const headers = JSON.parse(job.headers_json) as string[];
    const labels = mapping.map((field, i) => headers[i] ?? (field ? IMPORT_FIELD_LABELS[field] : `Column ${i + 1}`));
    badRows.write(`\uFEFF${csvLine([...labels, 'Problems'])}`);
    try {
      if (valid.success) {
        const passwords = await accountPasswordRules(this.db, accountId);
        const checker = new RowChecker(mapping, job.mode as ImportMode, await this.profiles(actor), passwords);
        const lookup = this.lookupIn(accountId);
        for await (const batch of checker.checkAhead(staged ?? this.store.dataRows(id, job.has_header === 1), lookup)) {
          for (const checked of batch) {
            const phone = phoneColumn < 0 ? null : phoneNumber(checked.cells[phoneColumn]);
            if (phone !== null) filePhones.add(phone);
            // Passwords a file gives are never shown back: masked in the preview, left out of the bad-rows file.
            const cells =
              passwordColumn < 0 ? checked.cells : checked.cells.map((c, i) => (i === passwordColumn ? null : c));
            if (preview.length < PREVIEW_ROWS) {
              const shown = cells.map(cellText);
              if (passwordColumn >= 0 && cellText(checked.cells[passwordColumn]) !== '')
                shown[passwordColumn] = '••••••••';
              preview.push({ row: checked.row, cells: shown });
            }
            if (checked.problems.length > 0) {
              bad++;
              problemCount += checked.problems.length;
              for (const p of checked.problems) if (problems.length < MAX_STORED_PROBLEMS) problems.push(p);
              const line = csvLine([...padded(cells, labels.length), describeProblems(checked.problems)]);
              if (!badRows.write(line)) await new Promise<void>((resolve) => badRows.once('drain', () => resolve()));
            } else if (checked.existing) toUpdate++;
            else {
              toCreate++;
              if (!checked.user?.phone) withoutPhone++;
            }
          }
        }
      }
    } catch (error) {
      // Its first line may still be waiting for the file to open: that write fails once destroyed, and is ignored.
      badRows.on('error', () => undefined);
      badRows.destroy();
      throw error;
    }
    badRows.end();
    await new Promise<void>((resolve) => badRows.once('finish', () => resolve()));
    await writeFile(this.store.file(id, FILE_PHONES), JSON.stringify([...filePhones]), { mode: 0o600 });
    let message = valid.success ? '' : (valid.error.issues[0]?.message ?? 'Fix the column mapping');
    if (valid.success && withoutPhone > 0) {
      const range = await this.settings.of(accountId);
      const size = range.extensionLast - range.extensionFirst + 1;
      if (withoutPhone > size) {
        message = `${withoutPhone} new users have no phone but the extension range ${range.extensionFirst}-${range.extensionLast} holds only ${size}: widen it in the import settings`;
      }
    }
    await this.db
      .updateTable('import_jobs')
      .set({
        status: 'ready',
        preview_json: JSON.stringify(preview),
        problems_json: JSON.stringify(problems),
        problem_count: problemCount,
        bad_rows: bad,
        to_create: toCreate,
        to_update: toUpdate,
        message,
        updated_at: this.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }
}

function padded(cells: Cell[], width: number): string[] {
  return Array.from({ length: Math.max(width, cells.length) }, (_, i) => cellText(cells[i]));
}
