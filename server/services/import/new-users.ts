// What the write phase of an import inserts, shared by the PostgreSQL writer and the SQLite writer thread.
import type { Insertable } from 'kysely';
import type { UsersTable } from '../../db/schema/users.js';
import type { InsertedUser } from '../../db/user-index.js';
import { BULK_COLUMNS } from '../user-bulk-insert.js';

export type NewUser = Insertable<UsersTable> & Omit<InsertedUser, 'id'>;

export interface NewCredential {
  passwordHash: string;
}

export const INSERT_COLUMNS = [
  ...BULK_COLUMNS,
  'time_zone',
  'language',
  'valid_from',
  'expires_at',
  'required_actions',
  'profile_id',
] as const;

export interface DefaultPool {
  app: string;
  kind: string;
  size: number;
  used: number;
}

/**
 * New users of an account with pools that license by default get those licenses, as users created one at a time
 * do: a seats pool licenses the first users of the batch while it has seats left (never more: the pool's check
 * refuses it), a pool of minutes licenses every one. Returns the user ids each app licensed.
 */
export function defaultGrants(
  pools: DefaultPool[],
  ids: number[],
  granted: Record<string, number>,
): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (const pool of pools) {
    const take = pool.kind === 'seats' ? Math.max(0, Math.min(ids.length, pool.size - pool.used)) : ids.length;
    if (take === 0) continue;
    out.push([pool.app, ids.slice(0, take)]);
    granted[pool.app] = (granted[pool.app] ?? 0) + take;
  }
  return out;
}
