// The audit log: every change is recorded in the transaction that makes it, and read back filtered.
import { type CompiledQuery, type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { idFromDigits } from '../../shared/ids.js';
import type { AuditQuery } from '../../shared/schemas.js';
import type { Dialect } from '../db/dialect.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { AuditEventsTable, Database } from '../db/schema/index.js';
import { containsLike, idIn, typedParams } from '../db/sql-helpers.js';
import { validationFailed } from '../errors.js';
import { type Actor, authorize } from '../policy.js';

export interface AuditEntry {
  accountId: number;
  actor: Pick<Actor, 'userId' | 'username'> | null;
  action: string;
  target?: { type: string; id: string | number; label: string } | null;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
}

export interface AuditEvent {
  id: number;
  at: string;
  action: string;
  actor: { id: number; username: string | null } | null;
  target: { type: string; id: string; label: string | null } | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  ip: string | null;
}

type Executor = Kysely<Database> | Transaction<Database>;

/** Keeps only the fields that changed, so an update's before/after reads as a diff. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>) {
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      was[key] = before[key];
      now[key] = after[key];
    }
  }
  return { before: was, after: now, changed: Object.keys(now).length > 0 };
}

/** Entries a statement writes at most (eleven columns each, well under SQLite's parameter limit). */
const ENTRIES_PER_STATEMENT = 2500;

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

/** One entry for each of a set of users of an account, each labelled with the user's username. */
export interface UsersAuditEntry {
  accountId: number;
  actor: Pick<Actor, 'userId' | 'username'>;
  action: string;
  userIds: readonly number[];
  before?: unknown;
  after: unknown;
}

export class AuditLog {
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(
    handle: DatabaseHandle,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
  }

  /** The row an entry is kept as; `at` defaults to now. */
  private row(entry: AuditEntry, at = this.now().toISOString()): Insertable<AuditEventsTable> {
    return {
      account_id: entry.accountId,
      at,
      actor_user_id: entry.actor?.userId ?? null,
      actor_username: entry.actor?.username ?? null,
      action: entry.action,
      target_type: entry.target?.type ?? null,
      target_id: entry.target ? String(entry.target.id) : null,
      target_label: entry.target?.label ?? null,
      before_json: json(entry.before),
      after_json: json(entry.after),
      ip: entry.ip ?? null,
    };
  }

  async record(executor: Executor, entry: AuditEntry): Promise<void> {
    await executor.insertInto('audit_events').values(this.row(entry)).execute();
  }

  /** Many entries at one time, a few thousand a statement (a bulk action's, one per user). */
  async recordMany(executor: Executor, entries: readonly AuditEntry[], at = this.now().toISOString()): Promise<void> {
    for (let start = 0; start < entries.length; start += ENTRIES_PER_STATEMENT) {
      const rows = entries.slice(start, start + ENTRIES_PER_STATEMENT).map((entry) => this.row(entry, at));
      await executor.insertInto('audit_events').values(rows).execute();
    }
  }

  /** The statement that records an entry, for a writer that runs compiled statements on its own connection. */
  recordStatement(entry: AuditEntry, at?: string): CompiledQuery {
    return this.db.insertInto('audit_events').values(this.row(entry, at)).compile();
  }

  /**
   * One entry per user, labelled with the user's username, by one INSERT ... SELECT from the users (a team's
   * thousands of new members are not read first). Users of other accounts are left out.
   */
  async recordForUsers(executor: Executor, entry: UsersAuditEntry): Promise<void> {
    if (entry.userIds.length === 0) return;
    const p = typedParams(this.dialect);
    await executor
      .insertInto('audit_events')
      .columns([
        'account_id',
        'at',
        'actor_user_id',
        'actor_username',
        'action',
        'target_type',
        'target_id',
        'target_label',
        'before_json',
        'after_json',
      ])
      .expression(
        executor
          .selectFrom('users as u')
          .select([
            'u.account_id',
            p.timestamp(this.now().toISOString()).as('at'),
            p.int(entry.actor.userId).as('actor_user_id'),
            p.text(entry.actor.username).as('actor_username'),
            p.text(entry.action).as('action'),
            p.text('user').as('target_type'),
            sql<string>`cast(u.id as text)`.as('target_id'),
            'u.username',
            p.text(json(entry.before)).as('before_json'),
            p.text(json(entry.after)).as('after_json'),
          ])
          .where('u.account_id', '=', entry.accountId)
          .where(idIn(this.dialect, 'u.id', entry.userIds)),
      )
      .execute();
  }

  async list(accountId: number, query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    let before: number | null = null;
    if (query.cursor) {
      // The id of the last entry of the page before, in the digits the API gave out (not `0x10` or `1e3`).
      before = idFromDigits(query.cursor);
      if (before === null || before < 1) throw validationFailed([{ path: 'cursor', message: 'Invalid cursor' }]);
    }
    const rows = await this.query(accountId, query, before)
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(present);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
  }

  /** The actor's account's events, for a reader the policy allows. */
  read(actor: Actor, query: AuditQuery) {
    authorize(actor, 'audit.read', 'account', { accountId: actor.accountId });
    return this.list(actor.accountId, query);
  }

  /** Every matching event of the actor's account (the export), for a reader the policy allows. */
  readAll(actor: Actor, query: AuditQuery): AsyncGenerator<AuditEvent> {
    authorize(actor, 'audit.read', 'account', { accountId: actor.accountId });
    return this.all(actor.accountId, query);
  }

  /** Every matching event, newest first, read in pages so memory stays flat. */
  async *all(accountId: number, query: AuditQuery): AsyncGenerator<AuditEvent> {
    let before: number | null = null;
    for (;;) {
      const rows: AuditRow[] = await this.query(accountId, query, before).limit(1000).execute();
      for (const row of rows) yield present(row);
      const last: AuditRow | undefined = rows[rows.length - 1];
      if (rows.length < 1000 || !last) return;
      before = last.id;
    }
  }

  private query(accountId: number, query: AuditQuery, before: number | null) {
    let q = this.db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId);
    if (before !== null) q = q.where('id', '<', before);
    if (query.action) q = q.where('action', '=', query.action);
    if (query.actor) q = q.where('actor_username', '=', query.actor.toLowerCase());
    if (query.targetId) q = q.where('target_id', '=', query.targetId);
    if (query.from) q = q.where('at', '>=', new Date(query.from).toISOString());
    if (query.to) q = q.where('at', '<=', endOfDay(query.to));
    if (query.q) {
      const text = query.q.toLowerCase();
      q = q.where((eb) =>
        eb.or(
          ['target_label', 'action', 'actor_username'].map((column) =>
            containsLike(sql`lower(${sql.ref(column)})`, text),
          ),
        ),
      );
    }
    return q.orderBy('id', 'desc');
  }
}

function endOfDay(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : new Date(value).toISOString();
}

type AuditRow = Selectable<AuditEventsTable>;

function present(row: {
  id: number;
  at: string;
  action: string;
  actor_user_id: number | null;
  actor_username: string | null;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  before_json: string | null;
  after_json: string | null;
  ip: string | null;
}): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    action: row.action,
    actor: row.actor_user_id === null ? null : { id: row.actor_user_id, username: row.actor_username },
    target: row.target_type ? { type: row.target_type, id: row.target_id ?? '', label: row.target_label } : null,
    before: row.before_json ? JSON.parse(row.before_json) : null,
    after: row.after_json ? JSON.parse(row.after_json) : null,
    ip: row.ip,
  };
}
