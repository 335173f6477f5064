// Invitations, forgotten passwords and email verification: each sends a single-use link by mail (through the outbox,
// in the transaction of the change) and takes it back once, when the user chooses a password or confirms the address.

import type { CompiledQuery } from 'kysely';
import { type Config, publicBaseUrl } from '../config.js';
import type { Db } from '../db/index.js';
import { AppError, notFound, RateLimited } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import { assertRosterPassword } from './directory/sign-in.js';
import {
  LINK_PAGES,
  type LinkPurpose,
  linkRefusal,
  PASSWORD_LINKS,
  type SingleUseLinks,
  withdrawLinks,
} from './links.js';
import type { MailToQueue, Outbox } from './mail/outbox.js';
import { ownerOf, PasswordPolicies } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { Throttle } from './throttle.js';
import { type UserRow, userSubject } from './user-presenter.js';

/** How long a password-reset link works. */
export const RESET_MINUTES = 30;
/** How long an email-verification link works. */
export const VERIFY_HOURS = 24;
/** Password-reset requests one client address may make in 15 minutes. */
export const FORGOT_PER_ADDRESS = 10;
/** Reset mails one user may be sent in an hour at the request of one client address. */
export const FORGOT_PER_USER = 3;
/** Reset mails one user may be sent in an hour, however many addresses ask (no mailbox flooding). */
export const FORGOT_PER_USER_ALL = 10;

const emailRequired = () =>
  new AppError(400, 'EmailRequired', 'This user has no email address: add one before sending an invitation', [
    { path: 'email', message: 'An email address is needed to send an invitation' },
  ]);

export interface LinkInfo {
  purpose: LinkPurpose;
  state: 'valid' | 'used' | 'expired';
  /** Only while the link works. */
  username?: string;
  account: { slug: string; name: string };
  email?: string | null;
  passwordPolicy: Awaited<ReturnType<PasswordPolicies['viewFor']>> | null;
}

export class SignInLinks {
  /** Requests still running (forgotten passwords answer before their work is done, so timing tells nothing). */
  private readonly pending = new Set<Promise<void>>();
  private readonly throttle: Throttle;

  constructor(
    private readonly db: Db,
    private readonly links: SingleUseLinks,
    private readonly outbox: Outbox,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly config: Config,
  ) {
    this.throttle = new Throttle(db, now);
    this.passwordPolicies = new PasswordPolicies(db, audit, now);
  }

  /** The account's password policy, for passwords chosen through a link. */
  passwordPolicies: PasswordPolicies;

  private url(purpose: LinkPurpose | 'sign_in', token?: string, accountSlug?: string) {
    const base = publicBaseUrl(this.config);
    // The token rides in the fragment: browsers never send it to a server or in a Referer header.
    if (purpose === 'sign_in')
      return `${base}/sign-in${accountSlug ? `?account=${encodeURIComponent(accountSlug)}` : ''}`;
    return `${base}${LINK_PAGES[purpose]}#token=${token}`;
  }

  private async account(trx: Db, accountId: number) {
    const row = await trx
      .selectFrom('accounts')
      .select(['slug', 'name'])
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    const security = await trx
      .selectFrom('account_security')
      .select('invitation_hours')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return { ...row, invitationHours: security?.invitation_hours ?? 72 };
  }

  /**
   * Writes invitation mails for these users inside the caller's transaction (create, import, bulk, the button beside
   * Status): a link to choose their password, or for single sign-on users a link to the sign-in page. Users without
   * an email are skipped and returned, so the caller can say so. Status becomes Invited until the first sign-in.
   */
  async inviteWithin(
    trx: Db,
    actor: Actor,
    users: UserRow[],
    ip?: string | null,
    options: { audit?: boolean } = {},
  ): Promise<{ skipped: UserRow[] }> {
    if (users.length === 0) return { skipped: [] };
    const account = await this.account(trx, actor.accountId);
    const plan = this.invitationPlan(account, actor.accountId, actor.userId, users);
    // Earlier invitations stop working: the newest mail is the one that counts.
    const now = this.now().toISOString();
    for (let i = 0; i < plan.invited.length; i += 500) {
      await trx
        .updateTable('user_tokens')
        .set({ expires_at: now })
        .where('user_id', 'in', plan.invited.slice(i, i + 500))
        .where('purpose', '=', 'invitation')
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .execute();
    }
    for (const statement of this.invitationWrites(plan)) await trx.executeQuery(statement);
    // One audit entry per user, as for every other change of a user (a bulk action writes its own).
    for (const user of options.audit === false ? [] : users) {
      if (!plan.invited.includes(user.id)) continue;
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.invitation_sent',
        target: { type: 'user', id: user.id, label: user.username },
        after: { to: user.email, expiresInHours: user.auth_method === 'sso' ? null : account.invitationHours },
        ip,
      });
    }
    return { skipped: users.filter((user) => !user.email) };
  }

  /**
   * The statements that invite users an import has just created, to run in the import's transaction (they have no
   * earlier invitation to revoke). The import's own audit entry counts them.
   */
  async invitationStatements(accountId: number, invitedBy: number, users: UserRow[]) {
    const account = await this.account(this.db, accountId);
    const plan = this.invitationPlan(account, accountId, invitedBy, users);
    return { statements: this.invitationWrites(plan), invited: plan.invited.length };
  }

  /** Tokens and mails for the users who have an email: a link to choose their password, or to sign in (SSO). */
  private invitationPlan(
    account: { slug: string; name: string; invitationHours: number },
    accountId: number,
    invitedBy: number,
    users: UserRow[],
  ) {
    const tokens: ReturnType<SingleUseLinks['newLink']>['row'][] = [];
    const mails: MailToQueue[] = [];
    const invited: number[] = [];
    for (const user of users) {
      if (!user.email) continue;
      const sso = user.auth_method === 'sso';
      let link = this.url('sign_in', undefined, account.slug);
      if (!sso) {
        const issued = this.links.newLink({
          accountId,
          userId: user.id,
          purpose: 'invitation',
          hours: account.invitationHours,
          createdBy: invitedBy,
          email: user.email,
        });
        tokens.push(issued.row);
        link = this.url('invitation', issued.token);
      }
      mails.push({
        accountId,
        userId: user.id,
        to: user.email,
        kind: sso ? 'invitation_sso' : 'invitation',
        language: user.language,
        values: { name: user.first_name || user.username, account: account.name, link, hours: account.invitationHours },
      });
      invited.push(user.id);
    }
    return { tokens, mails, invited };
  }

  /** Inserts the tokens and mails in batches, and shows the users as Invited until they first sign in. */
  private invitationWrites(plan: ReturnType<SignInLinks['invitationPlan']>): CompiledQuery[] {
    const statements: CompiledQuery[] = [];
    const outboxRows = this.outbox.rows(plan.mails);
    for (let i = 0; i < plan.tokens.length; i += 500) {
      statements.push(
        this.db
          .insertInto('user_tokens')
          .values(plan.tokens.slice(i, i + 500))
          .compile(),
      );
    }
    for (let i = 0; i < outboxRows.length; i += 500) {
      statements.push(
        this.db
          .insertInto('mail_outbox')
          .values(outboxRows.slice(i, i + 500))
          .compile(),
      );
    }
    for (let i = 0; i < plan.invited.length; i += 500) {
      statements.push(
        this.db
          .updateTable('users')
          .set({ status: 'invited' })
          .where('id', 'in', plan.invited.slice(i, i + 500))
          .where('status', '=', 'inactive')
          .compile(),
      );
    }
    return statements;
  }

  /** The button beside a user's Status: sends (again) an invitation. */
  async invite(actor: Actor, userId: number, ip?: string | null): Promise<{ to: string }> {
    const user = await this.userOf(actor, userId);
    authorize(actor, 'user.update', 'user', userSubject(user));
    if (!user.email) throw emailRequired();
    await this.db.transaction().execute((trx) => this.inviteWithin(trx, actor, [user], ip));
    this.outbox.queued();
    return { to: user.email };
  }

  /** An admin starts a reset: the user gets a link by mail to choose a new password themselves. */
  async adminReset(actor: Actor, userId: number, ip?: string | null): Promise<{ to: string }> {
    const user = await this.userOf(actor, userId);
    authorize(actor, 'user.update', 'user', userSubject(user));
    if (user.auth_method !== 'password') {
      throw new AppError(409, 'SingleSignOnUser', 'This user signs in with single sign-on and has no Roster password');
    }
    if (!user.email) {
      throw new AppError(400, 'EmailRequired', 'This user has no email address to send the link to', [
        { path: 'email', message: 'An email address is needed to send a reset link' },
      ]);
    }
    const email = user.email;
    await this.db.transaction().execute(async (trx) => {
      await this.queueReset(trx, user, actor.userId);
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'user.password_reset_sent',
        target: { type: 'user', id: user.id, label: user.username },
        after: { to: email },
        ip,
      });
    });
    this.outbox.queued();
    return { to: email };
  }

  private async queueReset(trx: Db, user: UserRow, createdBy: number | null) {
    const account = await this.account(trx, user.account_id);
    const token = await this.links.issue(trx, {
      accountId: user.account_id,
      userId: user.id,
      purpose: 'password_reset',
      hours: RESET_MINUTES / 60,
      createdBy,
      email: user.email,
    });
    await this.outbox.queue(trx, {
      accountId: user.account_id,
      userId: user.id,
      to: user.email,
      kind: 'password_reset',
      language: user.language,
      values: {
        name: user.first_name || user.username,
        account: account.name,
        link: this.url('password_reset', token),
        hours: RESET_MINUTES / 60,
      },
    });
  }

  /**
   * "Forgot password": the same answer whether or not the user exists, so the work is done after the answer.
   * A client address may ask FORGOT_PER_ADDRESS times in 15 minutes (then 429); a user is sent at most FORGOT_PER_USER
   * mails an hour asked from one address, and FORGOT_PER_USER_ALL from all (more requests are answered alike and send
   * nothing): someone asking again and again from their own address cannot keep the user's own request from working.
   */
  forgotPassword(accountSlug: string, login: string, ip: string | null): void {
    const work = this.sendResetFor(accountSlug, login, ip)
      .catch((error: Error) => console.error(`[roster] password reset request failed: ${error.message}`))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Waits for requests still being worked on (tests, and a clean shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async sendResetFor(accountSlug: string, login: string, ip: string | null) {
    const account = await this.db
      .selectFrom('accounts')
      .select(['id'])
      .where('slug', '=', accountSlug)
      .executeTakeFirst();
    if (!account) return;
    const wanted = login.trim().toLowerCase();
    const byUsername = (await this.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('username', '=', wanted)
      .execute()) as UserRow[];
    const users = byUsername.length
      ? byUsername
      : ((await this.db
          .selectFrom('users')
          .selectAll()
          .where('account_id', '=', account.id)
          .where((eb) => eb(eb.fn('lower', ['email']), '=', wanted))
          .limit(5)
          .execute()) as UserRow[]);
    const now = this.now();
    for (const user of users) {
      const eligible =
        user.email &&
        user.enabled === 1 &&
        user.auth_method === 'password' &&
        user.access_type !== 'no_access' &&
        !(user.expires_at && new Date(user.expires_at) <= now);
      if (!eligible) continue;
      const fromHere = await this.throttle.take(`reset:user:${user.id}:${ip ?? 'unknown'}`, FORGOT_PER_USER, 60);
      if (!fromHere.ok) continue;
      const fromAll = await this.throttle.take(`reset:user:${user.id}`, FORGOT_PER_USER_ALL, 60);
      if (!fromAll.ok) continue;
      await this.db.transaction().execute(async (trx) => {
        await this.queueReset(trx, user, null);
        await this.audit.record(trx, {
          accountId: user.account_id,
          actor: null,
          action: 'auth.password_reset_requested',
          target: { type: 'user', id: user.id, label: user.username },
          ip,
        });
      });
      this.outbox.queued();
    }
  }

  /** What a link is for and whom, so its page can greet the user, or say clearly why it no longer works. */
  async inspect(token: string, purpose: LinkPurpose): Promise<LinkInfo> {
    const { state, link } = await this.links.inspect(token, purpose);
    if (state === 'unknown' || !link) throw linkRefusal('unknown');
    const user = await this.db
      .selectFrom('users')
      .innerJoin('accounts', 'accounts.id', 'users.account_id')
      .select([
        'users.username',
        'users.email',
        'users.access_type',
        'users.is_owner',
        'users.account_id',
        'accounts.slug',
        'accounts.name',
      ])
      .where('users.id', '=', link.userId)
      .executeTakeFirst();
    if (!user) throw linkRefusal('unknown');
    const account = { slug: user.slug, name: user.name };
    // A link that no longer works says so, and for which account (to ask for a new one), not for whom.
    if (state !== 'valid') return { purpose, state, account, passwordPolicy: null };
    // The page that chooses a password shows the rules as the user types.
    const choosesPassword = purpose !== 'verify_email';
    return {
      purpose,
      state,
      username: user.username,
      account,
      email: user.email || null,
      passwordPolicy: choosesPassword
        ? await this.passwordPolicies.viewFor(this.db, user.account_id, {
            accessType: user.access_type,
            isOwner: user.is_owner === 1,
          })
        : null,
    };
  }

  /**
   * Chooses a password through an invitation or reset link. Every session of the user ends; nobody is signed in by
   * it, so a second factor is still asked at the next sign-in.
   */
  async choosePassword(token: string, purpose: 'invitation' | 'password_reset', password: string, ip?: string | null) {
    const { state, link } = await this.links.inspect(token, purpose);
    if (state !== 'valid' || !link) throw linkRefusal(state === 'valid' ? 'unknown' : state);
    const user = (await this.db.selectFrom('users').selectAll().where('id', '=', link.userId).executeTakeFirst()) as
      | UserRow
      | undefined;
    if (!user) throw linkRefusal('unknown');
    if (user.auth_method !== 'password') {
      throw new AppError(409, 'SingleSignOnUser', 'This user signs in with single sign-on and has no Roster password');
    }
    await assertRosterPassword(this.db, user.id);
    await this.passwordPolicies.assert(this.db, user.account_id, ownerOf(user), password, 'password');
    const hash = await hashPassword(password);
    const at = this.now().toISOString();
    const account = await this.account(this.db, user.account_id);
    await this.db.transaction().execute(async (trx) => {
      const taken = await this.links.take(trx, token, purpose);
      // A link mailed to an address the user no longer has does nothing (links are also withdrawn when it changes).
      const sameAddress = Boolean(taken.email) && taken.email?.toLowerCase() === (user.email ?? '').toLowerCase();
      if (taken.email && !sameAddress) throw linkRefusal('expired');
      await trx
        .insertInto('user_credentials')
        .values({ user_id: user.id, password_hash: hash, temporary: 0, updated_at: at })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ password_hash: hash, temporary: 0, updated_at: at }))
        .execute();
      await this.passwordPolicies.remember(trx, user.account_id, user.id, hash);
      const actions = (JSON.parse(user.required_actions) as string[]).filter((a) => a !== 'update_password');
      await trx
        .updateTable('users')
        .set({
          required_actions: JSON.stringify(actions),
          // The link came by mail to this address: whoever used it reads that mailbox.
          email_verified: sameAddress ? 1 : user.email_verified,
          failed_sign_ins: 0,
          locked_until: null,
          updated_at: at,
        })
        .where('id', '=', user.id)
        .execute();
      await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      // Other links that could choose the password stop working with this one.
      await withdrawLinks(trx, [user.id], at, PASSWORD_LINKS);
      await this.audit.record(trx, {
        accountId: user.account_id,
        actor: { userId: user.id, username: user.username },
        action: purpose === 'invitation' ? 'auth.invitation_accepted' : 'auth.password_reset',
        target: { type: 'user', id: user.id, label: user.username },
        ip,
      });
      if (purpose === 'password_reset') await this.noticePasswordChanged(trx, user);
    });
    this.outbox.queued();
    return { username: user.username, account: { slug: account.slug, name: account.name } };
  }

  /** Tells a user that their password changed (by themselves, a reset link or an admin), if they have an address. */
  async noticePasswordChanged(trx: Db, user: UserRow): Promise<void> {
    if (!user.email) return;
    const account = await this.account(trx, user.account_id);
    await this.outbox.queue(trx, {
      accountId: user.account_id,
      userId: user.id,
      to: user.email,
      kind: 'password_changed',
      language: user.language,
      values: { name: user.first_name || user.username, account: account.name },
    });
  }

  /** Tells the old address that a user's email changed (someone taking over an account changes it first). */
  async noticeEmailChanged(trx: Db, before: UserRow, after: UserRow): Promise<void> {
    const account = await this.account(trx, before.account_id);
    await this.outbox.queue(trx, {
      accountId: before.account_id,
      userId: before.id,
      to: before.email,
      kind: 'email_changed',
      language: after.language,
      values: { name: after.first_name || after.username, account: account.name },
    });
  }

  /** Sends the signed-in user a link to confirm their email address (the Verify Email required action). */
  async sendVerification(userId: number, ip?: string | null): Promise<{ to: string }> {
    const user = (await this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()) as
      | UserRow
      | undefined;
    if (!user) throw notFound('User');
    if (!user.email) {
      throw new AppError(400, 'EmailRequired', 'Your user has no email address: ask an admin to add one', [
        { path: 'email', message: 'No email address to verify' },
      ]);
    }
    const { ok, retryAfter } = await this.throttle.take(`verify:user:${user.id}`, 5, 60);
    if (!ok) {
      throw new RateLimited(retryAfter, 'Too many verification mails: wait a little');
    }
    const account = await this.account(this.db, user.account_id);
    await this.db.transaction().execute(async (trx) => {
      const token = await this.links.issue(trx, {
        accountId: user.account_id,
        userId: user.id,
        purpose: 'verify_email',
        hours: VERIFY_HOURS,
        createdBy: user.id,
        email: user.email,
      });
      await this.outbox.queue(trx, {
        accountId: user.account_id,
        userId: user.id,
        to: user.email,
        kind: 'verify_email',
        language: user.language,
        values: {
          name: user.first_name || user.username,
          account: account.name,
          link: this.url('verify_email', token),
          hours: VERIFY_HOURS,
        },
      });
      await this.audit.record(trx, {
        accountId: user.account_id,
        actor: { userId: user.id, username: user.username },
        action: 'user.verification_sent',
        target: { type: 'user', id: user.id, label: user.username },
        after: { to: user.email },
        ip,
      });
    });
    this.outbox.queued();
    return { to: user.email };
  }

  /** Confirms the address the link was sent to (not one set since), and completes Verify Email. */
  async verifyEmail(token: string, ip?: string | null) {
    const at = this.now().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const link = await this.links.take(trx, token, 'verify_email');
      const user = (await trx.selectFrom('users').selectAll().where('id', '=', link.userId).executeTakeFirst()) as
        | UserRow
        | undefined;
      if (!user) throw linkRefusal('unknown');
      if (!link.email || link.email.toLowerCase() !== user.email.toLowerCase()) {
        throw new AppError(
          409,
          'EmailChanged',
          'The email address changed after this link was sent: ask for a new link to confirm the new one',
        );
      }
      const actions = (JSON.parse(user.required_actions) as string[]).filter((a) => a !== 'verify_email');
      await trx
        .updateTable('users')
        .set({ email_verified: 1, required_actions: JSON.stringify(actions), updated_at: at })
        .where('id', '=', user.id)
        .execute();
      await this.audit.record(trx, {
        accountId: user.account_id,
        actor: { userId: user.id, username: user.username },
        action: 'user.email_verified',
        target: { type: 'user', id: user.id, label: user.username },
        after: { email: user.email },
        ip,
      });
      return { email: user.email };
    });
  }

  private async userOf(actor: Actor, userId: number): Promise<UserRow> {
    const user = (await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .where('account_id', '=', actor.accountId)
      .executeTakeFirst()) as UserRow | undefined;
    if (!user) throw notFound('User');
    return user;
  }
}
