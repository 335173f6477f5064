// The copies on the users row that authorization decisions read with the user (migration 0008): role_ids from
// user_roles and analysis_enabled from user_app_settings. Whatever writes those tables rewrites the copies in the
// same transaction, with these helpers.
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Dialect } from './dialect.js';
import type { Database } from './schema/index.js';
import { idIn } from './sql-helpers.js';

type Executor = Kysely<Database> | Transaction<Database>;

/** The `users` row's role ids in id order, comma-separated ('' for none), optionally leaving one role out. */
export function roleList(dialect: Dialect, without: number | null = null): RawBuilder<string> {
  const except = without === null ? sql`` : sql`and r.role_id <> ${without}`;
  return dialect === 'postgres'
    ? sql<string>`coalesce((select string_agg(r.role_id::text, ',' order by r.role_id)
        from user_roles r where r.user_id = users.id ${except}), '')`
    : sql<string>`coalesce((select group_concat(role_id) from
        (select r.role_id from user_roles r where r.user_id = users.id ${except} order by r.role_id)), '')`;
}

/** Rewrites users.role_ids of these users from their role mappings. */
export async function syncRoleIds(db: Executor, dialect: Dialect, accountId: number, userIds: readonly number[]) {
  if (userIds.length === 0) return;
  await db
    .updateTable('users')
    .set({ role_ids: roleList(dialect, null) })
    .where('account_id', '=', accountId)
    .where(idIn(dialect, 'users.id', userIds))
    .execute();
}

/** Before a role is deleted (its mappings go with it): rewrites its holders' role_ids without it. */
export async function dropFromRoleIds(db: Executor, dialect: Dialect, accountId: number, roleId: number) {
  await db
    .updateTable('users')
    .set({ role_ids: roleList(dialect, roleId) })
    .where('account_id', '=', accountId)
    .where('id', 'in', (eb) => eb.selectFrom('user_roles').select('user_id').where('role_id', '=', roleId))
    .execute();
}

/** Parses users.role_ids. */
export const parseRoleIds = (value: string | null): number[] => (value ? value.split(',').map(Number) : []);
