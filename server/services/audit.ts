// The audit log: every change is recorded in the transaction that makes it, and read back filtered.
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { AuditQuery } from '../../shared/schemas.js';
import type { Db } from '../db/index.js';
import type { AuditEventsTable, Database } from '../db/schema/index.js';
import { containsLike } from '../db/sql-helpers.js';
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

export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  async record(executor: Executor, entry: AuditEntry): Promise<void> {
    await executor.insertInto('audit_events').values(this.row(entry, this.now().toISOString())).execute();
  }

  /** Records many entries in one statement a few hundred at a time (a sync's users). */
  async recordMany(executor: Executor, entries: readonly AuditEntry[]): Promise<void> {
    const at = this.now().toISOString();
    for (let start = 0; start < entries.length; start += 500) {
      const rows = entries.slice(start, start + 500).map((entry) => this.row(entry, at));
      if (rows.length > 0) await executor.insertInto('audit_events').values(rows).execute();
    }
  }

  private row(entry: AuditEntry, at: string) {
    return {
      account_id: entry.accountId,
      at,
      actor_user_id: entry.actor?.userId ?? null,
      actor_username: entry.actor?.username ?? null,
      action: entry.action,
      target_type: entry.target?.type ?? null,
      target_id: entry.target ? String(entry.target.id) : null,
      target_label: entry.target?.label ?? null,
      before_json: entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
      after_json: entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
      ip: entry.ip ?? null,
    };
  }

  async list(accountId: number, query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    let before: number | null = null;
    if (query.cursor) {
      before = Number(query.cursor);
      if (!Number.isSafeInteger(before) || before < 1)
        throw validationFailed([{ path: 'cursor', message: 'Invalid cursor' }]);
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
