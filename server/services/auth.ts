// Password sign-in, console sessions (cookie token + CSRF token) and password changes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CompiledQuery, InferResult, Transaction } from 'kysely';
import { REQUIRED_ACTIONS, type RequiredAction } from '../../shared/constants.js';
import type { DatabaseHandle, Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { writerHeld } from '../db/write-lock.js';
import { AppError, RateLimited, unauthenticated } from '../errors.js';
import type { Actor } from '../policy.js';
import type { AuditLog } from './audit.js';
import {
  assertRosterPassword,
  directoryCredentialOf,
  directoryPasswordMustChange,
  verifyDirectoryPassword,
} from './directory/sign-in.js';
import { PASSWORD_LINKS, withdrawLinks } from './links.js';
import { type OneTimeCodes, otpRequiredOf } from './otp.js';
import { ownerOf, PasswordPolicies } from './password-policy.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { actorProfile } from './profiles.js';
import { Throttle } from './throttle.js';
import type { UserRow } from './user-presenter.js';

const SESSION_HOURS = 12;
/** How long a session waiting for a one-time code lasts. */
const CODE_MINUTES = 10;
const TOUCH_EVERY_MS = 60_000;

export interface SessionInfo {
  actor: Actor;
  user: UserRow;
  account: { id: number; slug: string; name: string };
  csrfToken: string;
  /** What the user must do before anything else, in order (stored ones, and a second factor the account requires). */
  requiredActions: RequiredAction[];
  /** 'otp' while the session waits for a one-time code: nothing else is allowed yet. */
  pendingStep: 'otp' | null;
}

/** Codes (right or wrong) one user may be sent in 15 minutes, whatever session or address they come from. */
export const CODE_ATTEMPTS_PER_USER = 10;
/** Wrong codes a session waiting for one may send before it ends. */
export const CODE_FAILURES_PER_SESSION = 5;

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
  /** Failed sign-ins one client address may make in ADDRESS_WINDOW_MINUTES, whatever users it tries. */
  addressLimit?: number;
}

/** The window over which a client address's failed sign-ins are counted. */
export const ADDRESS_WINDOW_MINUTES = 15;

const userLocked = (policy: LockoutPolicy) =>
  new AppError(
    403,
    'UserLocked',
    policy.minutes === 0
      ? 'This user is locked after too many failed sign-ins: ask an admin to unlock it'
      : 'This user is locked after too many failed sign-ins: try again later or ask an admin to unlock it',
  );

/** A guess reserved for a user: the run of failures it makes, and whether it is the one that locks the user. */
interface Guess {
  failures: number;
  locks: boolean;
}

/** How a session was opened. */
export type SignInMethod = 'password' | 'sso';

/**
 * Why a user who proved who they are still may not sign in, if anything (F11: enabled switch and dates). A user
 * whose method is single sign-on has no password to give; a password user may also sign in through a provider they
 * are bound to.
 */
export function signInRefusal(user: UserRow, now: Date, method: SignInMethod = 'password'): AppError | null {
  if (user.enabled !== 1) return new AppError(403, 'UserDisabled', 'This user is disabled');
  if (method === 'password' && user.auth_method !== 'password')
    return new AppError(403, 'SingleSignOnOnly', 'This user signs in with single sign-on');
  if (user.access_type === 'no_access') return new AppError(403, 'NoAccess', 'This user has no access to Roster');
  if (user.valid_from && new Date(user.valid_from) > now)
    return new AppError(403, 'NotYetValid', 'This user is not valid yet');
  if (user.expires_at && new Date(user.expires_at) <= now) return new AppError(403, 'Expired', 'This user has expired');
  return null;
}

/** A session with its user, its account's name and the account's second-factor rule (see Auth.session). */
function sessionQuery(db: Db, id: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .leftJoin('account_security', 'account_security.account_id', 'sessions.account_id')
    .selectAll('users')
    .select([
      'sessions.id as session_id',
      'sessions.csrf_token',
      'sessions.expires_at as session_expires_at',
      'sessions.last_seen_at',
      'sessions.pending_step',
      'accounts.slug as account_slug',
      'accounts.name as account_name',
      'account_security.require_admin_otp',
    ])
    .where('sessions.id', '=', id);
}

type SessionRow = InferResult<ReturnType<typeof sessionQuery>>[number];

export class Auth {
  /** Within the transaction of one's own password change: the user is told by mail (wired by the context). */
  onPasswordChanged: ((trx: Transaction<Database>, userId: number) => Promise<unknown>) | null = null;
  /** Called after a change that queued mail has committed. */
  afterMailQueued: (() => void) | null = null;
  /** One-time codes (second factor); set by the context. */
  codes: OneTimeCodes | null = null;
  private readonly throttle: Throttle;
  /** How long a directory may take to check a synced user's password (set by the context). */
  directoryTimeoutMs = 5_000;
  private readonly db: Db;
  /** Runs the session lookup, which every signed-in request makes, as a named statement (see queryPrepared). */
  private readonly queryPrepared: DatabaseHandle['queryPrepared'];
  /** The session lookup, built once (building costs more than planning it; see sessionLookup). */
  private sessionCompiled: CompiledQuery | null = null;

  constructor(
    database: DatabaseHandle,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly lockout: LockoutPolicy = { attempts: 5, minutes: 15 },
  ) {
    this.db = database.db;
    this.queryPrepared = database.queryPrepared;
    this.throttle = new Throttle(this.db, now);
    this.passwordPolicies = new PasswordPolicies(this.db, audit, now);
  }

  /** The account's password policy: a new password's rules, and the maximum age checked at sign-in. */
  passwordPolicies: PasswordPolicies;

  /**
   * Checks the password and opens a session; returns the cookie token, shown to no one else.
   *
   * Brute force: a client address with too many recent failures waits (429) before anything is checked; a guess at a
   * user's password is counted, and the user locked on the last allowed one, in one atomic step before the password
   * is checked, so that parallel requests never get more guesses checked than the policy allows, and a failure in
   * flight never lifts a lock set meanwhile. Every attempt costs one argon2id check, whether the user exists, is
   * locked, or has a generated password.
   */
  async signIn(
    accountSlug: string,
    username: string,
    password: string,
    meta: { ip?: string | null; userAgent?: string | null },
  ) {
    const now = this.now();
    const client = meta.ip ? `ip:${meta.ip}` : null;
    if (client) await this.assertClientMayTry(client);
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
    const guess = account && user ? await this.reserveGuess(user.id, now) : null;
    // A user synced from a directory that checks passwords proves theirs by a bind as their entry (not while locked).
    // The argon2id check against a hash nobody knows runs beside the bind: every attempt costs one, so that the time
    // a sign-in takes tells neither a synced user nor a locked one from a user who does not exist.
    const directory = user ? await directoryCredentialOf(this.db, user.id) : null;
    const unknownHash = await dummyHash();
    const ok = directory
      ? (
          await Promise.all([
            guess
              ? verifyDirectoryPassword(directory, password, this.directoryTimeoutMs).catch(async (error: unknown) => {
                  // The directory could not answer: that guess is given back, the user tries again later.
                  if (user) await this.giveBack(user.id, guess);
                  throw error;
                })
              : false,
            verifyPassword(unknownHash, password),
          ])
        )[0]
      : // Checked in every case (against a hash nobody knows when there is no user), so the time says nothing.
        await verifyPassword(credential?.password_hash ?? unknownHash, password);
    // A locked user gets the same answer whether the password was right or not.
    if (account && user && !guess) {
      if (client) await this.countClientFailure(client, now);
      throw userLocked(this.lockout);
    }
    if (!account || !user || (!credential && !directory) || !ok) {
      if (client) await this.countClientFailure(client, now);
      if (account && user && guess && (await this.recordFailure(account.id, user, guess, now, meta.ip))) {
        throw userLocked(this.lockout);
      }
      throw invalidCredentials();
    }
    // The directory took the password but wants it changed first: the password was right, so it costs no guess.
    const refusal =
      ok === 'must_change' && directory ? directoryPasswordMustChange(directory) : signInRefusal(user, now);
    if (refusal) {
      // The password was right: the guess it took is given back before the user hears why they cannot sign in.
      await this.db
        .updateTable('users')
        .set({ failed_sign_ins: 0, locked_until: null })
        .where('id', '=', user.id)
        .execute();
      throw refusal;
    }
    // A directory password's age is the directory's business: a bind it accepted means the password needs no change
    // (Active Directory refuses one that must change), so Update Password from a sync is done with.
    if (credential && !directory) await this.requireChangeIfExpired(account.id, user, credential.updated_at, meta.ip);
    if (directory) await this.dropPasswordChange(account.id, user, meta.ip);
    // With a second factor the sign-in is not over: the right password gives its guess back (the codes that follow
    // are counted one by one), without clearing the failures before it, so that knowing the password never buys
    // more code guesses. (An identity provider answers for its own second factor.)
    const waitForCode = Boolean(this.codes && (await this.codes.configured(user.id)));
    if (guess && waitForCode) await this.giveBack(user.id, guess);
    return this.openSession(account.id, user, 'password', meta, undefined, waitForCode);
  }

  /** Takes Update Password off a user whose directory has just accepted their password. */
  private async dropPasswordChange(accountId: number, user: UserRow, ip?: string | null) {
    const actions = JSON.parse(user.required_actions) as string[];
    if (!actions.includes('update_password')) return;
    const after = actions.filter((action) => action !== 'update_password');
    await this.setRequiredActions(accountId, user, 'auth.directory_password_accepted', actions, after, ip);
  }

  /** A password older than the policy's maximum age must be replaced before anything else: Update Password is added. */
  private async requireChangeIfExpired(accountId: number, user: UserRow, setAt: string, ip?: string | null) {
    const actions = JSON.parse(user.required_actions) as string[];
    if (actions.includes('update_password')) return;
    if (!(await this.passwordPolicies.expired(this.db, accountId, setAt))) return;
    await this.setRequiredActions(accountId, user, 'auth.password_expired', null, [...actions, 'update_password'], ip);
  }

  /** Writes a user's required actions as a sign-in found them due, with its audit entry. */
  private async setRequiredActions(
    accountId: number,
    user: UserRow,
    action: string,
    before: string[] | null,
    after: string[],
    ip?: string | null,
  ) {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ required_actions: JSON.stringify(after) })
        .where('id', '=', user.id)
        .execute();
      await this.audit.record(trx, {
        accountId,
        actor: null,
        action,
        target: { type: 'user', id: user.id, label: user.username },
        ...(before ? { before: { requiredActions: before } } : {}),
        after: { requiredActions: after },
        ip,
      });
    });
    user.required_actions = JSON.stringify(after);
  }

  /**
   * Opens a session for a user who proved who they are (password or single sign-on) and passed signInRefusal; returns
   * the cookie token. The first sign-in makes the user Active; a success also ends a run of failed passwords.
   */
  async openSession(
    accountId: number,
    user: UserRow,
    method: SignInMethod,
    meta: { ip?: string | null; userAgent?: string | null },
    also?: (trx: Transaction<Database>) => Promise<void>,
    /** The user has a one-time code device: the session can only take a code; the sign-in happens with it. */
    waitForCode = false,
  ): Promise<string> {
    const now = this.now();
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const at = now.toISOString();
    if (waitForCode) {
      await this.db
        .insertInto('sessions')
        .values({
          id: sha256(token),
          user_id: user.id,
          account_id: accountId,
          csrf_token: csrfToken,
          created_at: at,
          expires_at: new Date(now.getTime() + CODE_MINUTES * 60_000).toISOString(),
          last_seen_at: at,
          ip: meta.ip ?? null,
          user_agent: meta.userAgent?.slice(0, 300) ?? null,
          pending_step: 'otp',
          method: 'password',
        })
        .execute();
      return token;
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: sha256(token),
          user_id: user.id,
          account_id: accountId,
          csrf_token: csrfToken,
          created_at: at,
          expires_at: new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString(),
          last_seen_at: at,
          ip: meta.ip ?? null,
          user_agent: meta.userAgent?.slice(0, 300) ?? null,
          method,
        })
        .execute();
      await trx
        .updateTable('users')
        .set({ last_sign_in_at: at, status: 'active', failed_sign_ins: 0, locked_until: null })
        .where('id', '=', user.id)
        .execute();
      if (also) await also(trx);
      await this.audit.record(trx, {
        accountId,
        actor: { userId: user.id, username: user.username },
        action: 'auth.sign_in',
        target: { type: 'user', id: user.id, label: user.username },
        // Password sign-ins keep the entry they always had; other methods say which.
        ...(method === 'password' ? {} : { after: { method } }),
        ip: meta.ip,
      });
    });
    return token;
  }

  /**
   * Reserves one guess at the user's password, or none while the user is locked: one conditional UPDATE counts it
   * (a run restarts after an expired lock) and locks the user when it is the last one allowed.
   */
  private async reserveGuess(userId: number, now: Date): Promise<Guess | null> {
    const at = now.toISOString();
    const until =
      this.lockout.minutes === 0
        ? LOCKED_UNTIL_UNLOCKED
        : new Date(now.getTime() + this.lockout.minutes * 60_000).toISOString();
    const reserved = await this.db
      .updateTable('users')
      .set((eb) => {
        const failures = eb
          .case()
          .when('locked_until', 'is not', null)
          .then(1)
          .else(eb('failed_sign_ins', '+', 1))
          .end();
        return {
          failed_sign_ins: failures,
          // coalesce() gives the moment the column's type on PostgreSQL (a bare parameter in a CASE would be text).
          locked_until: eb
            .case()
            .when(eb(failures, '>=', this.lockout.attempts))
            .then(eb.fn.coalesce(eb.val(until), 'locked_until'))
            .else(null)
            .end(),
        };
      })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
      .returning(['failed_sign_ins', 'locked_until'])
      .executeTakeFirst();
    if (!reserved) return null;
    return { failures: reserved.failed_sign_ins, locks: reserved.locked_until !== null };
  }

  /** Undoes a reserved guess, unless another one was reserved since (then the later one stands). */
  private async giveBack(userId: number, guess: Guess): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ failed_sign_ins: guess.failures - 1, locked_until: null })
      .where('id', '=', userId)
      .where('failed_sign_ins', '=', guess.failures)
      .execute();
  }

  /** Audits a failed guess; true when it was the one that locked the user. */
  private async recordFailure(
    accountId: number,
    user: UserRow,
    guess: Guess,
    now: Date,
    ip?: string | null,
    action = 'auth.sign_in_failed',
  ) {
    await this.db.transaction().execute(async (trx) => {
      const actor = { userId: user.id, username: user.username };
      const target = { type: 'user', id: user.id, label: user.username };
      await this.audit.record(trx, { accountId, actor, action, target, ip });
      if (!guess.locks) return;
      await this.audit.record(trx, {
        accountId,
        actor,
        action: 'auth.locked',
        target,
        after: { failedSignIns: guess.failures, lockedAt: now.toISOString() },
        ip,
      });
    });
    return guess.locks;
  }

  /** Refuses a client address that failed too often in the current window (429 with when to try again). */
  private async assertClientMayTry(client: string): Promise<void> {
    const limit = this.lockout.addressLimit;
    if (!limit) return;
    const wait = await this.throttle.peek(client, limit, ADDRESS_WINDOW_MINUTES);
    if (wait)
      throw new RateLimited(wait, 'Too many failed sign-ins from your address: wait a few minutes before trying again');
  }

  /** Counts a failed sign-in of a client address (a new window starts once the last one is over). */
  private async countClientFailure(client: string, now: Date): Promise<void> {
    if (!this.lockout.addressLimit) return;
    await this.throttle.take(client, this.lockout.addressLimit, ADDRESS_WINDOW_MINUTES);
    // Addresses whose window is long over are forgotten now and then, so the table stays small.
    if (Math.random() < 0.01) {
      const windowStart = new Date(now.getTime() - ADDRESS_WINDOW_MINUTES * 60_000).toISOString();
      await this.db.deleteFrom('sign_in_throttle').where('window_started_at', '<=', windowStart).execute();
    }
  }

  async session(token: string | undefined): Promise<SessionInfo | null> {
    if (!token || token.length > 200) return null;
    // The account's second-factor rule in the same query (see requiredActionsOf): one round trip for every request.
    const [row] = await this.queryPrepared<SessionRow>('roster_session', {
      ...this.sessionLookup(),
      parameters: [sha256(token)],
    });
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
      requiredActions: await this.requiredActionsOf(user, row.require_admin_otp === 1),
      pendingStep: row.pending_step === 'otp' ? 'otp' : null,
    };
  }

  /** The session lookup, compiled, whose one parameter is the session id (the token's hash). */
  private sessionLookup(): CompiledQuery {
    if (this.sessionCompiled === null) {
      const compiled = sessionQuery(this.db, '').compile();
      if (compiled.parameters.length !== 1) throw new Error('the session lookup must have one parameter, its id');
      this.sessionCompiled = compiled;
    }
    return this.sessionCompiled;
  }

  /**
   * The user's required actions in the order they are done, with Configure OTP when the account requires it (its rule
   * read with the session).
   */
  private async requiredActionsOf(user: UserRow, requireAdminOtp: boolean): Promise<RequiredAction[]> {
    const stored = new Set(JSON.parse(user.required_actions) as RequiredAction[]);
    if (!stored.has('configure_otp') && this.codes && otpRequiredOf(user, requireAdminOtp)) {
      if (!(await this.codes.configured(user.id))) stored.add('configure_otp');
    }
    return REQUIRED_ACTIONS.filter((action) => stored.has(action));
  }

  /**
   * The second step of a sign-in: a one-time code, or one of the recovery codes. A wrong code counts in the user's
   * run of failures as a wrong password does (and locks the user on the last allowed one); a user may send
   * CODE_ATTEMPTS_PER_USER codes in 15 minutes, a session CODE_FAILURES_PER_SESSION wrong ones before it ends.
   */
  async completeSecondFactor(
    token: string,
    answer: { code?: string; recoveryCode?: string },
    meta: { ip?: string | null },
  ): Promise<void> {
    const session = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sha256(token))
      .where('pending_step', '=', 'otp')
      .executeTakeFirst();
    const now = this.now();
    if (!session || new Date(session.expires_at) <= now || !this.codes) {
      throw new AppError(401, 'Unauthenticated', 'Sign in with your password first');
    }
    const user = (await this.db.selectFrom('users').selectAll().where('id', '=', session.user_id).executeTakeFirst()) as
      | UserRow
      | undefined;
    if (!user) throw unauthenticated();
    // Every attempt is counted before the code is checked, each count one atomic statement, so that codes sent in
    // parallel get no more checks than the limits allow: the user's attempts in 15 minutes, then the lockout's run
    // of failures (a locked user's code is not checked at all). A right code gives the lockout its guess back.
    const perUser = `otp:user:${user.id}`;
    const attempt = await this.throttle.take(perUser, CODE_ATTEMPTS_PER_USER, 15);
    if (!attempt.ok) {
      throw new RateLimited(attempt.retryAfter, 'Too many codes tried: wait a few minutes before trying again');
    }
    const guess = await this.reserveGuess(user.id, now);
    if (!guess) {
      await this.db.deleteFrom('sessions').where('id', '=', session.id).execute();
      throw userLocked(this.lockout);
    }
    const ok = answer.recoveryCode
      ? await this.codes.takeRecoveryCode(user.id, answer.recoveryCode)
      : await this.codes.takeCode(user.id, answer.code ?? '');
    const target = { type: 'user', id: user.id, label: user.username };
    const actor = { userId: user.id, username: user.username };
    if (!ok) {
      const client = meta.ip ? `ip:${meta.ip}` : null;
      if (client) await this.countClientFailure(client, now);
      const locks = await this.recordFailure(user.account_id, user, guess, now, meta.ip, 'auth.code_failed');
      const inSession = await this.throttle.take(
        `otp:session:${session.id}`,
        CODE_FAILURES_PER_SESSION - 1,
        CODE_MINUTES,
      );
      if (locks || !inSession.ok) {
        await this.db.deleteFrom('sessions').where('id', '=', session.id).execute();
        if (locks) throw userLocked(this.lockout);
        throw new AppError(401, 'TooManyWrongCodes', 'Too many wrong codes: sign in with your password again');
      }
      throw new AppError(400, 'InvalidCode', 'That code is not right, or was already used', [
        { path: answer.recoveryCode ? 'recoveryCode' : 'code', message: 'Not a valid code' },
      ]);
    }
    const at = now.toISOString();
    const method = answer.recoveryCode ? 'recovery_code' : 'otp';
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('sessions')
        .set({
          pending_step: null,
          method,
          last_seen_at: at,
          expires_at: new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString(),
        })
        .where('id', '=', session.id)
        .execute();
      await trx
        .updateTable('users')
        .set({ last_sign_in_at: at, status: 'active', failed_sign_ins: 0, locked_until: null })
        .where('id', '=', user.id)
        .execute();
      await this.audit.record(trx, {
        accountId: user.account_id,
        actor,
        action: 'auth.sign_in',
        target,
        after: { method },
        ip: meta.ip,
      });
    });
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
    await assertRosterPassword(this.db, session.user.id, 'newPassword');
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
    await this.passwordPolicies.assert(this.db, session.account.id, ownerOf(session.user), newPassword, 'newPassword');
    const hash = await hashPassword(newPassword);
    const at = this.now().toISOString();
    const actions = session.requiredActions.filter((action) => action !== 'update_password');
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('user_credentials')
        .set({ password_hash: hash, temporary: 0, updated_at: at })
        .where('user_id', '=', session.user.id)
        .execute();
      await this.passwordPolicies.remember(trx, session.account.id, session.user.id, hash);
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
      await withdrawLinks(trx, [session.user.id], at, PASSWORD_LINKS);
      await this.audit.record(trx, {
        accountId: session.account.id,
        actor: session.actor,
        action: 'auth.password_change',
        target: { type: 'user', id: session.user.id, label: session.user.username },
        ip,
      });
      await this.onPasswordChanged?.(trx, session.user.id);
    });
    this.afterMailQueued?.();
  }

  static requireSession(session: SessionInfo | null): SessionInfo {
    if (!session) throw unauthenticated();
    return session;
  }
}
