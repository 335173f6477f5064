// The account's password policy (stored in account_security.password_policy) and its rules on the server: the shared
// rules (shared/password-policy.ts), then the breached-password list, then the user's password history, which costs
// argon2id verifications and so is checked only when everything else passes.
import type { Kysely } from 'kysely';
import {
  describePasswordProblems,
  type PasswordCheckInput,
  type PasswordContext,
  type PasswordPolicy,
  type PasswordProblem,
  passwordPolicyView,
  passwordProblems,
  resolvePasswordPolicy,
} from '../../shared/password-policy.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema/index.js';
import { AppError, notFound, RateLimited } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import { isBreachedPassword } from './breached-passwords.js';
import { verifyPassword } from './passwords.js';
import { type UserRow, userSubject } from './user-presenter.js';

type Executor = Kysely<Database>;

/** The user a password is for (a new user has no id yet). */
export interface PasswordOwner {
  id?: number | null;
  username: string;
  email?: string | null;
  accessType: string;
  isOwner: boolean;
}

export const ownerOf = (user: Pick<UserRow, 'id' | 'username' | 'email' | 'access_type' | 'is_owner'>) => ({
  id: user.id,
  username: user.username,
  email: user.email,
  accessType: user.access_type,
  isOwner: user.is_owner === 1,
});

/** What a password is checked against in an account: its policy, its words, whether admins need a second factor. */
export interface AccountPasswordRules {
  policy: PasswordPolicy;
  accountWords: string[];
  requireAdminOtp: boolean;
}

/** Whether this user must present a second factor to sign in: for now, admins when the account requires it for them. */
export function secondFactorRequired(rules: AccountPasswordRules, user: Pick<PasswordOwner, 'accessType' | 'isOwner'>) {
  return rules.requireAdminOtp && (user.isOwner || user.accessType === 'admin');
}

export function contextFor(rules: AccountPasswordRules, user: PasswordOwner): PasswordContext {
  return {
    username: user.username,
    email: user.email,
    accountWords: rules.accountWords,
    secondFactor: secondFactorRequired(rules, user),
  };
}

/** The rules a password breaks that need no database: the shared ones and the breached list. */
export function localProblems(password: string, rules: AccountPasswordRules, user: PasswordOwner): PasswordProblem[] {
  const problems = passwordProblems(password, contextFor(rules, user), rules.policy);
  if (problems.length === 0 && isBreachedPassword(password)) {
    problems.push({
      rule: 'breached',
      message: 'This password is common or known from data breaches: choose another',
    });
  }
  return problems;
}

export const passwordPolicyError = (problems: PasswordProblem[], field: string) =>
  new AppError(
    400,
    'PasswordPolicy',
    `The password breaks the password policy: ${describePasswordProblems(problems)}`,
    problems.map((p) => ({ path: field, message: `${p.message} (${p.rule})` })),
  );

/** An account's password policy (defaults for what it has not set), words and second-factor setting. */
export async function accountPasswordRules(db: Executor, accountId: number): Promise<AccountPasswordRules> {
  const account = await db
    .selectFrom('accounts')
    .leftJoin('account_security', 'account_security.account_id', 'accounts.id')
    .select([
      'accounts.slug',
      'accounts.name',
      'account_security.password_policy',
      'account_security.require_admin_otp',
    ])
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw notFound('Account');
  let stored: unknown = {};
  try {
    stored = JSON.parse(account.password_policy ?? '{}');
  } catch {
    stored = {};
  }
  return {
    policy: resolvePasswordPolicy(stored),
    accountWords: [account.slug, account.name],
    requireAdminOtp: account.require_admin_otp === 1,
  };
}

const CHECKS_PER_MINUTE = 60;

export class PasswordPolicies {
  /** Password checks of each session in the current minute. */
  private readonly checks = new Map<string, { minute: number; count: number }>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  rulesOf(db: Executor, accountId: number): Promise<AccountPasswordRules> {
    return accountPasswordRules(db, accountId);
  }

  /** The policy, for any signed-in user (their own password fields show its rules). */
  async view(actor: Actor) {
    authorize(actor, 'session.use', 'account', { accountId: actor.accountId });
    return this.viewFor(this.db, actor.accountId, actor);
  }

  /** The policy as the console shows it beside a password field for this user (also on the pages of mailed links). */
  async viewFor(db: Executor, accountId: number, user: Pick<PasswordOwner, 'accessType' | 'isOwner'>) {
    const rules = await this.rulesOf(db, accountId);
    return {
      ...passwordPolicyView(rules.policy),
      secondFactorRequired: secondFactorRequired(rules, user),
      adminsNeedSecondFactor: rules.requireAdminOtp,
      accountWords: rules.accountWords,
    };
  }

  async update(actor: Actor, input: PasswordPolicy, ip?: string | null) {
    authorize(actor, 'security.manage', 'account', { accountId: actor.accountId });
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const before = (await this.rulesOf(trx, actor.accountId)).policy;
      const json = JSON.stringify(input);
      await trx
        .insertInto('account_security')
        .values({ account_id: actor.accountId, password_policy: json, updated_at: at })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ password_policy: json, updated_at: at }))
        .execute();
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'security.password_policy',
        target: { type: 'account', id: actor.accountId, label: 'Password policy' },
        before,
        after: input,
        ip,
      });
    });
    return this.view(actor);
  }

  /**
   * Every rule this password breaks for this user: the shared ones, the breached list, then (only when those pass,
   * since each costs an argon2id verification) the user's last passwords.
   */
  async problems(
    db: Executor,
    accountId: number,
    user: PasswordOwner,
    password: string,
    { history = true } = {},
  ): Promise<PasswordProblem[]> {
    const rules = await this.rulesOf(db, accountId);
    const problems = localProblems(password, rules, user);
    if (problems.length > 0 || !history || !user.id || rules.policy.historyCount === 0) return problems;
    if (await this.inHistory(db, user.id, password, rules.policy.historyCount)) {
      problems.push({
        rule: 'history',
        message:
          rules.policy.historyCount === 1
            ? 'Choose a password different from your last one'
            : `Choose a password different from your last ${rules.policy.historyCount}`,
      });
    }
    return problems;
  }

  /** Refuses a password that breaks the account's policy: a PasswordPolicy error on `field`, naming the rules. */
  async assert(db: Executor, accountId: number, user: PasswordOwner, password: string, field: string) {
    const problems = await this.problems(db, accountId, user, password);
    if (problems.length > 0) throw passwordPolicyError(problems, field);
  }

  /** The current password and the last ones kept, newest first, up to `count` in all. */
  private async inHistory(db: Executor, userId: number, password: string, count: number): Promise<boolean> {
    const current = await db
      .selectFrom('user_credentials')
      .select('password_hash')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const kept = await db
      .selectFrom('password_history')
      .select('password_hash')
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .limit(count)
      .execute();
    const hashes = kept.map((row) => row.password_hash);
    // The current password is the newest of the history (kept there since this policy; before, only as credential).
    if (current && !hashes.includes(current.password_hash)) hashes.unshift(current.password_hash);
    for (const hash of hashes.slice(0, count)) if (await verifyPassword(hash, password)) return true;
    return false;
  }

  /** Keeps a newly set password's hash in the user's history, trimmed to the policy's length (0 = none kept). */
  async remember(trx: Executor, accountId: number, userId: number, hash: string) {
    const { policy } = await this.rulesOf(trx, accountId);
    if (policy.historyCount > 0) {
      await trx
        .insertInto('password_history')
        .values({ user_id: userId, password_hash: hash, created_at: this.now().toISOString() })
        .execute();
    }
    const keep = await trx
      .selectFrom('password_history')
      .select('id')
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .limit(policy.historyCount)
      .execute();
    let drop = trx.deleteFrom('password_history').where('user_id', '=', userId);
    if (keep.length > 0) {
      drop = drop.where(
        'id',
        'not in',
        keep.map((row) => row.id),
      );
    }
    await drop.execute();
  }

  /** Whether a password last set at `setAt` is past the policy's maximum age. */
  async expired(db: Executor, accountId: number, setAt: string | Date): Promise<boolean> {
    const { policy } = await this.rulesOf(db, accountId);
    if (!policy.maxAgeDays) return false;
    const set = new Date(setAt).getTime();
    return this.now().getTime() - set >= policy.maxAgeDays * 86_400_000;
  }

  /**
   * Checks a password as it is typed (the console): every rule, for oneself or, for an admin who may edit them,
   * another user. At most CHECKS_PER_MINUTE a session.
   */
  async check(actor: Actor, sessionKey: string, input: PasswordCheckInput) {
    const minute = Math.floor(this.now().getTime() / 60_000);
    const used = this.checks.get(sessionKey);
    const count = used && used.minute === minute ? used.count + 1 : 1;
    if (count > CHECKS_PER_MINUTE) {
      const wait = 60 - Math.floor((this.now().getTime() / 1000) % 60);
      throw new RateLimited(wait, 'Too many password checks: wait a minute');
    }
    this.checks.set(sessionKey, { minute, count });
    if (this.checks.size > 10_000) {
      for (const [key, value] of this.checks) if (value.minute !== minute) this.checks.delete(key);
    }
    if (input.newUser) {
      // A user being created: an admin who may create users checks the password they give them.
      authorize(actor, 'users.manage', 'account', { accountId: actor.accountId });
      const user = {
        username: input.newUser.username.trim().toLowerCase(),
        email: input.newUser.email ?? null,
        accessType: input.newUser.accessType ?? 'standard',
        isOwner: false,
      };
      return { problems: await this.problems(this.db, actor.accountId, user, input.password) };
    }
    const id = input.userId ?? actor.userId;
    const row = (await this.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .where('id', '=', id)
      .executeTakeFirst()) as UserRow | undefined;
    if (!row) throw notFound('User');
    if (id !== actor.userId) authorize(actor, 'user.update', 'user', userSubject(row));
    // Never the history here: it holds the current password, and an answer as one types would confirm a guess at it
    // (or at an old one) without a sign-in, a lockout or an audit entry. The history is checked when the password
    // is saved, after the current one (own change) or by an admin who may set it anyway.
    return {
      problems: await this.problems(this.db, actor.accountId, ownerOf(row), input.password, { history: false }),
    };
  }
}
