// Import jobs: upload (read and stage the file), preview (every row checked, problems and counts), the import
// itself (one transaction, progress, cancel), and the report (bad rows, generated passwords once).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledQuery, Selectable, Updateable } from 'kysely';
import {
  IMPORT_FIELD_LABELS,
  type ImportMapping,
  type ImportMode,
  type ImportPreviewUpdate,
  type ImportSettings,
  type ImportStart,
  importMappingSchema,
  isTextFormat,
  type TextEncoding,
} from '../../../shared/import-schemas.js';
import type { DatabaseHandle, Db } from '../../db/index.js';
import type { ImportJobsTable } from '../../db/schema/import-jobs.js';
import type { UsersTable } from '../../db/schema/users.js';
import { idIn } from '../../db/sql-helpers.js';
import { AppError, conflict, forbidden, notFound, validationFailed } from '../../errors.js';
import { csvLine } from '../../http/csv.js';
import { type Actor, canOnAccount } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import { ensureDepartmentsStatements } from '../departments.js';
import { accountPasswordRules } from '../password-policy.js';
import { hashPassword } from '../passwords.js';
import { derivedColumns, type UserRow } from '../user-presenter.js';
import { type Lookup, NO_LOOKUP, RowChecker } from './check.js';
import { looksLikeHeader, mappingByPosition, mappingFromHeader } from './columns.js';
import {
  Aborted,
  BatchPreparer,
  describeProblems,
  type ExtensionRange,
  type PreparedBatch,
  type PrepareJob,
} from './prepare.js';
import { preparedInThread } from './prepare-thread.js';
import type { RowProblem } from './problems.js';
import { seal, secretKey, unseal } from './secrets.js';
import type { Cell, SheetRow } from './sheet.js';
import { formatOf, pastHeader, readStaged, type StagedFile, stagedDataRows } from './stage.js';
import { stagedRows } from './stage-thread.js';
import { type ImportedUser, NO_PROFILES, type ProfileCatalog, type ProfileCatalogs } from './validate.js';
import { Cancelled, inWriteTransaction } from './write.js';

type JobRow = Selectable<ImportJobsTable>;

export const DEFAULT_EXTENSIONS: ImportSettings = { extensionFirst: 1000, extensionLast: 999_999 };
/** Problems kept for the preview; the bad-rows file has all of them. */
const MAX_STORED_PROBLEMS = 1000;
const PREVIEW_ROWS = 20;
/** Batches an import sends behind the one being written (see run). */
const WRITES_AHEAD = 2;
/** The numbers a file gives as phones (written by the preview, read when free extensions are picked). */
const FILE_PHONES = 'file-phones.json';
/** A text file's upload, kept beside its staged rows so that it can be read again in another encoding. */
const SOURCE_FILE = 'source';
/** A running job whose progress has not moved for this long belongs to a process that died. */
const STALE_MS = 60_000;
/** How long a job's staging folder (its rows, the bad-rows file) is kept after the job last changed. */
const KEEP_STAGED_DAYS = 7;
const KEEP_STAGED_MS = KEEP_STAGED_DAYS * 24 * 60 * 60 * 1000;
const EXPIRED = `The uploaded file was removed after ${KEEP_STAGED_DAYS} days: upload it again`;

export interface ImportJobView {
  id: number;
  fileName: string;
  format: string;
  encoding: TextEncoding | null;
  fileBytes: number;
  status: 'ready' | 'running' | 'done' | 'failed' | 'cancelled';
  mode: ImportMode;
  partial: boolean;
  hasHeader: boolean;
  headers: string[];
  mapping: ImportMapping;
  preview: { row: number; cells: string[] }[];
  problems: RowProblem[];
  counts: { rows: number; badRows: number; problems: number; toCreate: number; toUpdate: number };
  progress: { phase: string; processed: number; total: number; created: number; updated: number; skipped: number };
  generatedPasswords: number;
  passwordsAvailable: boolean;
  message: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Live {
  phase: string;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  cancel: boolean;
}

/** A run's progress as the API shows it: its counts, not the runner's own cancel flag. */
const shownProgress = ({ cancel: _, ...counts }: Partial<Live>) => counts;

export interface RunOptions {
  /** Seal the generated passwords for the importing session (console). */
  sessionToken?: string;
  /** Receives the generated passwords after commit (command line), instead of sealing them. */
  passwordSink?: (csv: string) => Promise<void>;
  /** Mail the created users who have an email an invitation, in the import's transaction. */
  sendInvitations?: boolean;
}

/** The statements that write invitations for users an import created (see SignInLinks.invitationStatements). */
export type InvitationStatements = (
  accountId: number,
  invitedBy: number,
  users: UserRow[],
) => Promise<{ statements: CompiledQuery[]; invited: number }>;

export class ImportJobs {
  private readonly db: Db;
  private readonly live = new Map<number, Live>();

  private readonly prefix: string;

  /** Writes invitation mails for created users; set by the context (mail lives outside the importer). */
  invitations: InvitationStatements | null = null;
  /** Called after an import that queued mail has committed. */
  afterMailQueued: (() => void) | null = null;

  /** `databaseUrl` keeps the staging directories of different databases on one machine apart. */
  constructor(
    private readonly handle: DatabaseHandle,
    private readonly now: () => Date,
    private readonly audit: AuditLog,
    databaseUrl: string,
    private readonly profiles: ProfileCatalogs = async () => NO_PROFILES,
    private readonly root = process.env.ROSTER_IMPORT_DIR ?? join(tmpdir(), 'roster-imports'),
  ) {
    this.db = handle.db;
    this.prefix = createHash('sha256').update(databaseUrl).digest('hex').slice(0, 12);
  }

  assertCanImport(actor: Actor): void {
    if (!canOnAccount(actor, 'users.import', actor.accountId)) {
      throw forbidden('Importing users needs an admin whose profile allows every user');
    }
  }

  private async assertStaged(id: number) {
    const present = await access(join(this.dir(id), 'rows.jsonl')).then(
      () => true,
      () => false,
    );
    if (!present) throw conflict('ImportExpired', EXPIRED);
  }

  private dir(id: number) {
    return join(this.root, `${this.prefix}-${id}`);
  }

  /**
   * Reads the uploaded file (already saved at `path`), stages it and previews it with the columns it seems to have. A
   * text file is read in `encoding` when given, else in the encoding detected.
   */
  async upload(
    actor: Actor,
    file: { name: string; path: string; bytes: number },
    options: { encoding?: TextEncoding } = {},
  ): Promise<ImportJobView> {
    this.assertCanImport(actor);
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
    const dir = this.dir(id);
    let staging: AsyncGenerator<SheetRow[], StagedFile> | null = null;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (isTextFormat(format)) await copyFile(file.path, join(dir, SOURCE_FILE));
      // A large file is staged in a thread while this one checks the rows staged so far.
      const stager = stagedRows(file.path, format, join(dir, 'rows.jsonl'), file.bytes, options.encoding);
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
          headers_json: JSON.stringify(hasHeader ? first.map(display) : []),
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
      await this.db.deleteFrom('import_jobs').where('id', '=', id).execute();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return this.get(actor, id);
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

  async list(actor: Actor): Promise<ImportJobView[]> {
    this.assertCanImport(actor);
    const rows = await this.db
      .selectFrom('import_jobs')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('status', '!=', 'staging')
      .orderBy('id', 'desc')
      .limit(20)
      .execute();
    return Promise.all(rows.map((row) => this.present(row, false)));
  }

  async get(actor: Actor, id: number): Promise<ImportJobView> {
    return this.present(await this.find(actor, id), true);
  }

  private async find(actor: Actor, id: number): Promise<JobRow> {
    this.assertCanImport(actor);
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

  /**
   * Reads a text file's upload again in another encoding: a new preview (with its own header and mapping) replaces
   * this one, which is removed once the new one stands.
   */
  async reread(actor: Actor, id: number, encoding: TextEncoding): Promise<ImportJobView> {
    const job = await this.find(actor, id);
    if (job.status === 'done')
      throw conflict('ImportDone', 'This import is finished: upload the file again to import it again');
    if (!['ready', 'failed', 'cancelled'].includes(job.status)) throw importRunning();
    if (!isTextFormat(job.format)) {
      throw validationFailed([
        { path: 'encoding', message: 'Only text files (CSV, TSV, TXT) are read in an encoding' },
      ]);
    }
    const source = join(this.dir(id), SOURCE_FILE);
    if (
      !(await access(source).then(
        () => true,
        () => false,
      ))
    )
      throw conflict('ImportExpired', EXPIRED);
    const next = await this.upload(
      actor,
      { name: job.file_name, path: source, bytes: Number(job.file_bytes) },
      { encoding },
    );
    await this.db.deleteFrom('import_jobs').where('id', '=', id).execute();
    await rm(this.dir(id), { recursive: true, force: true });
    return next;
  }

  /** Changes the header choice, the mapping or the mode, and checks every row again. */
  async revise(actor: Actor, id: number, input: ImportPreviewUpdate): Promise<ImportJobView> {
    const job = await this.find(actor, id);
    if (job.status === 'done')
      throw conflict('ImportDone', 'This import is finished: upload the file again to import it again');
    if (!['ready', 'failed', 'cancelled'].includes(job.status)) throw importRunning();
    await this.assertStaged(id);
    const changes: Updateable<ImportJobsTable> = { status: 'ready' };
    if (input.hasHeader !== undefined && input.hasHeader !== (job.has_header === 1)) {
      const first = await this.firstRow(id);
      changes.has_header = input.hasHeader ? 1 : 0;
      changes.headers_json = JSON.stringify(input.hasHeader ? first.map(display) : []);
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
    return this.get(actor, id);
  }

  private async firstRow(id: number): Promise<Cell[]> {
    for await (const batch of readStaged(join(this.dir(id), 'rows.jsonl'), 1)) return batch[0]?.cells ?? [];
    return [];
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
    const dir = this.dir(id);
    const preview: ImportJobView['preview'] = [];
    const problems: RowProblem[] = [];
    let problemCount = 0;
    let bad = 0;
    let toCreate = 0;
    let toUpdate = 0;
    let withoutPhone = 0;
    const badRows = createWriteStream(join(dir, 'bad-rows.csv'), { mode: 0o600 });
    const headers = JSON.parse(job.headers_json) as string[];
    const labels = mapping.map((field, i) => headers[i] ?? (field ? IMPORT_FIELD_LABELS[field] : `Column ${i + 1}`));
    badRows.write(`\uFEFF${csvLine([...labels, 'Problems'])}`);
    try {
      if (valid.success) {
        const passwords = await accountPasswordRules(this.db, accountId);
        const checker = new RowChecker(mapping, job.mode as ImportMode, await this.profiles(actor), passwords);
        const lookup = this.lookupIn(accountId);
        for await (const batch of checker.checkAhead(staged ?? this.dataRows(id, job.has_header === 1), lookup)) {
          for (const checked of batch) {
            const phone = phoneColumn < 0 ? null : phoneNumber(checked.cells[phoneColumn]);
            if (phone !== null) filePhones.add(phone);
            // Passwords a file gives are never shown back: masked in the preview, left out of the bad-rows file.
            const cells =
              passwordColumn < 0 ? checked.cells : checked.cells.map((c, i) => (i === passwordColumn ? null : c));
            if (preview.length < PREVIEW_ROWS) {
              const shown = cells.map(display);
              if (passwordColumn >= 0 && display(checked.cells[passwordColumn]) !== '')
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
    await writeFile(join(dir, FILE_PHONES), JSON.stringify([...filePhones]), { mode: 0o600 });
    let message = valid.success ? '' : (valid.error.issues[0]?.message ?? 'Fix the column mapping');
    if (valid.success && withoutPhone > 0) {
      const range = await this.settingsOf(accountId);
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

  private dataRows(id: number, hasHeader: boolean): AsyncGenerator<SheetRow[]> {
    return stagedDataRows(join(this.dir(id), 'rows.jsonl'), hasHeader);
  }

  /** Starts the import in the background; `done` settles when it has committed, failed or been cancelled. */
  async start(actor: Actor, id: number, input: ImportStart, options: RunOptions = {}) {
    let job = await this.find(actor, id);
    if (job.status === 'done')
      throw conflict('ImportDone', 'This import is finished: upload the file again to import it again');
    if (job.status === 'running' && !this.isStale(job)) throw importRunning();
    await this.assertStaged(id);
    if (job.mode !== input.mode) {
      job = { ...job, status: 'ready' };
      await this.revise(actor, id, { mode: input.mode });
      job = await this.find(actor, id);
    }
    if (job.message) throw new AppError(409, 'ImportNotReady', job.message);
    if (!input.partial && job.bad_rows > 0) {
      throw new AppError(
        409,
        'ImportHasProblems',
        `${job.bad_rows} row${job.bad_rows === 1 ? ' has' : 's have'} problems: fix the file, or import only the good rows`,
      );
    }
    if (job.to_create + job.to_update === 0) throw new AppError(409, 'NothingToImport', 'No row can be imported');
    const running = await this.db
      .selectFrom('import_jobs')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('status', '=', 'running')
      .execute();
    if (running.some((other) => other.id !== id && !this.isStale(other))) throw importRunning();
    const at = this.now().toISOString();
    const claimed = await this.db
      .updateTable('import_jobs')
      .set({
        status: 'running',
        partial: input.partial ? 1 : 0,
        phase: 'preparing',
        processed: 0,
        created: 0,
        updated: 0,
        skipped: 0,
        cancel_requested: 0,
        message: '',
        started_at: at,
        heartbeat_at: at,
        finished_at: null,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('status', 'in', ['ready', 'failed', 'cancelled', 'running'])
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw importRunning();
    const live: Live = { phase: 'preparing', processed: 0, created: 0, updated: 0, skipped: 0, cancel: false };
    this.live.set(id, live);
    const done = this.run({ ...job, partial: input.partial ? 1 : 0 }, actor, live, {
      ...options,
      sendInvitations: input.sendInvitations,
    }).finally(() => this.live.delete(id));
    return { job: await this.get(actor, id), done };
  }

  async cancel(actor: Actor, id: number): Promise<ImportJobView> {
    const job = await this.find(actor, id);
    if (job.status !== 'running') throw conflict('ImportNotRunning', 'The import is not running');
    const live = this.live.get(id);
    if (live) live.cancel = true;
    else await this.db.updateTable('import_jobs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
    return this.get(actor, id);
  }

  private async run(job: JobRow, actor: Actor, live: Live, options: RunOptions): Promise<void> {
    const id = job.id;
    const accountId = job.account_id;
    const mapping = JSON.parse(job.mapping_json) as ImportMapping;
    const partial = job.partial === 1;
    const total = job.to_create + job.to_update + job.bad_rows;
    const generated: string[] = [];
    let generatedCount = 0;
    let invited = 0;
    let lastBeat = 0;
    const beat = async (force = false) => {
      const now = Date.now();
      if (!force && now - lastBeat < 500) return;
      lastBeat = now;
      const progress = { ...live, total };
      await writeFile(join(this.dir(id), 'progress.json'), JSON.stringify(progress)).catch(() => undefined);
      if (this.handle.dialect === 'postgres') {
        const row = await this.db
          .updateTable('import_jobs')
          .set({ phase: live.phase, processed: live.processed, heartbeat_at: new Date(now).toISOString() })
          .where('id', '=', id)
          .returning('cancel_requested')
          .executeTakeFirst();
        if (row?.cancel_requested === 1) live.cancel = true;
      }
    };
    try {
      const extensions = await this.extensionRange(id, accountId, mapping, job.has_header === 1);
      live.phase = 'writing';
      await beat(true);
      const at = this.now().toISOString();
      const profiles = await this.profiles(actor);
      const departmentNames = await this.db
        .selectFrom('departments')
        .select('name')
        .where('account_id', '=', accountId)
        .orderBy('id')
        .execute();
      const prepareJob: PrepareJob = {
        accountId,
        mapping,
        mode: job.mode as ImportMode,
        partial,
        at,
        profiles: profiles.entries,
        departments: departmentNames.map((row) => row.name),
        extensions,
        passwords: await accountPasswordRules(this.db, accountId),
      };
      await inWriteTransaction(this.handle, accountId, job.to_create, async (target) => {
        // Creating only, a username the account already has is found by the insert itself (the preview found those
        // of the file; this catches users created since), so the rows are not looked up one batch at a time.
        const lookup: Lookup = job.mode === 'create' ? NO_LOOKUP : target.lookup;
        // The rows are prepared while the previous batch is written: when only creating, in a thread of their own
        // (SQLite's calls block this thread; PostgreSQL would wait for this thread's next statement while it
        // prepares); otherwise here, since updates look their rows up in the transaction.
        const batches =
          job.mode === 'create'
            ? preparedInThread(join(this.dir(id), 'rows.jsonl'), job.has_header === 1, prepareJob)
            : this.preparedHere(id, job.has_header === 1, prepareJob, lookup);
        // Department names the file gives become departments of the account (see the organization's departments).
        const departments = new Set<string>();
        // Created users to invite, by username (those with an email).
        const invitees: string[] = [];
        // Batches sent and not yet done, oldest first.
        const writing: Promise<void>[] = [];
        try {
          for await (const prepared of batches) {
            if (live.cancel) throw new Cancelled();
            for (const name of prepared.departments) departments.add(name);
            live.skipped += prepared.skipped;
            const { inserts, rowNumbers, passwordLines } = prepared;
            const updates = prepared.updates.length > 0;
            const written = target.insertUsers(inserts, prepared.credentials).then((taken) => {
              const first = taken[0];
              if (first !== undefined && !partial) {
                throw new Aborted(
                  `Row ${rowNumbers[first]}: Username ${inserts[first]?.username} already exists in the account`,
                );
              }
              const left = new Set(taken);
              live.skipped += taken.length;
              live.created += inserts.length - taken.length;
              if (options.sendInvitations) {
                inserts.forEach((user, i) => {
                  if (user.email && !left.has(i)) invitees.push(user.username);
                });
              }
              // One string a batch (not one a user) keeps a million generated passwords small in memory.
              let lines = '';
              passwordLines.forEach((line, i) => {
                if (line && !left.has(i)) {
                  lines += line;
                  generatedCount++;
                }
              });
              if (lines) generated.push(lines);
              // Rows count as processed once written (a batch with updates, once those are done too).
              if (!updates) live.processed += prepared.rows;
            });
            // Settled here so a failure waits for the next batch (or the end) without being reported as unhandled.
            written.catch(() => undefined);
            writing.push(written);
            // Up to two batches go out before the one being written is done: on PostgreSQL their statements wait for
            // the connection, not for this thread between batches. A failure stops the import here.
            if (writing.length > WRITES_AHEAD) await writing.shift();
            if (live.cancel) throw new Cancelled();
            if (updates) {
              // Updates follow the batch's inserts (a username may be created and then updated further on).
              await Promise.all(writing);
              for (const { existing, user } of prepared.updates) {
                const credential =
                  user.password !== undefined ? { passwordHash: await hashPassword(user.password) } : null;
                await target.updateUser(
                  existing,
                  updateChanges(existing, user, at, !!credential, profiles),
                  credential,
                );
                live.updated++;
              }
              live.processed += prepared.rows;
            }
            await beat();
            // Let the server answer other requests (progress polls) between batches.
            await new Promise((resolve) => setImmediate(resolve));
          }
          for (const batch of writing) await batch;
        } catch (error) {
          // Batches still in flight settle before the transaction ends.
          await Promise.allSettled(writing);
          throw error;
        }
        if (live.cancel) throw new Cancelled();
        if (invitees.length > 0 && this.invitations) {
          live.phase = 'inviting';
          for (let i = 0; i < invitees.length; i += 5000) {
            const users = [...(await target.lookup(invitees.slice(i, i + 5000))).values()];
            const { statements, invited: count } = await this.invitations(accountId, actor.userId, users);
            for (const statement of statements) await target.execute(statement);
            invited += count;
          }
        }
        live.phase = 'committing';
        const finished = this.now().toISOString();
        for (const statement of ensureDepartmentsStatements(this.db, accountId, [...departments], finished)) {
          await target.execute(statement);
        }
        await target.execute(
          this.audit.recordStatement(
            {
              accountId,
              actor,
              action: 'users.import',
              target: { type: 'import', id, label: job.file_name },
              after: {
                created: live.created,
                updated: live.updated,
                skipped: live.skipped,
                mode: job.mode,
                partial,
                defaultLicenses: target.defaultLicenses,
                ...(options.sendInvitations ? { invitations: invited } : {}),
              },
            },
            finished,
          ),
        );
        const sealed =
          options.sessionToken && generatedCount > 0
            ? seal(
                secretKey(options.sessionToken, id),
                `\uFEFF${csvLine(['Username', 'Password'])}${generated.join('')}`,
              )
            : null;
        await target.execute(
          this.db
            .updateTable('import_jobs')
            .set({
              status: 'done',
              phase: 'done',
              processed: live.processed,
              created: live.created,
              updated: live.updated,
              skipped: live.skipped,
              generated_passwords: generatedCount,
              secrets: sealed,
              finished_at: finished,
              updated_at: finished,
              heartbeat_at: finished,
            })
            .where('id', '=', id)
            .compile(),
        );
      });
      if (invited > 0) this.afterMailQueued?.();
      // The staged rows and the upload (which may hold passwords) are not needed once the import is in.
      await rm(join(this.dir(id), 'rows.jsonl'), { force: true });
      await rm(join(this.dir(id), SOURCE_FILE), { force: true });
      if (options.passwordSink && generatedCount > 0) {
        await options.passwordSink(`\uFEFF${csvLine(['Username', 'Password'])}${generated.join('')}`);
      }
    } catch (error) {
      const cancelled = error instanceof Cancelled;
      const message = cancelled
        ? 'Cancelled: nothing was written'
        : error instanceof Aborted || error instanceof AppError
          ? `${error.message}. Nothing was written.`
          : 'The import failed and nothing was written';
      if (!cancelled && !(error instanceof Aborted) && !(error instanceof AppError)) {
        console.error(`[roster] import ${id} failed:`, (error as Error).message);
      }
      const finished = this.now().toISOString();
      await this.db
        .updateTable('import_jobs')
        .set({
          status: cancelled ? 'cancelled' : 'failed',
          phase: '',
          processed: 0,
          created: 0,
          updated: 0,
          skipped: 0,
          message,
          finished_at: finished,
          updated_at: finished,
        })
        .where('id', '=', id)
        .execute();
    } finally {
      await rm(join(this.dir(id), 'progress.json'), { force: true });
    }
  }

  /** The account's extension range and the numbers in it that are taken: users' phones, and phones the file gives. */
  private async extensionRange(
    id: number,
    accountId: number,
    mapping: ImportMapping,
    hasHeader: boolean,
  ): Promise<ExtensionRange> {
    const range = await this.settingsOf(accountId);
    const used = new Set<number>();
    const take = (n: number | null) => {
      if (n !== null && n >= range.extensionFirst && n <= range.extensionLast) used.add(n);
    };
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('users')
        .select(['id', 'phone'])
        .where('account_id', '=', accountId)
        .where('id', '>', after)
        .orderBy('id')
        .limit(20_000)
        .execute();
      for (const row of rows) take(phoneNumber(row.phone));
      const last = rows[rows.length - 1];
      if (!last || rows.length < 20_000) break;
      after = last.id;
    }
    // The preview noted the file's numbers; a job previewed before it did so reads them from the rows.
    const noted = await readFile(join(this.dir(id), FILE_PHONES), 'utf8').catch(() => null);
    const phoneColumn = mapping.indexOf('phone');
    if (noted !== null) for (const n of JSON.parse(noted) as number[]) take(n);
    else if (phoneColumn >= 0) {
      for await (const batch of this.dataRows(id, hasHeader)) {
        for (const row of batch) take(phoneNumber(row.cells[phoneColumn]));
      }
    }
    return { first: range.extensionFirst, last: range.extensionLast, used: [...used] };
  }

  /** The job's batches prepared on this thread (see preparedInThread for the other way). */
  private async *preparedHere(
    id: number,
    hasHeader: boolean,
    job: PrepareJob,
    lookup: Lookup,
  ): AsyncGenerator<PreparedBatch> {
    const preparer = new BatchPreparer(job);
    for await (const batch of this.dataRows(id, hasHeader)) yield await preparer.prepare(batch, lookup);
  }

  /** The generated passwords, for the session that ran the import, once. */
  async takePasswords(actor: Actor, id: number, sessionToken: string | undefined): Promise<string> {
    const job = await this.find(actor, id);
    const gone = () =>
      new AppError(
        404,
        'PasswordsGone',
        'The generated passwords were already downloaded, or belong to another session',
      );
    if (!job.secrets || job.created_by !== actor.userId || !sessionToken) throw gone();
    const plain = unseal(secretKey(sessionToken, id), Buffer.from(job.secrets));
    if (plain === null) throw gone();
    await this.db.updateTable('import_jobs').set({ secrets: null }).where('id', '=', id).execute();
    return plain;
  }

  /** The rows with problems, each with its problems, as CSV (readable back by the importer once fixed). */
  async badRowsFile(actor: Actor, id: number): Promise<string> {
    await this.find(actor, id);
    const path = join(this.dir(id), 'bad-rows.csv');
    await stat(path).catch(() => {
      throw new AppError(404, 'NotFound', 'The file of bad rows is no longer available');
    });
    return path;
  }

  async settings(actor: Actor): Promise<ImportSettings> {
    this.assertCanImport(actor);
    return this.settingsOf(actor.accountId);
  }

  private async settingsOf(accountId: number): Promise<ImportSettings> {
    const row = await this.db
      .selectFrom('import_settings')
      .select(['extension_first', 'extension_last'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row ? { extensionFirst: row.extension_first, extensionLast: row.extension_last } : DEFAULT_EXTENSIONS;
  }

  async updateSettings(actor: Actor, input: ImportSettings): Promise<ImportSettings> {
    this.assertCanImport(actor);
    const values = {
      account_id: actor.accountId,
      extension_first: input.extensionFirst,
      extension_last: input.extensionLast,
      updated_at: this.now().toISOString(),
    };
    await this.db
      .insertInto('import_settings')
      .values(values)
      .onConflict((oc) =>
        oc.column('account_id').doUpdateSet({
          extension_first: values.extension_first,
          extension_last: values.extension_last,
          updated_at: values.updated_at,
        }),
      )
      .execute();
    return input;
  }

  private isStale(job: JobRow): boolean {
    if (job.status !== 'running' || this.live.has(job.id)) return false;
    const beat = Date.parse(job.heartbeat_at ?? job.started_at ?? job.updated_at);
    return Date.now() - beat > STALE_MS;
  }

  private async present(row: JobRow, full: boolean): Promise<ImportJobView> {
    let status = row.status as ImportJobView['status'];
    let message = row.message;
    let progress = {
      phase: row.phase,
      processed: row.processed,
      total: row.to_create + row.to_update + row.bad_rows,
      created: row.created,
      updated: row.updated,
      skipped: row.skipped,
    };
    const live = this.live.get(row.id);
    if (live) progress = { ...progress, ...shownProgress(live) };
    else if (status === 'running') {
      // Another process runs it: its progress file (same machine) or the database (PostgreSQL) tell how far it is.
      const file = join(this.dir(row.id), 'progress.json');
      const info = await stat(file).catch(() => null);
      if (info) {
        const saved = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Partial<Live>;
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
      preview: full ? (JSON.parse(row.preview_json) as ImportJobView['preview']) : [],
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
}

const importRunning = () => conflict('ImportRunning', 'An import is already running in this account');

function display(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'object') return `=${cell.formula}`;
  return String(cell);
}

/** A phone cell that is a number alone (which an extension could be), as that number. */
function phoneNumber(cell: Cell | undefined): number | null {
  if (typeof cell !== 'string' && typeof cell !== 'number') return null;
  const digits = String(cell).trim();
  return /^\d+$/.test(digits) ? Number(digits) : null;
}

function padded(cells: Cell[], width: number): string[] {
  return Array.from({ length: Math.max(width, cells.length) }, (_, i) => display(cells[i]));
}

function updateChanges(
  before: UserRow,
  user: ImportedUser,
  at: string,
  newPassword: boolean,
  profiles: ProfileCatalog,
): Updateable<UsersTable> {
  const changes: Updateable<UsersTable> = { updated_at: at };
  if (user.profile !== undefined) changes.profile_id = profiles.idOf(user.profile) ?? null;
  if (user.firstName !== undefined) changes.first_name = user.firstName;
  if (user.lastName !== undefined) changes.last_name = user.lastName;
  if (user.email !== undefined && user.email !== before.email) {
    changes.email = user.email;
    changes.email_verified = 0;
  }
  if (user.phone !== undefined) changes.phone = user.phone;
  if (user.department !== undefined) changes.department = user.department;
  if (user.timeZone !== undefined) changes.time_zone = user.timeZone;
  if (user.language !== undefined) changes.language = user.language;
  if (user.validFrom !== undefined) changes.valid_from = user.validFrom;
  if (user.expiresAt !== undefined) changes.expires_at = user.expiresAt;
  if (newPassword) {
    const actions = new Set(JSON.parse(before.required_actions) as string[]);
    actions.add('update_password');
    changes.required_actions = JSON.stringify([...actions]);
  }
  const merged = { ...before, ...changes } as UserRow;
  return { ...changes, ...derivedColumns(merged) };
}
