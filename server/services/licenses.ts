// Licenses per user and application, and the account's pools: seats per application, or Voice Analytics minutes
// shared by all users. Under a pool new users are licensed by default; the database refuses any oversubscription.

import { sql, type Transaction } from 'kysely';
import { APP_KEYS, APPS, type AppKey, type PoolKind } from '../../shared/access.js';
import type { Dialect } from '../db/dialect.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { accountUserCount } from '../db/user-index.js';
import { AppError, conflict, forbidden, notFound } from '../errors.js';
import { type Actor, authorize, canOnAccount, type KeyActor, userAccessAbilities } from '../policy.js';
import type { AuditLog } from './audit.js';
import { emitUserEvents } from './user-events.js';
import { findManagedUser, findVisibleUser } from './user-lookup.js';
import type { RequestMeta } from './users.js';

type Trx = Transaction<Database>;

export function isCheckViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23514' || code === 'SQLITE_CONSTRAINT_CHECK';
}

const poolExhausted = (app: AppKey) =>
  conflict(
    'LicensePoolExhausted',
    APPS[app].pool === 'minutes'
      ? `The ${APPS[app].license} pool has not enough minutes left`
      : `Every ${APPS[app].license} seat of the pool is taken: revoke a license or enlarge the pool`,
    [{ path: 'application', message: 'No license left in the pool' }],
  );

/** The licensed applications as the User object shows them. */
export function presentLicenses(licenseApps: string): { app: string; name: string }[] {
  const apps = JSON.parse(licenseApps || '[]') as string[];
  return APP_KEYS.filter((key) => apps.includes(key)).map((key) => ({ app: key, name: APPS[key].license }));
}

export class Licenses {
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(
    handle: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
  }

  private assertCanManage(actor: Actor) {
    authorize(actor, 'access.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins manage licenses'),
    );
  }

  /** Each application's pool (if any), seats or minutes used, and how many users hold its license. */
  async overview(actor: Actor) {
    this.assertCanManage(actor);
    const pools = await this.db
      .selectFrom('license_pools')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .execute();
    const counts = await this.db
      .selectFrom('user_licenses')
      .select(['app', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', actor.accountId)
      .groupBy('app')
      .execute();
    const users = await accountUserCount(this.db, actor.accountId);
    const manage = canOnAccount(actor, 'access.manage', actor.accountId);
    return {
      users,
      applications: APP_KEYS.map((key) => {
        const pool = pools.find((p) => p.app === key);
        return {
          application: key,
          name: APPS[key].name,
          license: APPS[key].license,
          kind: APPS[key].pool,
          licensedUsers: Number(counts.find((c) => c.app === key)?.n ?? 0),
          pool: pool
            ? {
                size: pool.size,
                used: pool.used,
                licensedByDefault: pool.licensed_by_default === 1,
                updatedAt: pool.updated_at,
              }
            : null,
          can: { updatePool: manage },
        };
      }),
    };
  }

  /**
   * Creates or resizes an application's pool. A seats pool counts the licenses already given and cannot be smaller;
   * a minutes pool cannot shrink below the minutes already used.
   */
  async setPool(
    actor: Actor,
    app: AppKey,
    input: { size: number; licensedByDefault?: boolean },
    meta: RequestMeta = {},
  ) {
    this.assertCanManage(actor);
    const kind = APPS[app].pool;
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      let existing = trx
        .selectFrom('license_pools')
        .selectAll()
        .where('account_id', '=', actor.accountId)
        .where('app', '=', app);
      if (this.dialect === 'postgres') existing = existing.forUpdate();
      const before = await existing.executeTakeFirst();
      const used =
        before?.used ??
        (kind === 'seats'
          ? Number(
              (
                await trx
                  .selectFrom('user_licenses')
                  .select((eb) => eb.fn.countAll<number>().as('n'))
                  .where('account_id', '=', actor.accountId)
                  .where('app', '=', app)
                  .executeTakeFirstOrThrow()
              ).n,
            )
          : 0);
      if (input.size < used) {
        const what = kind === 'seats' ? `${used} users hold this license` : `${used} minutes are already used`;
        throw new AppError(409, 'PoolBelowUse', `The pool cannot be smaller than what is in use: ${what}`, [
          { path: 'size', message: `At least ${used}` },
        ]);
      }
      const licensedByDefault = input.licensedByDefault ?? (before ? before.licensed_by_default === 1 : true);
      if (before) {
        await trx
          .updateTable('license_pools')
          .set({ size: input.size, licensed_by_default: licensedByDefault ? 1 : 0, updated_at: at })
          .where('account_id', '=', actor.accountId)
          .where('app', '=', app)
          .execute()
          .catch((error: unknown) => {
            throw isCheckViolation(error) ? poolExhausted(app) : error;
          });
      } else {
        await trx
          .insertInto('license_pools')
          .values({
            account_id: actor.accountId,
            app,
            kind,
            size: input.size,
            used,
            licensed_by_default: licensedByDefault ? 1 : 0,
            updated_at: at,
          })
          .execute();
      }
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: before ? 'license_pool.update' : 'license_pool.create',
        target: { type: 'license_pool', id: app, label: APPS[app].license },
        before: before ? { size: before.size, licensedByDefault: before.licensed_by_default === 1 } : null,
        after: { kind, size: input.size, licensedByDefault },
        ip: meta.ip,
      });
    });
    return (await this.overview(actor)).applications.find((a) => a.application === app);
  }

  async removePool(actor: Actor, app: AppKey, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const before = await trx
        .deleteFrom('license_pools')
        .where('account_id', '=', actor.accountId)
        .where('app', '=', app)
        .returningAll()
        .executeTakeFirst();
      if (!before) throw notFound('License pool');
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'license_pool.delete',
        target: { type: 'license_pool', id: app, label: APPS[app].license },
        before: { size: before.size, used: before.used },
        ip: meta.ip,
      });
    });
  }

  /** A user's license for every application, with the pool it draws from. */
  async forUser(actor: Actor, userId: number) {
    const user = await this.findUser(this.db, actor, userId);
    const [licenses, pools, settings] = await Promise.all([
      this.db.selectFrom('user_licenses').selectAll().where('user_id', '=', userId).execute(),
      this.db.selectFrom('license_pools').selectAll().where('account_id', '=', actor.accountId).execute(),
      this.db
        .selectFrom('user_app_settings')
        .select('analysis_enabled')
        .where('user_id', '=', userId)
        .executeTakeFirst(),
    ]);
    return {
      applications: APP_KEYS.map((key) => {
        const license = licenses.find((l) => l.app === key);
        const pool = pools.find((p) => p.app === key);
        return {
          application: key,
          name: APPS[key].name,
          license: APPS[key].license,
          licensed: !!license,
          grantedAt: license?.granted_at ?? null,
          pool: pool ? { kind: pool.kind as PoolKind, size: pool.size, used: pool.used } : null,
        };
      }),
      analysisEnabled: (settings?.analysis_enabled ?? 1) === 1,
      can: userAccessAbilities(actor, {
        id: user.id,
        accountId: actor.accountId,
        isOwner: user.is_owner === 1,
        isAdmin: user.access_type === 'admin',
        department: user.department,
      }),
    };
  }

  async grant(actor: Actor, userId: number, app: AppKey, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const user = await findManagedUser(trx, actor, userId, 'user.access', this.dialect === 'postgres');
      if (await this.grantWithin(trx, actor, user, app, { license: app }, meta.ip)) {
        const granted = {
          accountId: actor.accountId,
          userId,
          type: 'license.granted' as const,
          change: { license: app },
        };
        await emitUserEvents(trx, this.dialect, [granted], this.now().toISOString());
      }
    });
    return this.forUser(actor, userId);
  }

  async revoke(actor: Actor, userId: number, app: AppKey, meta: RequestMeta = {}) {
    this.assertCanManage(actor);
    await this.db.transaction().execute(async (trx) => {
      const user = await findManagedUser(trx, actor, userId, 'user.access', this.dialect === 'postgres');
      await this.revokeWithin(trx, actor, user, app, meta.ip);
    });
    return this.forUser(actor, userId);
  }

  /**
   * Gives the user exactly these licenses, inside the caller's transaction (provisioning sets them with the rest of
   * the user): the missing ones are granted from their pools, the others revoked. A full pool refuses the grant
   * (and so the whole change). `creating`: the user is being created, and user.created (written after, with the
   * licenses in its snapshot) tells of them: no license.granted comes before the user's first event.
   */
  async setWithin(
    trx: Trx,
    actor: Actor,
    userId: number,
    apps: readonly AppKey[],
    ip?: string | null,
    { creating = false } = {},
  ) {
    const user = await findManagedUser(trx, actor, userId, 'user.access', this.dialect === 'postgres');
    const held = await trx.selectFrom('user_licenses').select('app').where('user_id', '=', userId).execute();
    const had = new Set(held.map((h) => h.app));
    for (const app of held.map((h) => h.app as AppKey).filter((a) => !apps.includes(a))) {
      await this.revokeWithin(trx, actor, user, app, ip);
    }
    for (const app of apps.filter((a) => !had.has(a))) {
      if ((await this.grantWithin(trx, actor, user, app, { license: app }, ip)) && !creating) {
        const granted = {
          accountId: actor.accountId,
          userId,
          type: 'license.granted' as const,
          change: { license: app },
        };
        await emitUserEvents(trx, this.dialect, [granted], this.now().toISOString());
      }
    }
  }

  private async revokeWithin(
    trx: Trx,
    actor: Actor,
    user: { id: number; username: string },
    app: AppKey,
    ip?: string | null,
  ) {
    const removed = await trx
      .deleteFrom('user_licenses')
      .where('account_id', '=', actor.accountId)
      .where('user_id', '=', user.id)
      .where('app', '=', app)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) return;
    await this.syncUserColumn(trx, user.id);
    await this.audit.record(trx, {
      accountId: actor.accountId,
      actor,
      action: 'user.license.revoke',
      target: { type: 'user', id: user.id, label: user.username },
      before: { license: app },
      ip,
    });
    const revoked = {
      accountId: actor.accountId,
      userId: user.id,
      type: 'license.revoked' as const,
      change: { license: app },
    };
    await emitUserEvents(trx, this.dialect, [revoked], this.now().toISOString());
  }

  /**
   * Gives new users the account's default licenses while seats last, reading each account's pools once (locked on
   * PostgreSQL until commit, so concurrent creates cannot oversell a pool); answers the ids of the users granted any.
   */
  async grantDefaultsWithin(
    trx: Trx,
    created: readonly { actor: Actor; user: { id: number; username: string } }[],
  ): Promise<Set<number>> {
    const granted = new Set<number>();
    const byAccount = new Map<number, (typeof created)[number][]>();
    for (const entry of created) {
      const list = byAccount.get(entry.actor.accountId);
      if (list) list.push(entry);
      else byAccount.set(entry.actor.accountId, [entry]);
    }
    for (const [accountId, entries] of byAccount) {
      let query = trx
        .selectFrom('license_pools')
        .select(['app', 'kind', 'size', 'used'])
        .where('account_id', '=', accountId)
        .where('licensed_by_default', '=', 1)
        .orderBy('app');
      if (this.dialect === 'postgres') query = query.forUpdate();
      for (const pool of await query.execute()) {
        const app = pool.app as AppKey;
        let used = pool.used;
        for (const { actor, user } of entries) {
          if (pool.kind === 'seats' && used >= pool.size) break;
          if (await this.grantWithin(trx, actor, user, app, { license: app, byDefault: true })) {
            granted.add(user.id);
            used++;
          }
        }
      }
    }
    return granted;
  }

  /** Takes a seat for the user and records the grant; false when the user already had the license. */
  private async grantWithin(
    trx: Trx,
    actor: Actor,
    user: { id: number; username: string },
    app: AppKey,
    after: Record<string, unknown>,
    ip?: string | null,
  ): Promise<boolean> {
    if (!(await this.take(trx, actor.accountId, user.id, app))) return false;
    await this.audit.record(trx, {
      accountId: actor.accountId,
      actor,
      action: 'user.license.grant',
      target: { type: 'user', id: user.id, label: user.username },
      after,
      ip,
    });
    return true;
  }

  /** Voice Analytics reports minutes it transcribed and analyzed for a user; the pool refuses what it cannot hold. */
  async consumeMinutes(caller: Actor | KeyActor, accountId: number, userId: number, minutes: number) {
    authorize(caller, 'usage.report', 'account', { accountId });
    return this.db.transaction().execute(async (trx) => {
      const licensed = await trx
        .selectFrom('user_licenses')
        .select('user_id')
        .where('account_id', '=', accountId)
        .where('user_id', '=', userId)
        .where('app', '=', 'voice_analytics')
        .executeTakeFirst();
      if (!licensed)
        throw conflict('NotLicensed', 'The user has no Voice Analytics license', [
          { path: 'userId', message: 'Not licensed' },
        ]);
      const updated = await trx
        .updateTable('license_pools')
        .set({ used: sql`used + ${minutes}`, updated_at: this.now().toISOString() })
        .where('account_id', '=', accountId)
        .where('app', '=', 'voice_analytics')
        .returning(['size', 'used'])
        .executeTakeFirst()
        .catch((error: unknown) => {
          throw isCheckViolation(error) ? poolExhausted('voice_analytics') : error;
        });
      if (!updated) throw notFound('Voice Analytics minutes pool');
      return { size: updated.size, used: updated.used, left: updated.size - updated.used };
    });
  }

  /** Inserts a license (the seat trigger and the pool's check refuse it when the pool is full); false if held. */
  private async take(trx: Trx, accountId: number, userId: number, app: AppKey): Promise<boolean> {
    const inserted = await trx
      .insertInto('user_licenses')
      .values({ account_id: accountId, user_id: userId, app, granted_at: this.now().toISOString() })
      .onConflict((oc) => oc.columns(['user_id', 'app']).doNothing())
      .executeTakeFirst()
      .catch((error: unknown) => {
        throw isCheckViolation(error) ? poolExhausted(app) : error;
      });
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await this.syncUserColumn(trx, userId);
    return true;
  }

  /** Rewrites the user's license_apps column from user_licenses (the user row is locked by findUser on PostgreSQL). */
  private async syncUserColumn(trx: Trx, userId: number) {
    const apps = await trx
      .selectFrom('user_licenses')
      .select('app')
      .where('user_id', '=', userId)
      .orderBy('app')
      .execute();
    await trx
      .updateTable('users')
      .set({ license_apps: JSON.stringify(apps.map((row) => row.app)) })
      .where('id', '=', userId)
      .execute();
  }

  /** The user, if the actor may see them; `lock` holds the user row until commit so license edits serialize. */
  private findUser(executor: Db | Trx, actor: Actor, userId: number, lock = false) {
    return findVisibleUser(executor, actor, userId, lock && this.dialect === 'postgres');
  }
}
