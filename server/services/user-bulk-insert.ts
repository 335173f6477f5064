// Writes many users at once (seeding, imports): multi-row inserts in batches, each batch one transaction.
import type { Insertable } from 'kysely';
import type { Db } from '../db/index.js';
import type { UsersTable } from '../db/schema/users.js';
import { derivedColumns } from './user-presenter.js';

export interface BulkUser {
  username: string;
  firstName: string;
  lastName?: string;
  email?: string;
  phone?: string;
  department?: string;
  accessType?: string;
  authMethod?: string;
  enabled?: boolean;
  status?: 'active' | 'inactive';
  source?: string;
  nicknames?: string[];
}

// 1,000 rows x 30 columns stays under both databases' bound-parameter limits.
const BATCH = 1000;

export function bulkRow(accountId: number, user: BulkUser, at: string): Insertable<UsersTable> {
  const base = {
    first_name: user.firstName,
    last_name: user.lastName ?? '',
    username: user.username,
    email: user.email ?? '',
    phone: user.phone ?? '',
    department: user.department ?? '',
    nicknames: JSON.stringify(user.nicknames ?? []),
  };
  return {
    ...base,
    ...derivedColumns(base),
    account_id: accountId,
    access_type: user.accessType ?? 'standard',
    auth_method: user.authMethod ?? 'password',
    enabled: user.enabled === false ? 0 : 1,
    status: user.status ?? 'inactive',
    source: user.source ?? 'local',
    created_at: at,
    updated_at: at,
  };
}

/** Inserts users in batches; returns how many were written. Usernames must be new to the account. */
export async function insertUsersInBulk(
  db: Db,
  accountId: number,
  users: Iterable<BulkUser>,
  at = new Date(),
): Promise<number> {
  const when = at.toISOString();
  let batch: Insertable<UsersTable>[] = [];
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await db.transaction().execute((trx) => trx.insertInto('users').values(rows).execute());
    written += rows.length;
  };
  for (const user of users) {
    batch.push(bulkRow(accountId, user, when));
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return written;
}
