// Directory sync runs: starts one (one per connection at a time, across processes: a unique index on running runs),
// reads the directory, plans, and either answers the plan (preview) or writes it in the background, recording
// progress, counts and the entries it could not sync. A run that stops midway is recorded as failed; what it wrote
// is whole users, and the next run plans from there and finishes the job.
import { Worker } from 'node:worker_threads';
import type { Selectable, Transaction } from 'kysely';
import type { Client } from 'ldapts';
import type { AttributeMapping, DirectoryVendor, SyncKind } from '../../../shared/directory-schemas.js';
import type { DirectorySyncPreview, DirectorySyncRun } from '../../../shared/responses/directory.js';
import type { DatabaseHandle } from '../../db/index.js';
import type { DirectoryConnectionsTable } from '../../db/schema/directory-connections.js';
import type { DirectorySyncRunsTable } from '../../db/schema/directory-sync.js';
import type { Database } from '../../db/schema/index.js';
import { accountUserCount, settlePostgresIndexes } from '../../db/user-index.js';
import { shareWriter } from '../../db/write-lock.js';
import { AppError, conflict, forbidden, notFound } from '../../errors.js';
import { type Actor, authorize } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import type { Licenses } from '../licenses.js';
import type { Teams } from '../teams.js';
import { isUniqueViolation, type RequestMeta } from '../users.js';
import { DirectoryStepError, openDirectory, release } from './client.js';
import { breathe, type EntryProblem, type PlannedUser, type UserPlan } from './plan.js';
import { PRESETS } from './presets.js';
import {
  type DirectoryGroup,
  DirectoryReadError,
  type DirectoryUser,
  type ReadSettings,
  readGroups,
  readUserIds,
  readUsers,
} from './reader.js';
import { type DirectoryRead, planGone, planRead, withGone } from './roster-state.js';
import { columnsOf, presentRun, previewOf, type SyncPlan } from './run-view.js';
import {
  type GroupCounts,
  removeGroups,
  syncMemberships,
  type UserCounts,
  userBatch,
  type WriteContext,
  writeGroups,
  writeUserBatch,
} from './writer.js';

type Connection = Selectable<DirectoryConnectionsTable>;
type RunRow = Selectable<DirectorySyncRunsTable>;

/** A running run whose process has not written for this long is taken for dead (its process stopped). */
const STALE_MS = 10 * 60 * 1000;

/** Problems a run keeps (the counts count them all): a directory of bad entries makes no history too large to read. */
const KEPT_PROBLEMS = 1000;
const SETTLE_MIN_USERS = 10_000;
const kept = (problems: EntryProblem[]) => JSON.stringify(problems.slice(0, KEPT_PROBLEMS));

/** The process is stopping: the run ends between two batches. */
export class SyncStopped extends Error {
  override name = 'SyncStopped';
}

/** Waits for every one of the promises; then throws the first failure in their order, if any. */
async function settledAll<T extends readonly unknown[]>(
  promises: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** How many of the plan's users it plans so. */
const tally = (plan: SyncPlan, action: PlannedUser['action']) =>
  plan.users.users.filter((user) => user.action === action).length;

/** What a run's plan says of its users that no write counts. */
const fixedOf = (plan: SyncPlan) => ({
  unchanged: tally(plan, 'unchanged'),
  skipped: tally(plan, 'skip'),
  errors: plan.errors.length,
  errors_json: kept(plan.errors),
});

/** What the directory was read for a run; an incremental run's external ids come when their read ends. */
interface DirectoryReading {
  entries: DirectoryUser[];
  groups: DirectoryGroup[];
  present: Promise<Set<string>> | null;
  /** Ends the read of the external ids if it goes on (the run ended first). */
  close(): void;
}

const later = (a: string | null, b: string | null, numeric: boolean): string | null => {
  if (a === null) return b;
  if (b === null) return a;
  if (numeric) return BigInt(a) >= BigInt(b) ? a : b;
  return a >= b ? a : b;
};

/** What every new user gets (the account's default licenses), for the users a sync creates. */
export const grantingDefaults =
  (licenses: Licenses): WriteContext['onCreated'] =>
  async (trx, actor, created) => {
    await licenses.grantDefaultsWithin(
      trx,
      created.map((user) => ({ actor, user })),
    );
  };

/** What the sync thread is started with (see sync-thread.ts). */
export interface SyncThreadData {
  databaseUrl: string;
  timeoutMs: number;
  /** SQLite: the turns at the writer lock, shared with the serving connection. */
  turns: Int32Array | null;
}

/** A run handed to the sync thread to write. */
export interface ThreadRun {
  /** The clock of the process that started the run, as an offset from the thread's system clock. */
  clockOffsetMs: number;
  settleMinUsers: number;
  accountId: number;
  connectionId: number;
  runId: number;
  actor: Actor;
  meta: RequestMeta;
}

/**
 * The thread a process writes its runs in (sync-thread.ts), started with the first run and kept for the next ones
 * (starting one loads Roster's modules again: about 1.5 s). Idle, it does not keep the process alive; while it
 * writes a run, and while it closes, it does.
 */
class SyncThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, () => void>();
  private failure = 'ended';
  private gone = false;
  readonly exited: Promise<void>;

  constructor(data: SyncThreadData) {
    this.worker = new Worker(new URL('../thread-loader.js', import.meta.url), {
      workerData: { module: new URL('./sync-thread.ts', import.meta.url).href, data },
      // A sync makes many short-lived objects (entries, rows, statements): with V8's default young generation, a
      // SQLite full sync of 100,000 users spent 6.8 s of the thread's time collecting them, with this one 3.7 s
      // (bench/directory-sync.ts, BENCH_SYNC_PROFILE).
      resourceLimits: { maxYoungGenerationSizeMb: 192 },
    });
    this.worker.on('message', (message: { ended: number }) => {
      this.waiting.get(message.ended)?.();
      this.waiting.delete(message.ended);
      if (this.waiting.size === 0) this.worker.unref();
    });
    this.worker.on('error', (error) => {
      // Logged here; each run it ends says only that it stopped (the message may name this process's internals).
      console.error(`[roster] the directory sync thread failed: ${error.message}`);
      this.failure = 'failed';
    });
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.gone = true;
        for (const ended of this.waiting.values()) ended();
        this.waiting.clear();
        resolve();
      }),
    );
    // Idle, it does not keep the process alive; while it writes runs, it does (see `write`). After the listeners:
    // attaching one to a worker's messages refs it again.
    this.worker.unref();
  }

  get alive(): boolean {
    return !this.gone;
  }

  /** Hands the run over; resolves when the thread has ended it, or null when the thread ended first (and why). */
  async write(run: ThreadRun): Promise<string | null> {
    if (this.gone) return this.failure;
    const ended = new Promise<void>((resolve) => this.waiting.set(run.runId, resolve));
    // Whoever waits for the run (`roster sync`) must not see the process end first.
    this.worker.ref();
    this.worker.postMessage(run);
    await ended;
    return this.gone ? this.failure : null;
  }

  /** Ends its runs between two batches, as a stopping process does. */
  stop(): void {
    if (!this.gone) this.worker.postMessage('stop');
  }

  /** Ends its runs, closes its database connection and ends the thread; the process waits for it. */
  close(): Promise<void> {
    if (!this.gone) {
      this.worker.ref();
      this.worker.postMessage('close');
    }
    return this.exited;
  }
}

export class DirectorySync {
  /** Runs this process is writing (tests and shutdown wait for them). */
  private readonly background = new Set<Promise<void>>();
  /** The thread runs are written in, once one was (see `databaseUrl`). */
  private thread: SyncThread | null = null;
  /**
   * Where a run is written: in a thread of its own with its own database connection (the database's URL), or, when
   * null, in this thread (a database only this connection can reach, such as SQLite's `:memory:`). In a thread, the
   * sync's reading and planning do not hold up the requests this thread serves, nor do its statements hold up their
   * reads (SQLite lets them read the last commit while the sync writes the next); a write of theirs waits for the
   * sync's transaction in progress (SharedSqliteDriver). The thread runs at a lower priority (see sync-thread.ts).
   */
  databaseUrl: string | null = null;
  /** Set while the process stops: runs end between two batches instead of being cut in the middle of one. */
  private stopping = false;
  /** PostgreSQL: the fewest users a sync creates before it has the planner's statistics read again (see write). */
  settleMinUsers = SETTLE_MIN_USERS;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly teams: Teams,
    private readonly now: () => Date,
    private readonly timeoutMs: number,
    private readonly onCreated?: WriteContext['onCreated'],
  ) {}

  private assertCanManage(actor: Actor) {
    authorize(actor, 'directory.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only the owner and admins without a profile sync directories'),
    );
  }

  private async connection(accountId: number, id: number): Promise<Connection> {
    const row = await this.handle.db
      .selectFrom('directory_connections')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Directory connection');
    return row;
  }

  /** The connection's runs, newest first. */
  async runs(actor: Actor, connectionId: number, limit = 50): Promise<DirectorySyncRun[]> {
    this.assertCanManage(actor);
    await this.connection(actor.accountId, connectionId);
    const rows = await this.handle.db
      .selectFrom('directory_sync_runs')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('connection_id', '=', connectionId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(presentRun);
  }

  async run(actor: Actor, connectionId: number, runId: number): Promise<DirectorySyncRun> {
    this.assertCanManage(actor);
    const row = await this.handle.db
      .selectFrom('directory_sync_runs')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('connection_id', '=', connectionId)
      .where('id', '=', runId)
      .executeTakeFirst();
    if (!row) throw notFound('Sync run');
    return presentRun(row);
  }

  /**
   * Ends the runs this process is writing at their next batch (each recorded as failed; the next run finishes the
   * job), and waits for them: for a process that stops.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.thread?.stop();
    try {
      await this.idle();
    } finally {
      this.stopping = false;
    }
    const thread = this.thread;
    this.thread = null;
    await thread?.close();
  }

  /**
   * Ends this thread's runs between two batches, and any run handed to it afterwards at its first check: a sync
   * thread whose process stops.
   */
  halt(): void {
    this.stopping = true;
  }

  private assertGoingOn() {
    if (this.stopping) throw new SyncStopped('Roster stopped during the sync: the next run finishes the job');
  }

  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Starts a sync: a preview answers its plan; a real one answers its run and goes on in the background. */
  async start(
    actor: Actor,
    connectionId: number,
    input: { kind: SyncKind; preview?: boolean },
    meta: RequestMeta = {},
    options: { scheduled?: boolean } = {},
  ): Promise<{ run: DirectorySyncRun; preview: DirectorySyncPreview | null }> {
    this.assertCanManage(actor);
    const connection = await this.connection(actor.accountId, connectionId);
    const run = await this.begin(
      connection,
      input.kind,
      input.preview === true,
      options.scheduled ? null : actor.userId,
    );
    if (input.preview) {
      const preview = await this.execute(connection, run, actor, meta, true);
      return { run: preview?.run ?? (await this.run(actor, connectionId, run.id)), preview };
    }
    void this.track(
      this.databaseUrl
        ? this.executeInThread(this.databaseUrl, connection, run, actor, meta)
        : this.execute(connection, run, actor, meta, false),
    );
    return { run: presentRun(run), preview: null };
  }

  /** Keeps a run being written among the background work `idle` and `stop` wait for. */
  private track(work: Promise<unknown>): Promise<void> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
    return settled;
  }

  /** Writes a run in the sync thread. A run the thread could not end is recorded as failed, saying why. */
  private async executeInThread(
    databaseUrl: string,
    connection: Connection,
    run: RunRow,
    actor: Actor,
    meta: RequestMeta,
  ): Promise<void> {
    if (!this.thread?.alive)
      this.thread = new SyncThread({ databaseUrl, timeoutMs: this.timeoutMs, turns: this.handle.writerTurns });
    // SQLite: the serving connection takes turns with the thread's, and leaves it the checkpoints (see write-lock.ts).
    const release = shareWriter(this.handle);
    const failure = await this.thread
      .write({
        clockOffsetMs: this.now().getTime() - Date.now(),
        settleMinUsers: this.settleMinUsers,
        accountId: connection.account_id,
        connectionId: connection.id,
        runId: run.id,
        actor,
        meta,
      })
      .finally(release);
    const ended = await this.handle.db
      .selectFrom('directory_sync_runs')
      .select('status')
      .where('id', '=', run.id)
      .executeTakeFirst();
    if (ended?.status === 'running') {
      await this.finish(run, 'failed', `The sync stopped: its thread ${failure ?? 'did not end it'}`, {});
    }
  }

  /** Writes a run another thread started (see sync-thread.ts). */
  async resume(data: ThreadRun): Promise<void> {
    await this.track(
      (async () => {
        const connection = await this.connection(data.accountId, data.connectionId);
        const run = await this.handle.db
          .selectFrom('directory_sync_runs')
          .selectAll()
          .where('id', '=', data.runId)
          .executeTakeFirstOrThrow();
        await this.execute(connection, run, data.actor, data.meta, false);
      })(),
    );
  }

  /**
   * Starts the scheduled syncs that are due: a connection with a schedule whose last run (scheduled or not) started
   * at least its interval ago. Incremental, except a full one when none succeeded in the last day (or no incremental
   * mark exists yet). Run as the account's owner; another process starting the same run first is no error (409).
   */
  async startDue(): Promise<number[]> {
    const db = this.handle.db;
    const now = this.now();
    const connections = await db
      .selectFrom('directory_connections as c')
      .innerJoin('accounts as a', 'a.id', 'c.account_id')
      .innerJoin('users as o', 'o.id', 'a.owner_user_id')
      .select(['c.id', 'c.account_id', 'c.schedule_minutes', 'c.high_water_mark', 'o.id as owner_id', 'o.username'])
      .where('c.schedule_minutes', 'is not', null)
      .execute();
    const started: number[] = [];
    for (const connection of connections) {
      const runs = await db
        .selectFrom('directory_sync_runs')
        .select(['started_at', 'kind', 'status'])
        .where('connection_id', '=', connection.id)
        .where('preview', '=', 0)
        .orderBy('id', 'desc')
        .limit(50)
        .execute();
      const last = runs[0];
      const every = (connection.schedule_minutes as number) * 60_000;
      if (last && new Date(last.started_at).getTime() + every > now.getTime()) continue;
      const dayAgo = now.getTime() - 24 * 60 * 60_000;
      const recentFull = runs.some(
        (run) => run.kind === 'full' && run.status === 'succeeded' && new Date(run.started_at).getTime() >= dayAgo,
      );
      const kind: SyncKind = recentFull && connection.high_water_mark ? 'incremental' : 'full';
      const owner: Actor = {
        userId: connection.owner_id,
        accountId: connection.account_id,
        username: connection.username,
        accessType: 'admin',
        isOwner: true,
      };
      try {
        const { run } = await this.start(owner, connection.id, { kind }, {}, { scheduled: true });
        started.push(run.id);
      } catch (error) {
        if (!(error instanceof AppError && error.status === 409)) throw error;
      }
    }
    return started;
  }

  /** Starts the schedule: every minute, the syncs that are due. */
  startSchedule(everyMs = 60_000): () => void {
    const tick = () =>
      this.startDue().catch((error: Error) => console.error(`[roster] scheduled directory sync: ${error.message}`));
    const timer = setInterval(tick, everyMs);
    timer.unref();
    void tick();
    return () => clearInterval(timer);
  }

  /** Records a running run, or refuses while another of the connection runs. */
  private async begin(connection: Connection, kind: SyncKind, preview: boolean, by: number | null): Promise<RunRow> {
    const at = this.now();
    // A run whose process died would block the connection for ever: past its heartbeat's age it is over.
    await this.handle.db
      .updateTable('directory_sync_runs')
      .set({
        status: 'failed',
        finished_at: at.toISOString(),
        message: 'The process running this sync stopped before it finished',
      })
      .where('connection_id', '=', connection.id)
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', new Date(at.getTime() - STALE_MS).toISOString())
      .execute();
    try {
      return await this.handle.db
        .insertInto('directory_sync_runs')
        .values({
          account_id: connection.account_id,
          connection_id: connection.id,
          kind,
          preview: preview ? 1 : 0,
          status: 'running',
          started_by: by,
          started_at: at.toISOString(),
          heartbeat_at: at.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflict('SyncRunning', `A sync of ${connection.name} is running: wait for it to finish`);
      throw error;
    }
  }

  private async progress(runId: number, values: Partial<Record<keyof RunRow, unknown>>) {
    await this.handle.db
      .updateTable('directory_sync_runs')
      .set({ ...values, heartbeat_at: this.now().toISOString() } as never)
      .where('id', '=', runId)
      .execute();
  }

  private settings(connection: Connection): ReadSettings {
    return {
      usersBaseDn: connection.users_base_dn,
      usersFilter: connection.users_filter,
      groupsBaseDn: connection.groups_base_dn,
      groupsFilter: connection.groups_filter,
      mapping: JSON.parse(connection.attribute_mapping_json) as AttributeMapping,
      preset: PRESETS[connection.vendor as DirectoryVendor],
    };
  }

  /**
   * Reads what the run needs: the users (changed ones for an incremental run) and the groups at once, each on a
   * connection of its own (a directory serves one paged search at a time per connection), so that the directory's
   * work on one overlaps this process's decoding of the other. An incremental run also reads every user's external id,
   * on a third connection: that read goes on while the run plans and writes the entries read (`present`).
   */
  private async read(connection: Connection, run: RunRow): Promise<DirectoryReading> {
    const endpoint = {
      url: connection.url,
      startTls: connection.start_tls === 1,
      caCertificate: connection.ca_certificate,
      bindDn: connection.bind_dn,
      bindPassword: connection.bind_password,
    };
    const since = run.kind === 'incremental' ? connection.high_water_mark : null;
    const opened = await Promise.allSettled(
      Array.from({ length: since ? 3 : 2 }, () => openDirectory(endpoint, this.timeoutMs)),
    );
    const clients = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const refused = opened.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (refused) {
      for (const client of clients) release(client);
      throw refused.reason;
    }
    const [users, groupReader, idReader] = clients as [Client, Client, Client | undefined];
    let present: Promise<Set<string>> | null = null;
    const close = () => {
      if (idReader) release(idReader);
    };
    try {
      const settings = this.settings(connection);
      present = idReader
        ? readUserIds(idReader, settings, () => this.assertGoingOn()).finally(() => release(idReader))
        : null;
      // Awaited later, or never when the run fails first: its failure is not one of the process.
      present?.catch(() => undefined);
      let beat = Date.now();
      const [entries, groups] = await settledAll([
        readUsers(users, settings, since, async (count) => {
          this.assertGoingOn();
          if (Date.now() - beat < 2000) return;
          beat = Date.now();
          await this.progress(run.id, { progress_total: count });
        }),
        readGroups(groupReader, settings),
      ]);
      return { entries, groups, present, close };
    } catch (error) {
      close();
      throw error;
    } finally {
      release(users);
      release(groupReader);
    }
  }

  /** Reads, plans, and previews or writes; every outcome ends the run (failed, with why, if it must). */
  private async execute(
    connection: Connection,
    run: RunRow,
    actor: Actor,
    meta: RequestMeta,
    preview: boolean,
  ): Promise<DirectorySyncPreview | null> {
    const counts: UserCounts & GroupCounts = {
      created: 0,
      updated: 0,
      enabled: 0,
      disabled: 0,
      deleted: 0,
      groupsCreated: 0,
      groupsUpdated: 0,
      groupsDeleted: 0,
      membershipsChanged: 0,
    };
    let planned: SyncPlan | null = null;
    const warnings: EntryProblem[] = [];
    let reading: DirectoryReading | null = null;
    try {
      reading = await this.read(connection, run);
      const read: DirectoryRead = { entries: reading.entries, groups: reading.groups, present: null };
      // An incremental run plans the entries read while the directory still lists who is present; then who is gone.
      const present = reading.present;
      planned = await planRead(this.handle.db, this.handle.dialect, connection, read.entries, read.groups, !present);
      const gone = present
        ? async () => {
            read.present = await present;
            return planGone(this.handle.db, this.handle.dialect, connection, read.entries, read.present);
          }
        : null;
      // A preview plans who is gone too; a real run writes the entries read meanwhile, and who is gone after.
      if (gone && preview) planned = withGone(planned, await gone());
      warnings.push(...planned.warnings);
      if (preview) {
        const row = await this.finish(run, 'succeeded', null, {
          ...fixedOf(planned),
          created: tally(planned, 'create'),
          updated: tally(planned, 'update'),
          enabled: tally(planned, 'enable'),
          disabled: tally(planned, 'disable'),
          deleted: tally(planned, 'delete'),
          groups_created: planned.groups.groups.filter((g) => g.action === 'create').length,
          groups_updated: planned.groups.groups.filter((g) => g.action === 'update').length,
          groups_deleted: planned.groups.removed.length,
          warnings_json: kept(warnings),
        });
        return previewOf(presentRun(row), planned);
      }
      planned = await this.write(connection, run, actor, read, planned, counts, warnings, gone);
      const numeric = PRESETS[connection.vendor as DirectoryVendor].changedAttribute === 'uSNChanged';
      let mark = connection.high_water_mark;
      // Groups are read whole every time: the users' changes are what an incremental sync asks for.
      for (const item of read.entries) mark = later(mark, item.changed, numeric);
      await this.finish(
        run,
        'succeeded',
        null,
        { ...fixedOf(planned), ...columnsOf(counts), warnings_json: kept(warnings) },
        async (trx) => {
          await trx
            .updateTable('directory_connections')
            .set({ high_water_mark: mark })
            .where('id', '=', connection.id)
            .execute();
        },
        actor,
        connection,
        meta,
      );
      return null;
    } catch (error) {
      const message =
        error instanceof DirectoryStepError || error instanceof DirectoryReadError || error instanceof SyncStopped
          ? error.message
          : `The sync stopped: ${(error as Error)?.message ?? String(error)}`;
      await this.finish(
        run,
        'failed',
        message,
        {
          ...columnsOf(counts),
          ...(planned ? { errors: planned.errors.length, errors_json: kept(planned.errors) } : {}),
          warnings_json: kept(warnings),
        },
        undefined,
        preview ? undefined : actor,
        connection,
        meta,
      ).catch(() => undefined);
      if (preview) throw conflict('SyncFailed', message);
      return null;
    } finally {
      reading?.close();
    }
  }

  private async write(
    connection: Connection,
    run: RunRow,
    actor: Actor,
    read: DirectoryRead,
    planned: SyncPlan,
    counts: UserCounts & GroupCounts,
    warnings: EntryProblem[],
    /** An incremental run's users gone from the directory, planned once the directory has said who is present. */
    gone: (() => Promise<UserPlan>) | null,
  ): Promise<SyncPlan> {
    const ctx: WriteContext = {
      handle: this.handle,
      audit: this.audit,
      teams: this.teams,
      now: this.now,
      actor,
      accountId: connection.account_id,
      connectionId: connection.id,
      source: connection.name,
      onCreated: this.onCreated,
      assertGoingOn: () => this.assertGoingOn(),
    };
    let total = planned.users.users.length + planned.groups.groups.length + planned.groups.removed.length;
    await this.progress(run.id, { progress_total: total, progress_done: 0, ...fixedOf(planned) });
    let done = 0;
    const size = userBatch(this.handle.dialect);
    // PostgreSQL: once a sync has created settleMinUsers users (10,000) and doubled the account, the planner's statistics are
    // read again and the trigram indexes' pending lists merged, as autovacuum would a minute later; then again each
    // time the account doubles. Lists and searches asked during a full sync would otherwise run on plans made for an
    // account a fraction of its size, through the pending entries of every user created since.
    const settles = this.handle.dialect === 'postgres';
    const before = settles ? await accountUserCount(this.handle.db, ctx.accountId) : 0;
    let settled = before;
    const writeUsers = async (users: PlannedUser[]) => {
      for (let i = 0; i < users.length; i += size) {
        const batch = users.slice(i, i + size);
        await breathe();
        this.assertGoingOn();
        await writeUserBatch(ctx, batch, counts);
        done += batch.length;
        await this.progress(run.id, { progress_done: done, ...columnsOf(counts) });
        if (settles && counts.created >= this.settleMinUsers && before + counts.created >= 2 * settled) {
          this.assertGoingOn();
          settled = before + counts.created;
          // Only the plans of reads depend on it: a vacuum that fails (a timeout, a cancel) does not fail the sync.
          await settlePostgresIndexes(this.handle.db).catch((error: Error) =>
            console.error(`[roster] directory sync: vacuum of the users table failed: ${error.message}`),
          );
        }
      }
    };
    await writeUsers(planned.users.users);
    if (gone) {
      const plan = await gone();
      planned = withGone(planned, plan);
      total += plan.users.length;
      await this.progress(run.id, { progress_total: total, ...fixedOf(planned) });
      await writeUsers(plan.users);
    }
    // Groups gone first: one deleted and made again in the directory (a new external id) takes back its name.
    await removeGroups(ctx, planned.groups, counts, warnings);
    done += planned.groups.removed.length;
    const groupIds = await writeGroups(ctx, planned.groups, counts);
    done += planned.groups.groups.length;
    await this.progress(run.id, { progress_done: done, ...columnsOf(counts) });

    await syncMemberships(ctx, connection, read, planned, groupIds, counts);
    await this.progress(run.id, { progress_done: done, ...columnsOf(counts) });
    return planned;
  }

  /** Ends the run; a real run's end is in the audit log with its counts. */
  private async finish(
    run: RunRow,
    status: 'succeeded' | 'failed',
    message: string | null,
    values: Record<string, unknown>,
    also?: (trx: Transaction<Database>) => Promise<void>,
    actor?: Actor,
    connection?: Connection,
    meta: RequestMeta = {},
  ): Promise<RunRow> {
    return this.handle.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('directory_sync_runs')
        .set({
          ...values,
          status,
          message,
          finished_at: this.now().toISOString(),
          heartbeat_at: this.now().toISOString(),
        } as never)
        .where('id', '=', run.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await also?.(trx);
      if (actor && connection) {
        const presented = presentRun(row);
        await this.audit.record(trx, {
          accountId: connection.account_id,
          actor: run.started_by === null ? null : actor,
          action: 'directory.sync',
          target: { type: 'directory_connection', id: connection.id, label: connection.name },
          after: {
            run: row.id,
            kind: row.kind,
            status,
            ...presented.counts,
            ...(message ? { message } : {}),
          },
          ip: meta.ip,
        });
      }
      return row;
    });
  }
}
