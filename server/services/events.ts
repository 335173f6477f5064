// The events outbox: changes other applications act on (every change of a user, see user-events.ts) are written in
// the transaction of the change and read here, in order, from the last id an application saw.
import type { Db } from '../db/index.js';
import { forbidden } from '../errors.js';
import { authorize } from '../policy.js';
import { type Caller, callerAccount } from './decisions.js';

export interface EventsQuery {
  after?: number;
  limit?: number;
  type?: string;
}

export class Events {
  constructor(private readonly db: Db) {}

  /** Events after `after` (exclusive), oldest first; `nextAfter` is the id to ask from next time. */
  async list(caller: Caller, query: EventsQuery) {
    const accountId = callerAccount(caller);
    const principal = caller.kind === 'user' ? caller.actor : { apiKeyAccountId: accountId };
    authorize(principal, 'events.read', 'account', { accountId }, () =>
      forbidden('Only admins and application keys read events'),
    );
    const limit = query.limit ?? 100;
    let q = this.db
      .selectFrom('events')
      .select(['id', 'type', 'payload_json', 'created_at', 'user_id', 'user_seq'])
      .where('account_id', '=', accountId)
      .where('id', '>', query.after ?? 0)
      .orderBy('id')
      .limit(limit);
    if (query.type) q = q.where('type', '=', query.type);
    const rows = await q.execute();
    const items = rows.map((row) => ({
      id: row.id,
      type: row.type,
      userId: row.user_id,
      sequence: row.user_seq,
      payload: JSON.parse(row.payload_json) as Record<string, unknown>,
      createdAt: row.created_at,
    }));
    return { items, nextAfter: items.length > 0 ? (items[items.length - 1]?.id as number) : (query.after ?? 0) };
  }
}
