// Filters an admin saves on the user list; at most one is their default view.
import type { UserSort } from '../../shared/constants.js';
import type { SavedFilterBody } from '../../shared/responses/users.js';
import type { SavedFilterCreate } from '../../shared/schemas.js';
import type { Db } from '../db/index.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import { assertGroupOfAccount, isUniqueViolation } from './users.js';

interface SavedFilterRow {
  id: number;
  name: string;
  params_json: string;
  is_default: number;
  created_at: string;
}

function present(row: SavedFilterRow) {
  const params = JSON.parse(row.params_json) as {
    filter: SavedFilterBody;
    sort?: UserSort;
    order?: 'asc' | 'desc';
  };
  return {
    id: row.id,
    name: row.name,
    filter: params.filter,
    sort: params.sort ?? null,
    order: params.order ?? null,
    isDefault: row.is_default === 1,
    createdAt: row.created_at,
  };
}

export class SavedFilters {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  async list(actor: Actor) {
    assertCanKeepFilters(actor);
    const rows = await this.db
      .selectFrom('saved_filters')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('user_id', '=', actor.userId)
      .orderBy('name')
      .execute();
    return rows.map(present);
  }

  async create(actor: Actor, input: SavedFilterCreate) {
    assertCanKeepFilters(actor);
    if (input.filter.groupId !== undefined) {
      await assertGroupOfAccount(this.db, actor.accountId, input.filter.groupId, 'filter.groupId');
    }
    const params = JSON.stringify({ filter: input.filter, sort: input.sort, order: input.order });
    const row = await this.db.transaction().execute(async (trx) => {
      if (input.isDefault) await this.clearDefault(trx, actor);
      const created = await trx
        .insertInto('saved_filters')
        .values({
          account_id: actor.accountId,
          user_id: actor.userId,
          name: input.name,
          params_json: params,
          is_default: input.isDefault ? 1 : 0,
          created_at: this.now().toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((error: unknown) => {
          throw isUniqueViolation(error)
            ? conflict('FilterNameTaken', `You already have a filter named ${input.name}`, [
                { path: 'name', message: 'You already have a filter with this name' },
              ])
            : error;
        });
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'saved_filter.create',
        target: { type: 'saved_filter', id: created.id, label: created.name },
        after: present(created),
      });
      return created;
    });
    return present(row);
  }

  async setDefault(actor: Actor, id: number, isDefault: boolean) {
    assertCanKeepFilters(actor);
    const row = await this.db.transaction().execute(async (trx) => {
      const found = await this.find(trx, actor, id);
      if (isDefault) await this.clearDefault(trx, actor);
      return trx
        .updateTable('saved_filters')
        .set({ is_default: isDefault ? 1 : 0 })
        .where('id', '=', found.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return present(row);
  }

  async remove(actor: Actor, id: number) {
    assertCanKeepFilters(actor);
    await this.db.transaction().execute(async (trx) => {
      const found = await this.find(trx, actor, id);
      await trx.deleteFrom('saved_filters').where('id', '=', found.id).execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'saved_filter.delete',
        target: { type: 'saved_filter', id, label: found.name },
        before: present(found),
      });
    });
  }

  private async find(trx: Db, actor: Actor, id: number) {
    const row = await trx
      .selectFrom('saved_filters')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', actor.accountId)
      .where('user_id', '=', actor.userId)
      .executeTakeFirst();
    if (!row) throw notFound('Saved filter');
    return row;
  }

  private async clearDefault(trx: Db, actor: Actor) {
    await trx
      .updateTable('saved_filters')
      .set({ is_default: 0 })
      .where('user_id', '=', actor.userId)
      .where('account_id', '=', actor.accountId)
      .execute();
  }
}

/** Saved filters belong to the user list, so they need the right to manage users (as the list does). */
function assertCanKeepFilters(actor: Actor) {
  authorize(actor, 'users.manage', 'account', { accountId: actor.accountId }, () =>
    forbidden(actor.accessType === 'admin' ? 'Your profile does not allow managing users' : 'Only admins manage users'),
  );
}
