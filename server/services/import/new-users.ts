// What the write phase of an import inserts, shared by the PostgreSQL writer and the SQLite writer thread.
import type { Insertable } from 'kysely';
import type { UsersTable } from '../../db/schema/users.js';

export type NewUser = Insertable<UsersTable> & {
  account_id: number;
  search_doc: string;
  access_type: string;
  status: string;
  enabled: number;
  department: string;
  source: string;
};

export interface NewCredential {
  passwordHash: string;
}

export const INSERT_COLUMNS = [
  'account_id',
  'username',
  'email',
  'first_name',
  'last_name',
  'phone',
  'department',
  'access_type',
  'auth_method',
  'enabled',
  'status',
  'source',
  'nicknames',
  'search_doc',
  'name_key',
  'first_key',
  'time_zone',
  'language',
  'valid_from',
  'expires_at',
  'required_actions',
  'profile_id',
  'created_at',
  'updated_at',
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
