// Bulk actions on many users at once (selected by id, or everything a list filter matches): set-based SQL a chunk
// of users at a time, each chunk one transaction with its audit entries, and a per-user report of what was done
// and what was skipped and why.
import { sql, type Transaction } from 'kysely';
import { APPS, type AppKey } from '../../shared/access.js';
import type { BulkAction, BulkOutcome, BulkRequest } from '../../shared/bulk-schemas.js';
import { REQUIRED_ACTIONS, type RequiredAction } from '../../shared/constants.js';
import type { Dialect } from '../db/dialect.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { syncRoleIds } from '../db/user-facts.js';
import { AppError, validationFailed } from '../errors.js';
import { type Actor, canOnUser, outranks } from '../policy.js';
import type { AccessRoles } from './access.js';
import type { AuditLog } from './audit.js';
import { isCheckViolation } from './licenses.js';
import { withdrawLinks } from './links.js';
import type { MembershipOutcome, Teams } from './teams.js';
import { emitUserEvents, type UserEventInput } from './user-events.js';
import { auditSnapshot, isLocked, type UserRow, userSubject } from './user-presenter.js';
import { type RequestMeta, scopedDepartments, type UserDirectory } from './users.js';

type Trx = Transaction<Database>;

/** Users per transaction: big enough for set-based statements to pay off, small enough not to hold the writer long. */
export const BULK_CHUNK = 5000;
/** Audit rows per insert statement (11 values a row stays under SQLite's 32,766 parameters). */

export interface BulkTarget {
  id: number;
  username: string;
  row: UserRow;
}

/** What one chunk did: the users changed, and the users left alone with the reason. */
interface ChunkResult {
  done: BulkTarget[];
  skipped: [BulkTarget, string][];
}

export interface BulkReport {
  action: BulkAction;
  dryRun: boolean;
  /** Users in the selection that the caller may reach. */
  selected: number;
  done: number;
  skipped: number;
  failed: number;
  /** False when an error stopped the action midway (the chunks before it stay done). */
  completed: boolean;
  error: string | null;
  /** Per-user lines, grouped by outcome and reason: [id, username] pairs. */
  groups: { outcome: BulkOutcome; reason: string | null; users: [number, string][] }[];
}

/** A per-user audit entry of a bulk action (the same action names as the single-user routes). */
interface AuditLine {
  action: string;
  before?: unknown;
  after?: unknown;
}

export const SKIP = {
  notFound: 'no such user in your reach',
  owner: 'is the owner',
  self: 'is you',
  alreadyEnabled: 'already enabled',
  alreadyDisabled: 'already disabled',
  syncOn: 'synchronization already on',
  syncOff: 'synchronization already off',
  notLocked: 'not locked',
  hasRole: 'already has the role',
  lacksRole: 'does not have the role',
  licensed: 'already licensed',
  notLicensed: 'not licensed',
  noSeats: 'no seats left in the pool',
  noEmail: 'has no email address',
  signedIn: 'has signed in already',
  outranked: 'is an admin you may not manage',
  hasActions: 'already has these required actions',
  noActions: 'has no required actions',
} as const;

/** Actions the policy allows on any user in reach whatever their rank (user.unlock, user.teams). */
const RANKLESS = new Set<BulkAction>([
  'unlock',
  'assign_team',
  'unassign_team',
  'set_main_team',
  'assign_supervisor',
  'unassign_supervisor',
]);

/** A bulk action with its parameters checked, ready to run chunk by chunk. */
interface Prepared {
  /** Runs the action on one chunk of users (in reach, in id order) inside its transaction. */
  run(trx: Trx, targets: BulkTarget[]): Promise<ChunkResult>;
  /** The per-user audit entry of a user the action changed (null: the action writes its own). */
  audit(target: BulkTarget): AuditLine | null;
  /** What the summary audit entry says about the parameters. */
  params: Record<string, unknown>;
  /** The outbox event of a user the action changed (null: none, or the action writes its own). */
  event?: (target: BulkTarget) => Pick<UserEventInput, 'type' | 'change'> | null;
}

export class BulkActions {
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(
    handle: DatabaseHandle,
    private readonly users: UserDirectory,
    private readonly roles: AccessRoles,
    private readonly teams: Teams,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly chunkSize = BULK_CHUNK,
  ) {
    this.db = handle.db;
    this.dialect = handle.dialect;
  }

  async run(actor: Actor, request: BulkRequest, meta: RequestMeta = {}): Promise<BulkReport> {
    this.users.assertCanManage(actor);
    const prepared = await this.prepare(actor, request);
    const { ids, unknown } = await this.selection(actor, request);
    const report: BulkReport = {
      action: request.action,
      dryRun: request.dryRun === true,
      selected: ids.length,
      done: 0,
      skipped: 0,
      failed: 0,
      completed: true,
      error: null,
      groups: [],
    };
    if (request.dryRun) return report;

    const groups = new Map<string, BulkReport['groups'][number]>();
    const add = (outcome: BulkOutcome, reason: string | null, id: number, username: string) => {
      const key = `${outcome}\u0000${reason ?? ''}`;
      let group = groups.get(key);
      if (!group) {
        group = { outcome, reason, users: [] };
        groups.set(key, group);
      }
      group.users.push([id, username]);
      report[outcome]++;
    };
    for (const id of unknown) add('skipped', SKIP.notFound, id, '');

    const departments = scopedDepartments(actor);
    const at = this.now().toISOString();
    for (let start = 0; start < ids.length; start += this.chunkSize) {
      const chunk = ids.slice(start, start + this.chunkSize);
      try {
        const result = await this.db.transaction().execute(async (trx) => {
          let query = trx
            .selectFrom('users')
            .selectAll()
            .where('account_id', '=', actor.accountId)
            .where('id', 'in', chunk)
            .orderBy('id');
          if (departments) query = query.where('department', 'in', departments);
          if (this.dialect === 'postgres') query = query.forUpdate();
          const rows = (await query.execute()) as UserRow[];
          const found = new Set(rows.map((row) => row.id));
          // As on a user's page: an admin limited by a profile manages no other admin (unlocking and teams aside).
          const outranked = RANKLESS.has(request.action)
            ? []
            : rows.filter((row) => !outranks(actor, userSubject(row)));
          const targets = rows
            .filter((row) => !outranked.includes(row))
            .map((row) => ({ id: row.id, username: row.username, row }));
          const result = await prepared.run(trx, targets);
          for (const row of outranked)
            result.skipped.push([{ id: row.id, username: row.username, row }, SKIP.outranked]);
          const event = prepared.event;
          if (event) {
            const events = result.done.flatMap((t) => {
              const line = event(t);
              return line ? [{ accountId: actor.accountId, userId: t.id, ...line }] : [];
            });
            await emitUserEvents(trx, this.dialect, events, at);
          }
          await this.auditChunk(trx, actor, at, result.done, prepared, meta.ip);
          return { result, gone: chunk.filter((id) => !found.has(id)) };
        });
        for (const target of result.result.done) add('done', null, target.id, target.username);
        for (const [target, reason] of result.result.skipped) add('skipped', reason, target.id, target.username);
        // Deleted (or moved out of reach) since the selection was made.
        for (const id of result.gone) add('skipped', SKIP.notFound, id, '');
      } catch (error) {
        // The chunks before this one are committed; this one rolled back; the rest never ran.
        report.completed = false;
        report.error =
          error instanceof AppError
            ? error.message
            : 'The action stopped on a database error; nothing more was changed';
        if (!(error instanceof AppError)) console.error('[roster] bulk action failed:', (error as Error).message);
        for (const id of ids.slice(start)) add('failed', 'not processed: the action stopped on an error', id, '');
        break;
      }
      // Let other requests in between chunks (SQLite has one connection and one writer).
      await new Promise((resolve) => setImmediate(resolve));
    }
    report.groups = [...groups.values()];
    if (request.action === 'send_invitation' && report.done > 0) this.afterMailQueued?.();
    await this.audit.record(this.db, {
      accountId: actor.accountId,
      actor,
      action: 'users.bulk',
      target: { type: 'bulk', id: request.action, label: request.action },
      after: {
        action: request.action,
        ...prepared.params,
        selection: 'ids' in request.selection ? { ids: request.selection.ids.length } : request.selection,
        selected: report.selected,
        done: report.done,
        skipped: report.skipped,
        failed: report.failed,
        completed: report.completed,
      },
      ip: meta.ip,
    });
    return report;
  }

  /** The selected ids the caller may reach (in id order), and ids sent that are not among them. */
  private async selection(actor: Actor, request: BulkRequest): Promise<{ ids: number[]; unknown: number[] }> {
    if ('filter' in request.selection) {
      return { ids: await this.users.matchingIds(actor, request.selection.filter), unknown: [] };
    }
    const wanted = [...new Set(request.selection.ids)].sort((a, b) => a - b);
    const departments = scopedDepartments(actor);
    const reachable = new Set<number>();
    for (let start = 0; start < wanted.length; start += BULK_CHUNK) {
      let query = this.db
        .selectFrom('users')
        .select('id')
        .where('account_id', '=', actor.accountId)
        .where('id', 'in', wanted.slice(start, start + BULK_CHUNK));
      if (departments) query = query.where('department', 'in', departments);
      for (const row of await query.execute()) reachable.add(row.id);
    }
    return {
      ids: wanted.filter((id) => reachable.has(id)),
      unknown: wanted.filter((id) => !reachable.has(id)),
    };
  }

  /** Writes invitation mails for these users inside the chunk's transaction (the per-user audit is the bulk's). */
  invite: ((trx: Trx, actor: Actor, users: UserRow[]) => Promise<unknown>) | null = null;
  /** Called once a bulk action that may have queued mail is over. */
  afterMailQueued: (() => void) | null = null;

  private async prepare(actor: Actor, request: BulkRequest): Promise<Prepared> {
    const at = () => this.now().toISOString();
    const ids = (targets: BulkTarget[]) => targets.map((t) => t.id);
    /** Splits targets into those to change and those skipped with the first reason that applies. */
    const triage = (targets: BulkTarget[], reasonOf: (t: BulkTarget) => string | null) => {
      const result: ChunkResult = { done: [], skipped: [] };
      for (const target of targets) {
        const reason = reasonOf(target);
        if (reason) result.skipped.push([target, reason]);
        else result.done.push(target);
      }
      return result;
    };
    const ownerOrSelf = (t: BulkTarget) =>
      t.row.is_owner === 1 && !actor.isOwner ? SKIP.owner : t.id === actor.userId ? SKIP.self : null;
    /** Only the owner changes the owner (as on a user's page). */
    const ownerByOther = (t: BulkTarget) => (t.row.is_owner === 1 && t.id !== actor.userId ? SKIP.owner : null);
    const setColumns = async (trx: Trx, done: BulkTarget[], values: Record<string, number | null | string>) => {
      if (done.length === 0) return;
      await trx
        .updateTable('users')
        .set({ ...values, updated_at: at() })
        .where('account_id', '=', actor.accountId)
        .where('id', 'in', ids(done))
        .execute();
    };

    switch (request.action) {
      case 'assign_team':
      case 'unassign_team':
      case 'set_main_team':
      case 'assign_supervisor':
      case 'unassign_supervisor': {
        const groupId = request.groupId as number;
        // Checked once up front (an unknown team is a bad request, not a per-user skip).
        const group = await this.teams.groupWithin(this.db, actor.accountId, groupId);
        const operation = {
          assign_team: this.teams.assignTeamWithin,
          unassign_team: this.teams.unassignTeamWithin,
          set_main_team: this.teams.setMainTeamWithin,
          assign_supervisor: this.teams.assignSupervisorWithin,
          unassign_supervisor: this.teams.unassignSupervisorWithin,
        }[request.action].bind(this.teams);
        return {
          params: { groupId, team: group.name },
          // The team service writes one audit entry per changed user itself.
          audit: () => null,
          run: async (trx, targets) => {
            const result: ChunkResult = { done: [], skipped: [] };
            if (targets.length === 0) return result;
            const outcomes: Map<number, MembershipOutcome> = await operation(
              trx,
              actor,
              actor.accountId,
              ids(targets),
              groupId,
            );
            for (const target of targets) {
              const outcome = outcomes.get(target.id);
              if (outcome?.status === 'done') result.done.push(target);
              else result.skipped.push([target, outcome?.reason ?? SKIP.notFound]);
            }
            return result;
          },
        };
      }
      case 'enable':
      case 'disable': {
        const enable = request.action === 'enable';
        return {
          params: {},
          audit: () => ({ action: 'user.update', before: { enabled: !enable }, after: { enabled: enable } }),
          event: () => ({
            type: enable ? 'user.enabled' : 'user.disabled',
            change: { before: { enabled: !enable }, after: { enabled: enable } },
          }),
          run: async (trx, targets) => {
            const result = triage(targets, (t) => {
              if (!enable) {
                if (!canOnUser(actor, 'user.disable', userSubject(t.row))) {
                  return t.row.is_owner === 1 ? SKIP.owner : SKIP.self;
                }
              } else if (ownerByOther(t)) return SKIP.owner;
              if (enable && t.row.enabled === 1) return SKIP.alreadyEnabled;
              if (!enable && t.row.enabled === 0) return SKIP.alreadyDisabled;
              return null;
            });
            await setColumns(trx, result.done, { enabled: enable ? 1 : 0 });
            // A disabled user's sessions end at once.
            if (!enable && result.done.length > 0) {
              await trx.deleteFrom('sessions').where('user_id', 'in', ids(result.done)).execute();
              await withdrawLinks(trx, ids(result.done), at());
            }
            return result;
          },
        };
      }
      case 'enable_sync':
      case 'disable_sync': {
        const on = request.action === 'enable_sync';
        return {
          params: {},
          audit: () => ({ action: 'user.update', before: { syncEnabled: !on }, after: { syncEnabled: on } }),
          event: () => ({ type: 'user.updated', change: { before: { syncEnabled: !on }, after: { syncEnabled: on } } }),
          run: async (trx, targets) => {
            const result = triage(
              targets,
              (t) => ownerByOther(t) ?? ((t.row.sync_enabled === 1) === on ? (on ? SKIP.syncOn : SKIP.syncOff) : null),
            );
            await setColumns(trx, result.done, { sync_enabled: on ? 1 : 0 });
            return result;
          },
        };
      }
      case 'unlock':
        return {
          params: {},
          audit: (t) => ({ action: 'user.unlock', before: { lockedUntil: t.row.locked_until } }),
          run: async (trx, targets) => {
            const now = this.now();
            // Any admin in reach may release a locked-out owner (the policy's user.unlock).
            const result = triage(targets, (t) => (isLocked(t.row, now) ? null : SKIP.notLocked));
            if (result.done.length > 0) {
              await trx
                .updateTable('users')
                .set({ failed_sign_ins: 0, locked_until: null })
                .where('account_id', '=', actor.accountId)
                .where('id', 'in', ids(result.done))
                .execute();
            }
            return result;
          },
        };
      case 'send_invitation':
        return {
          params: {},
          audit: (t) => ({ action: 'user.invitation_sent', after: { to: t.row.email } }),
          run: async (trx, targets) => {
            const result = triage(
              targets,
              (t) => ownerByOther(t) ?? (t.row.status === 'active' ? SKIP.signedIn : t.row.email ? null : SKIP.noEmail),
            );
            if (result.done.length > 0 && this.invite) {
              await this.invite(
                trx,
                actor,
                result.done.map((t) => t.row),
              );
            }
            return result;
          },
        };
      case 'add_required_actions': {
        const wanted = request.requiredActions ?? [];
        /** The user's actions with the wanted ones added, in the order they are done (single sign-on users have no
         * Roster password or code to set). */
        const merged = (row: UserRow) => {
          const has = JSON.parse(row.required_actions) as RequiredAction[];
          const add = wanted.filter(
            (a) => row.auth_method !== 'sso' || (a !== 'update_password' && a !== 'configure_otp'),
          );
          return REQUIRED_ACTIONS.filter((a) => has.includes(a) || add.includes(a));
        };
        const before = (t: BulkTarget) => JSON.parse(t.row.required_actions) as RequiredAction[];
        return {
          params: { requiredActions: wanted },
          audit: (t) => ({
            action: 'user.update',
            before: { requiredActions: before(t) },
            after: { requiredActions: merged(t.row) },
          }),
          event: (t) => ({
            type: 'user.updated',
            change: { before: { requiredActions: before(t) }, after: { requiredActions: merged(t.row) } },
          }),
          run: async (trx, targets) => {
            const result = triage(
              targets,
              (t) => ownerByOther(t) ?? (merged(t.row).length === before(t).length ? SKIP.hasActions : null),
            );
            // One statement per resulting list (there are few distinct ones).
            const byList = new Map<string, BulkTarget[]>();
            for (const t of result.done) {
              const list = JSON.stringify(merged(t.row));
              const group = byList.get(list);
              if (group) group.push(t);
              else byList.set(list, [t]);
            }
            for (const [list, done] of byList) await setColumns(trx, done, { required_actions: list });
            return result;
          },
        };
      }
      case 'clear_required_actions':
        return {
          params: {},
          audit: (t) => ({
            action: 'user.update',
            before: { requiredActions: JSON.parse(t.row.required_actions) },
            after: { requiredActions: [] },
          }),
          event: (t) => ({
            type: 'user.updated',
            change: { before: { requiredActions: JSON.parse(t.row.required_actions) }, after: { requiredActions: [] } },
          }),
          run: async (trx, targets) => {
            const result = triage(
              targets,
              (t) => ownerByOther(t) ?? (JSON.parse(t.row.required_actions).length === 0 ? SKIP.noActions : null),
            );
            await setColumns(trx, result.done, { required_actions: '[]' });
            return result;
          },
        };
      case 'delete':
        return {
          params: {},
          audit: (t) => ({ action: 'user.delete', before: auditSnapshot(t.row) }),
          run: async (trx, targets) => {
            const result = triage(targets, (t) => (t.row.is_owner === 1 ? SKIP.owner : ownerOrSelf(t)));
            if (result.done.length > 0) {
              // Written first: the events carry the users as they were.
              const events = result.done.map((t) => ({
                accountId: actor.accountId,
                userId: t.id,
                type: 'user.deleted' as const,
              }));
              await emitUserEvents(trx, this.dialect, events, at());
              await trx
                .deleteFrom('users')
                .where('account_id', '=', actor.accountId)
                .where('id', 'in', ids(result.done))
                .execute();
            }
            return result;
          },
        };
      case 'assign_role':
      case 'unassign_role': {
        const roleId = request.roleId as number;
        const assign = request.action === 'assign_role';
        // Giving checks the role may be given; taking only needs it to exist in the account.
        const role = assign
          ? await this.roles.assignableRole(actor.accountId, roleId)
          : (await this.roles.catalog(actor.accountId)).roles.get(roleId);
        if (!role) throw validationFailed([{ path: 'roleId', message: `Role ${roleId} does not exist` }]);
        return {
          params: { role: role.key },
          audit: () =>
            assign
              ? { action: 'user.roles.assign', after: { roles: [role.key] } }
              : { action: 'user.roles.unassign', before: { roles: [role.key] } },
          event: () => ({
            type: 'user.roles_changed',
            change: assign ? { assigned: [role.key] } : { unassigned: [role.key] },
          }),
          run: async (trx, targets) => {
            const holders = new Set(
              targets.length === 0
                ? []
                : (
                    await trx
                      .selectFrom('user_roles')
                      .select('user_id')
                      .where('role_id', '=', roleId)
                      .where('user_id', 'in', ids(targets))
                      .execute()
                  ).map((row) => row.user_id),
            );
            const result = triage(targets, (t) =>
              assign ? (holders.has(t.id) ? SKIP.hasRole : null) : holders.has(t.id) ? null : SKIP.lacksRole,
            );
            if (result.done.length === 0) return result;
            if (assign) {
              const created = at();
              await trx
                .insertInto('user_roles')
                .values(
                  result.done.map((t) => ({
                    account_id: actor.accountId,
                    user_id: t.id,
                    role_id: roleId,
                    created_at: created,
                  })),
                )
                .onConflict((oc) => oc.doNothing())
                .execute();
            } else {
              await trx
                .deleteFrom('user_roles')
                .where('account_id', '=', actor.accountId)
                .where('role_id', '=', roleId)
                .where('user_id', 'in', ids(result.done))
                .execute();
            }
            await syncRoleIds(trx, this.dialect, actor.accountId, ids(result.done));
            return result;
          },
        };
      }
      case 'assign_license':
      case 'revoke_license': {
        const app = request.application as AppKey;
        const assign = request.action === 'assign_license';
        return {
          params: { application: app },
          audit: () =>
            assign
              ? { action: 'user.license.grant', after: { license: app } }
              : { action: 'user.license.revoke', before: { license: app } },
          event: () => ({ type: assign ? 'license.granted' : 'license.revoked', change: { license: app } }),
          run: async (trx, targets) => {
            const holders = new Set(
              targets.length === 0
                ? []
                : (
                    await trx
                      .selectFrom('user_licenses')
                      .select('user_id')
                      .where('app', '=', app)
                      .where('user_id', 'in', ids(targets))
                      .execute()
                  ).map((row) => row.user_id),
            );
            const result = triage(targets, (t) =>
              assign ? (holders.has(t.id) ? SKIP.licensed : null) : holders.has(t.id) ? null : SKIP.notLicensed,
            );
            if (assign && result.done.length > 0) {
              // Under a seats pool, the first users (in id order) take the seats left; the others are skipped.
              let pool = trx
                .selectFrom('license_pools')
                .select(['kind', 'size', 'used'])
                .where('account_id', '=', actor.accountId)
                .where('app', '=', app);
              if (this.dialect === 'postgres') pool = pool.forUpdate();
              const seats = await pool.executeTakeFirst();
              if (seats && seats.kind === 'seats') {
                const left = Math.max(0, seats.size - seats.used);
                for (const target of result.done.splice(left)) result.skipped.push([target, SKIP.noSeats]);
              }
            }
            if (result.done.length === 0) return result;
            if (assign) {
              const granted = at();
              await trx
                .insertInto('user_licenses')
                .values(
                  result.done.map((t) => ({ account_id: actor.accountId, user_id: t.id, app, granted_at: granted })),
                )
                .execute()
                .catch((error: unknown) => {
                  throw isCheckViolation(error)
                    ? new AppError(409, 'LicensePoolExhausted', `The ${APPS[app].license} pool ran out of seats`)
                    : error;
                });
            } else {
              await trx
                .deleteFrom('user_licenses')
                .where('account_id', '=', actor.accountId)
                .where('app', '=', app)
                .where('user_id', 'in', ids(result.done))
                .execute();
            }
            await this.syncLicenseColumn(trx, actor.accountId, ids(result.done));
            return result;
          },
        };
      }
    }
  }

  /** Rewrites users.license_apps (the list's license column) from user_licenses, for many users in one statement. */
  private async syncLicenseColumn(trx: Trx, accountId: number, userIds: number[]) {
    const apps =
      this.dialect === 'postgres'
        ? sql<string>`coalesce((select '[' || string_agg('"' || ul.app || '"', ',' order by ul.app) || ']'
            from user_licenses ul where ul.user_id = users.id), '[]')`
        : sql<string>`(select json_group_array(app) from
            (select ul.app from user_licenses ul where ul.user_id = users.id order by ul.app))`;
    await trx
      .updateTable('users')
      .set({ license_apps: apps })
      .where('account_id', '=', accountId)
      .where('id', 'in', userIds)
      .execute();
  }

  /** One audit entry per changed user, written in the chunk's transaction a few thousand rows per statement. */
  private async auditChunk(
    trx: Trx,
    actor: Actor,
    at: string,
    done: BulkTarget[],
    prepared: Prepared,
    ip?: string | null,
  ) {
    const entries = done.flatMap((target) => {
      const line = prepared.audit(target);
      if (!line) return [];
      return {
        accountId: actor.accountId,
        actor,
        action: line.action,
        target: { type: 'user', id: target.id, label: target.username },
        before: line.before,
        after: { ...((line.after as object | undefined) ?? {}), bulk: true },
        ip,
      };
    });
    await this.audit.recordMany(trx, entries, at);
  }
}
