// What every signed-in user does for themselves: their name, contact and language, their sessions, the history of
// their sign-ins, and the account setting that requires a second factor of admins.
import { createHash } from 'node:crypto';
import type { MeUpdate } from '../../shared/schemas.js';
import type { Dialect } from '../db/dialect.js';
import type { Db } from '../db/index.js';
import { notFound } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import type { SessionInfo } from './auth.js';
import { assertCurrentPassword } from './current-password.js';
import { withdrawLinks } from './links.js';
import { emitUserEvents, userChangeEvents } from './user-events.js';
import { auditSnapshot, derivedColumns, type UserRow } from './user-presenter.js';

/** The id the API shows for a session: derived from the stored hash, so it never names the cookie token. */
const publicId = (sessionId: string) =>
  createHash('sha256').update(`session-id:${sessionId}`).digest('hex').slice(0, 24);
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const SIGN_IN_ACTIONS = [
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.code_failed',
  'auth.locked',
  'auth.password_change',
  'auth.password_reset',
  'otp.configured',
  'otp.replaced',
  'otp.removed',
  'otp.reset',
  'otp.recovery_codes_regenerated',
];

export class MyAccount {
  /** Within the transaction that changed the email: the old address is told. */
  onEmailChanged: ((trx: Db, before: UserRow, after: UserRow) => Promise<unknown>) | null = null;
  afterMailQueued: (() => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly dialect: Dialect,
  ) {}

  async update(session: SessionInfo, input: MeUpdate, ip?: string | null) {
    const before = session.user;
    const changes: Partial<UserRow> = {};
    if (input.firstName !== undefined) changes.first_name = input.firstName;
    if (input.lastName !== undefined) changes.last_name = input.lastName;
    if (input.email !== undefined && (input.email ?? '') !== (before.email ?? '')) {
      // The address is where password resets go: a session alone (perhaps stolen) may not move it.
      if (before.auth_method === 'password') await assertCurrentPassword(this.db, before.id, input.currentPassword);
      changes.email = input.email;
      changes.email_verified = 0;
    }
    if (input.phone !== undefined) changes.phone = input.phone;
    if (input.timeZone !== undefined) changes.time_zone = input.timeZone;
    if (input.language !== undefined) changes.language = input.language;
    const actions = (JSON.parse(before.required_actions) as string[]).filter((a) => a !== input.complete);
    const merged = { ...before, ...changes } as UserRow;
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const updated = (await trx
        .updateTable('users')
        .set({ ...changes, ...derivedColumns(merged), required_actions: JSON.stringify(actions), updated_at: at })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow()) as UserRow;
      const was = auditSnapshot(before);
      const now = auditSnapshot(updated);
      const changed = Object.keys(now).filter((key) => JSON.stringify(was[key]) !== JSON.stringify(now[key]));
      await this.audit.record(trx, {
        accountId: session.account.id,
        actor: session.actor,
        action: 'user.self_update',
        target: { type: 'user', id: before.id, label: before.username },
        before: Object.fromEntries(changed.map((key) => [key, was[key]])),
        after: {
          ...Object.fromEntries(changed.map((key) => [key, now[key]])),
          ...(input.complete ? { completed: input.complete } : {}),
        },
        ip,
      });
      await emitUserEvents(trx, this.dialect, userChangeEvents(session.account.id, before, updated), at);
      if (before.email && updated.email !== before.email) await this.onEmailChanged?.(trx, before, updated);
      if (updated.email !== before.email) await withdrawLinks(trx, [before.id], at);
    });
    if (before.email && changes.email !== undefined) this.afterMailQueued?.();
  }

  async sessions(session: SessionInfo, token: string) {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['id', 'created_at', 'last_seen_at', 'ip', 'user_agent', 'method', 'expires_at'])
      .where('user_id', '=', session.user.id)
      .where('pending_step', 'is', null)
      .where('expires_at', '>', this.now().toISOString())
      .orderBy('last_seen_at', 'desc')
      .execute();
    const mine = sha256(token);
    return rows.map((row) => ({
      id: publicId(row.id),
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      ip: row.ip,
      userAgent: row.user_agent,
      method: row.method,
      current: row.id === mine,
    }));
  }

  /** Ends one of one's own sessions (another device), by the id the list shows. */
  async endSession(session: SessionInfo, id: string, ip?: string | null) {
    const rows = await this.db.selectFrom('sessions').select('id').where('user_id', '=', session.user.id).execute();
    const found = rows.find((row) => publicId(row.id) === id);
    if (!found) throw notFound('Session');
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sessions').where('id', '=', found.id).execute();
      await this.audit.record(trx, {
        accountId: session.account.id,
        actor: session.actor,
        action: 'auth.session_ended',
        target: { type: 'user', id: session.user.id, label: session.user.username },
        ip,
      });
    });
  }

  async endOtherSessions(session: SessionInfo, token: string, ip?: string | null) {
    await this.db.transaction().execute(async (trx) => {
      const ended = await trx
        .deleteFrom('sessions')
        .where('user_id', '=', session.user.id)
        .where('id', '!=', sha256(token))
        .executeTakeFirst();
      await this.audit.record(trx, {
        accountId: session.account.id,
        actor: session.actor,
        action: 'auth.sessions_ended',
        target: { type: 'user', id: session.user.id, label: session.user.username },
        after: { ended: Number(ended.numDeletedRows) },
        ip,
      });
    });
  }

  /** The last 50 sign-in and second-factor events about oneself. */
  async signIns(session: SessionInfo) {
    const rows = await this.db
      .selectFrom('audit_events')
      .select(['id', 'at', 'action', 'ip', 'after_json'])
      .where('account_id', '=', session.account.id)
      .where('target_type', '=', 'user')
      .where('target_id', '=', String(session.user.id))
      .where('action', 'in', SIGN_IN_ACTIONS)
      .orderBy('id', 'desc')
      .limit(50)
      .execute();
    return rows.map((row) => {
      const after = row.after_json ? (JSON.parse(row.after_json) as { method?: string }) : null;
      return { id: row.id, at: row.at, action: row.action, ip: row.ip, method: after?.method ?? null };
    });
  }

  async secondFactorSettings(actor: Actor) {
    authorize(actor, 'security.manage', 'account', { accountId: actor.accountId });
    const row = await this.db
      .selectFrom('account_security')
      .select('require_admin_otp')
      .where('account_id', '=', actor.accountId)
      .executeTakeFirst();
    return { requireAdminOtp: row?.require_admin_otp === 1 };
  }

  async setSecondFactorSettings(actor: Actor, requireAdminOtp: boolean, ip?: string | null) {
    const before = await this.secondFactorSettings(actor);
    const at = this.now().toISOString();
    const value = requireAdminOtp ? 1 : 0;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('account_security')
        .values({ account_id: actor.accountId, require_admin_otp: value, updated_at: at })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ require_admin_otp: value, updated_at: at }))
        .execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'security.second_factor_update',
        target: { type: 'account', id: actor.accountId, label: 'second factor' },
        before,
        after: { requireAdminOtp },
        ip,
      });
    });
    return { requireAdminOtp };
  }
}
