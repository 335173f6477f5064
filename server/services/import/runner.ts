// The import itself: a previewed job claimed and written in one transaction (rows prepared while earlier batches are
// written, progress and heartbeat, cancel), its audit entry, departments and invitations committed with the users,
// and the generated passwords kept sealed for the session that ran it.
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { CompiledQuery, Updateable } from 'kysely';
import type { ImportMapping, ImportMode, ImportStart } from '../../../shared/import-schemas.js';
import type { DatabaseHandle, Db } from '../../db/index.js';
import type { UsersTable } from '../../db/schema/users.js';
import { AppError, conflict } from '../../errors.js';
import { csvLine } from '../../http/csv.js';
import type { Actor } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import { ensureDepartmentsStatements } from '../departments.js';
import { accountPasswordRules } from '../password-policy.js';
import { hashPassword } from '../passwords.js';
import { derivedColumns, type UserRow } from '../user-presenter.js';
import { type Lookup, NO_LOOKUP } from './check.js';
import {
  FILE_PHONES,
  type ImportJobStore,
  importDone,
  importRunning,
  type JobRow,
  PROGRESS,
  SOURCE_FILE,
  STAGED_ROWS,
  STALE_MS,
} from './job-store.js';
import { Aborted, BatchPreparer, type ExtensionRange, type PreparedBatch, type PrepareJob } from './prepare.js';
import { preparedInThread } from './prepare-thread.js';
import type { ImportPreviews } from './preview.js';
import { seal, secretKey, unseal } from './secrets.js';
import type { ImportSettingsStore } from './settings.js';
import { phoneNumber } from './sheet.js';
import type { ImportedUser, ProfileCatalog, ProfileCatalogs } from './validate.js';
import { Cancelled, inWriteTransaction } from './write.js';

/** Batches an import sends behind the one being written (see run). */
const WRITES_AHEAD = 2;

/** A run's progress in this process, and whether it was asked to stop. */
export interface Live {
  phase: string;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  cancel: boolean;
}

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

export class ImportRunner {
  private readonly db: Db;
  private readonly live = new Map<number, Live>();

  /** Writes invitation mails for created users; set by the context (mail lives outside the importer). */
  invitations: InvitationStatements | null = null;
  /** Called after an import that queued mail has committed. */
  afterMailQueued: (() => void) | null = null;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly store: ImportJobStore,
    private readonly settings: ImportSettingsStore,
    private readonly previews: ImportPreviews,
    private readonly now: () => Date,
    private readonly audit: AuditLog,
    private readonly profiles: ProfileCatalogs,
  ) {
    this.db = handle.db;
  }

  /** The job's run in this process, if it runs here. */
  progressOf(id: number): Live | undefined {
    return this.live.get(id);
  }

  /**
   * Claims the job and starts the import in the background (a changed mode is previewed again first); `done` settles
   * when it has committed, failed or been cancelled.
   */
  async start(
    actor: Actor,
    id: number,
    input: ImportStart,
    options: RunOptions = {},
  ): Promise<{ done: Promise<void> }> {
    let job = await this.store.find(actor, id);
    if (job.status === 'done') throw importDone();
    if (job.status === 'running' && !this.isStale(job)) throw importRunning();
    await this.store.assertStaged(id);
    if (job.mode !== input.mode) {
      await this.previews.revise(actor, id, { mode: input.mode });
      job = await this.store.find(actor, id);
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
    return { done };
  }

  /** Asks the run to stop: this process's at once, another process's at its next heartbeat (PostgreSQL). */
  async cancel(actor: Actor, id: number): Promise<void> {
    const job = await this.store.find(actor, id);
    if (job.status !== 'running') throw conflict('ImportNotRunning', 'The import is not running');
    const live = this.live.get(id);
    if (live) live.cancel = true;
    else await this.db.updateTable('import_jobs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
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
      await writeFile(this.store.file(id, PROGRESS), JSON.stringify(progress)).catch(() => undefined);
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
            ? preparedInThread(this.store.file(id, STAGED_ROWS), job.has_header === 1, prepareJob)
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
      await rm(this.store.file(id, STAGED_ROWS), { force: true });
      await rm(this.store.file(id, SOURCE_FILE), { force: true });
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
      await rm(this.store.file(id, PROGRESS), { force: true });
    }
  }

  /** The account's extension range and the numbers in it that are taken: users' phones, and phones the file gives. */
  private async extensionRange(
    id: number,
    accountId: number,
    mapping: ImportMapping,
    hasHeader: boolean,
  ): Promise<ExtensionRange> {
    const range = await this.settings.of(accountId);
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
    const noted = await readFile(this.store.file(id, FILE_PHONES), 'utf8').catch(() => null);
    const phoneColumn = mapping.indexOf('phone');
    if (noted !== null) for (const n of JSON.parse(noted) as number[]) take(n);
    else if (phoneColumn >= 0) {
      for await (const batch of this.store.dataRows(id, hasHeader)) {
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
    for await (const batch of this.store.dataRows(id, hasHeader)) yield await preparer.prepare(batch, lookup);
  }

  /** The generated passwords, for the session that ran the import, once. */
  async takePasswords(actor: Actor, id: number, sessionToken: string | undefined): Promise<string> {
    const job = await this.store.find(actor, id);
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

  private isStale(job: JobRow): boolean {
    if (job.status !== 'running' || this.live.has(job.id)) return false;
    const beat = Date.parse(job.heartbeat_at ?? job.started_at ?? job.updated_at);
    return Date.now() - beat > STALE_MS;
  }
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
