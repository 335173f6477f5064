// Import jobs, as the routes and the command line use them: upload and preview (preview.ts), the import itself
// (runner.ts), the report, the settings (settings.ts), each job shown as the API shows it (presenter.ts) from the
// rows and staging folders the job store keeps (job-store.ts).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportPreviewUpdate, ImportSettings, ImportStart, TextEncoding } from '../../../shared/import-schemas.js';
import type { ImportJob } from '../../../shared/responses/imports.js';
import type { DatabaseHandle } from '../../db/index.js';
import type { Actor } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import { assertCanImport, ImportJobStore, type JobRow, PROGRESS } from './job-store.js';
import { presentJob } from './presenter.js';
import { ImportPreviews } from './preview.js';
import { ImportRunner, type InvitationStatements, type RunOptions } from './runner.js';
import { ImportSettingsStore } from './settings.js';
import { NO_PROFILES, type ProfileCatalogs } from './validate.js';

export type { InvitationStatements, RunOptions } from './runner.js';

export class ImportJobs {
  private readonly store: ImportJobStore;
  private readonly importSettings: ImportSettingsStore;
  private readonly previews: ImportPreviews;
  private readonly runner: ImportRunner;

  /** `databaseUrl` keeps the staging directories of different databases on one machine apart. */
  constructor(
    handle: DatabaseHandle,
    now: () => Date,
    audit: AuditLog,
    databaseUrl: string,
    profiles: ProfileCatalogs = async () => NO_PROFILES,
    root = process.env.ROSTER_IMPORT_DIR ?? join(tmpdir(), 'roster-imports'),
  ) {
    this.store = new ImportJobStore(handle.db, now, databaseUrl, root);
    this.importSettings = new ImportSettingsStore(handle.db, now);
    this.previews = new ImportPreviews(handle, this.store, this.importSettings, now, profiles);
    this.runner = new ImportRunner(handle, this.store, this.importSettings, this.previews, now, audit, profiles);
  }

  /** Writes invitation mails for created users; set by the context (mail lives outside the importer). */
  set invitations(statements: InvitationStatements | null) {
    this.runner.invitations = statements;
  }

  /** Called after an import that queued mail has committed. */
  set afterMailQueued(queued: (() => void) | null) {
    this.runner.afterMailQueued = queued;
  }

  assertCanImport(actor: Actor): void {
    assertCanImport(actor);
  }

  /**
   * Reads the uploaded file (already saved at `path`), stages it and previews it with the columns it seems to have. A
   * text file is read in `encoding` when given, else in the encoding detected.
   */
  async upload(
    actor: Actor,
    file: { name: string; path: string; bytes: number },
    options: { encoding?: TextEncoding } = {},
  ): Promise<ImportJob> {
    return this.get(actor, await this.previews.upload(actor, file, options));
  }

  /** Removes staging folders a week after their job last changed (see ImportJobStore.sweep). */
  sweep(): Promise<number> {
    return this.store.sweep();
  }

  async list(actor: Actor): Promise<ImportJob[]> {
    const rows = await this.store.latest(actor);
    return Promise.all(rows.map((row) => this.present(row, false)));
  }

  async get(actor: Actor, id: number): Promise<ImportJob> {
    return this.present(await this.store.find(actor, id), true);
  }

  /** Reads a text file's upload again in another encoding: a new preview replaces this one. */
  async reread(actor: Actor, id: number, encoding: TextEncoding): Promise<ImportJob> {
    return this.get(actor, await this.previews.reread(actor, id, encoding));
  }

  /** Changes the header choice, the mapping or the mode, and checks every row again. */
  async revise(actor: Actor, id: number, input: ImportPreviewUpdate): Promise<ImportJob> {
    await this.previews.revise(actor, id, input);
    return this.get(actor, id);
  }

  /** Starts the import in the background; `done` settles when it has committed, failed or been cancelled. */
  async start(
    actor: Actor,
    id: number,
    input: ImportStart,
    options: RunOptions = {},
  ): Promise<{ job: ImportJob; done: Promise<void> }> {
    const { done } = await this.runner.start(actor, id, input, options);
    return { job: await this.get(actor, id), done };
  }

  async cancel(actor: Actor, id: number): Promise<ImportJob> {
    await this.runner.cancel(actor, id);
    return this.get(actor, id);
  }

  /** The generated passwords, for the session that ran the import, once. */
  takePasswords(actor: Actor, id: number, sessionToken: string | undefined): Promise<string> {
    return this.runner.takePasswords(actor, id, sessionToken);
  }

  /** The rows with problems, each with its problems, as CSV (readable back by the importer once fixed). */
  badRowsFile(actor: Actor, id: number): Promise<string> {
    return this.previews.badRowsFile(actor, id);
  }

  settings(actor: Actor): Promise<ImportSettings> {
    return this.importSettings.get(actor);
  }

  updateSettings(actor: Actor, input: ImportSettings): Promise<ImportSettings> {
    return this.importSettings.update(actor, input);
  }

  private present(row: JobRow, full: boolean): Promise<ImportJob> {
    return presentJob(row, full, this.runner.progressOf(row.id), this.store.file(row.id, PROGRESS));
  }
}
