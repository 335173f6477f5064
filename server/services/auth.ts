// Password sign-in, console sessions (cookie token + CSRF token) and password changes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequiredAction } from '../../shared/constants.js';
import type { Db } from '../db/index.js';
import { writerHeld } from '../db/write-lock.js';
import { AppError, unauthenticated } from '../errors.js';
import type { Actor } from '../policy.js';
import type { AuditLog } from './audit.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { actorProfile } from './profiles.js';
import { isLocked, type UserRow } from './user-presenter.js';
import { assertPolicy } from './users.js';

const SESSION_HOURS = 12;
const TOUCH_EVERY_MS = 60_000;

export interface SessionInfo {
  actor: Actor;
  user: UserRow;
  account: { id: number; slug: string; name: string };
  csrfToken: string;
  requiredActions: RequiredAction[];
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const invalidCredentials = () => new AppError(401, 'InvalidCredentials', 'Wrong account, username or password');

/** A lock lasting "until an admin unlocks" is stored as this far-off moment. */
export const LOCKED_UNTIL_UNLOCKED = '9999-12-31T00:00:00.000Z';

export interface LockoutPolicy {
  /** Failed password sign-ins in a row that lock the user. */
  attempts: number;
  /** How long the lock lasts; 0 = until an admin unlocks. */
  minutes: number;
}

const userLocked = (policy: LockoutPolicy) =>
  new AppError(
    403,
    'UserLocked',
    policy.minutes === 0
      ? 'This user is locked after too many failed sign-ins: ask an admin to unlock it'
      : 'This user is locked after too many failed sign-ins: try again later or ask an admin to unlock it',
  );

export class Auth {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly lockout: LockoutPolicy = { attempts: 5, minutes: 15 },
  ) {}

  /** Checks the password and opens a session; returns the cookie token, shown to no one else. */
  async signIn(
    accountSlug: string,
    username: string,
    password: string,
    meta: { ip?: string | null; userAgent?: string | null },
  ) {
    const account = await this.db.selectFrom('accounts').selectAll().where('slug', '=', accountSlug).executeTakeFirst();
    const user = account
      ? ((await this.db
          .selectFrom('users')
          .selectAll()
          .where('account_id', '=', account.id)
          .where('username', '=', username.trim().toLowerCase())
          .executeTakeFirst()) as UserRow | undefined)
      : undefined;
    const credential = user
      ? await this.db.selectFrom('user_credentials').selectAll().where('user_id', '=', user.id).executeTakeFirst()
      : undefined;
    // Verify against a throwaway hash when there is no user, so timing does not reveal which usernames exist.
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    const ok = await verifyPassword(credential?.password_hash ?? (await this.dummyHash), password);
    const now = this.now();
    // A locked user gets the same answer whether the password was right or not (and the password is still checked,
    // so the time taken says nothing either).
    if (account && user && isLocked(user, now)) throw userLocked(this.lockout);
    if (!account || !user || !credential || !ok) {
      if (account && user && (await this.recordFailure(account.id, user, now, meta.ip))) {
        throw userLocked(this.lockout);
      }
      throw invalidCredentials();
    }
    if (user.enabled !== 1) throw new AppError(403, 'UserDisabled', 'This user is disabled');
    if (user.auth_method !== 'password')
      throw new AppError(403, 'SingleSignOnOnly', 'This user signs in with single sign-on');
    if (user.access_type === 'no_access') throw new AppError(403, 'NoAccess', 'This user has no access to Roster');
    if (user.valid_from && new Date(user.valid_from) > now)
      throw new AppError(403, 'NotYetValid', 'This user is not valid yet');
    if (user.expires_at && new Date(user.expires_at) <= now)
      throw new AppError(403, 'Expired', 'This user has expired');

    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const at = now.toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: sha256(token),
          user_id: user.id,
          account_id: account.id,
          csrf_token: csrfToken,
          created_at: at,
          expires_at: new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString(),
          last_seen_at: at,
          ip: meta.ip ?? null,
          user_agent: meta.userAgent?.slice(0, 300) ?? null,
        })
        .execute();
      // The first successful sign-in makes a user Active; a success also ends a run of failures.
      await trx
        .updateTable('users')
        .set({ last_sign_in_at: at, status: 'active', failed_sign_ins: 0, locked_until: null })
        .where('id', '=', user.id)
        .execute();
      await this.audit.record(trx, {
        accountId: account.id,
        actor: { userId: user.id, username: user.username },
        action: 'auth.sign_in',
        target: { type: 'user', id: user.id, label: user.username },
        ip: meta.ip,
      });
    });
    return token;
  }

  /** Counts a failed sign-in (the run restarts after an expired lock); true when this failure locks the user. */
  private async recordFailure(accountId: number, user: UserRow, now: Date, ip?: string | null): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const counted = await trx
        .updateTable('users')
        .set((eb) => ({
          failed_sign_ins: eb
            .case()
            .when('locked_until', 'is', null)
            .then(eb('failed_sign_ins', '+', 1))
            .else(1)
            .end(),
          locked_until: null,
        }))
        .where('id', '=', user.id)
        .returning('failed_sign_ins')
        .executeTakeFirstOrThrow();
      const actor = { userId: user.id, username: user.username };
      const target = { type: 'user', id: user.id, label: user.username };
      await this.audit.record(trx, { accountId, actor, action: 'auth.sign_in_failed', target, ip });
      if (counted.failed_sign_ins < this.lockout.attempts) return false;
      const until =
        this.lockout.minutes === 0
          ? LOCKED_UNTIL_UNLOCKED
          : new Date(now.getTime() + this.lockout.minutes * 60_000).toISOString();
      await trx.updateTable('users').set({ locked_until: until }).where('id', '=', user.id).execute();
      await this.audit.record(trx, {
        accountId,
        actor,
        action: 'auth.locked',
        target,
        after: { failedSignIns: counted.failed_sign_ins, lockedUntil: until },
        ip,
      });
      return true;
    });
  }

  async session(token: string | undefined): Promise<SessionInfo | null> {
    if (!token || token.length > 200) return null;
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .selectAll('users')
      .select([
        'sessions.id as session_id',
        'sessions.csrf_token',
        'sessions.expires_at as session_expires_at',
        'sessions.last_seen_at',
        'accounts.slug as account_slug',
        'accounts.name as account_name',
      ])
      .where('sessions.id', '=', sha256(token))
      .executeTakeFirst();
    if (!row) return null;
    const now = this.now();
    const user = row as unknown as UserRow;
    if (new Date(row.session_expires_at) <= now || user.enabled !== 1 || user.access_type === 'no_access') {
      await this.db.deleteFrom('sessions').where('id', '=', row.session_id).execute();
      return null;
    }
    if (now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_EVERY_MS && !writerHeld(this.db)) {
      // Best effort: another process's long write (an import on SQLite) may hold the lock.
      await this.db
        .updateTable('sessions')
        .set({ last_seen_at: now.toISOString() })
        .where('id', '=', row.session_id)
        .execute()
        .catch((error: { code?: string }) => {
          if (error.code !== 'SQLITE_BUSY') throw error;
        });
    }
    return {
      actor: {
        userId: user.id,
        accountId: user.account_id,
        username: user.username,
        accessType: user.access_type,
        isOwner: user.is_owner === 1,
        profile: await actorProfile(this.db, user),
      },
      user,
      account: { id: user.account_id, slug: row.account_slug, name: row.account_name },
      csrfToken: row.csrf_token,
      requiredActions: JSON.parse(user.required_actions) as RequiredAction[],
    };
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token) await this.db.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
  }

  /** Changes one's own password; clears the Update Password required action and other sessions. */
  async changePassword(
    session: SessionInfo,
    token: string,
    currentPassword: string,
    newPassword: string,
    ip?: string | null,
  ) {
    const credential = await this.db
      .selectFrom('user_credentials')
      .selectAll()
      .where('user_id', '=', session.user.id)
      .executeTakeFirst();
    if (!credential || !(await verifyPassword(credential.password_hash, currentPassword))) {
      throw new AppError(400, 'ValidationFailed', 'The current password is wrong', [
        { path: 'currentPassword', message: 'The current password is wrong' },
      ]);
    }
    if (currentPassword === newPassword) {
      throw new AppError(400, 'PasswordPolicy', 'Choose a password you have not used here', [
        { path: 'newPassword', message: 'Choose a password different from the current one' },
      ]);
    }
    assertPolicy(newPassword, session.user.username, 'newPassword');
    const hash = await hashPassword(newPassword);
    const at = this.now().toISOString();
    const actions = session.requiredActions.filter((action) => action !== 'update_password');
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('user_credentials')
        .set({ password_hash: hash, temporary: 0, updated_at: at })
        .where('user_id', '=', session.user.id)
        .execute();
      await trx
        .updateTable('users')
        .set({ required_actions: JSON.stringify(actions), updated_at: at })
        .where('id', '=', session.user.id)
        .execute();
      await trx
        .deleteFrom('sessions')
        .where('user_id', '=', session.user.id)
        .where('id', '!=', sha256(token))
        .execute();
      await this.audit.record(trx, {
        accountId: session.account.id,
        actor: session.actor,
        action: 'auth.password_change',
        target: { type: 'user', id: session.user.id, label: session.user.username },
        ip,
      });
    });
  }

  static requireSession(session: SessionInfo | null): SessionInfo {
    if (!session) throw unauthenticated();
    return session;
  }
}
