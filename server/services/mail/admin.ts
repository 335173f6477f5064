// What admins do with mail: the account's mail server settings, the outbox (read, retry) and a test mail.
import type { MailSettingsInput } from '../../../shared/mail-schemas.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import { AppError, notFound } from '../../errors.js';
import { type Actor, authorize, can } from '../../policy.js';
import type { AuditLog } from '../audit.js';
import type { Outbox } from './outbox.js';

const manage = (actor: Actor) => authorize(actor, 'security.manage', 'account', { accountId: actor.accountId });

export class MailAdmin {
  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
    private readonly config: Config,
  ) {}

  async settings(actor: Actor) {
    manage(actor);
    const row = await this.db
      .selectFrom('account_security')
      .selectAll()
      .where('account_id', '=', actor.accountId)
      .executeTakeFirst();
    const smtp = row?.smtp_host
      ? {
          host: row.smtp_host,
          port: row.smtp_port ?? 587,
          security: (row.smtp_security ?? 'starttls') as 'starttls' | 'tls' | 'none',
          user: row.smtp_user,
          passwordSet: Boolean(row.smtp_password),
          from: row.mail_from ?? '',
        }
      : null;
    const server = this.config.smtp ? { host: this.config.smtp.host, port: this.config.smtp.port } : null;
    return {
      smtp,
      serverSmtp: server,
      delivers: Boolean(smtp ?? server),
      invitationHours: row?.invitation_hours ?? 72,
    };
  }

  async saveSettings(actor: Actor, input: MailSettingsInput, ip?: string | null) {
    manage(actor);
    const before = await this.settings(actor);
    const stored = await this.db
      .selectFrom('account_security')
      .select('smtp_password')
      .where('account_id', '=', actor.accountId)
      .executeTakeFirst();
    const at = this.now().toISOString();
    const smtp = input.smtp;
    const password = smtp
      ? smtp.password === undefined
        ? (stored?.smtp_password ?? null)
        : smtp.password || null
      : null;
    const values = {
      smtp_host: smtp?.host ?? null,
      smtp_port: smtp?.port ?? null,
      smtp_security: smtp?.security ?? null,
      smtp_user: smtp?.user || null,
      smtp_password: password,
      mail_from: smtp?.from ?? null,
      invitation_hours: input.invitationHours ?? before.invitationHours,
      updated_at: at,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('account_security')
        .values({ account_id: actor.accountId, ...values })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
        .execute();
      // Mails that waited for a mail server go out now.
      if (smtp) {
        await trx
          .updateTable('mail_outbox')
          .set({ status: 'queued', next_attempt_at: at, attempts: 0, last_error: null })
          .where('account_id', '=', actor.accountId)
          .where('status', '=', 'outbox')
          .execute();
      }
      const after = { ...before, smtp: smtp ? { ...smtp, password: undefined, passwordSet: Boolean(password) } : null };
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'mail.settings_update',
        target: { type: 'account', id: actor.accountId, label: 'mail' },
        before: { smtp: before.smtp, invitationHours: before.invitationHours },
        after: {
          smtp: after.smtp,
          invitationHours: values.invitation_hours,
          ...(smtp?.password !== undefined ? { passwordChanged: true } : {}),
        },
        ip,
      });
    });
    this.outbox.queued();
    return this.settings(actor);
  }

  async list(actor: Actor, query: { status?: string; limit?: number; before?: number }) {
    manage(actor);
    const limit = query.limit ?? 50;
    let q = this.db
      .selectFrom('mail_outbox')
      .leftJoin('users', 'users.id', 'mail_outbox.user_id')
      .selectAll('mail_outbox')
      .select(['users.username', 'users.is_owner', 'users.access_type', 'users.department'])
      .where('mail_outbox.account_id', '=', actor.accountId)
      .orderBy('mail_outbox.id', 'desc')
      .limit(limit + 1);
    if (query.status) q = q.where('mail_outbox.status', '=', query.status);
    if (query.before) q = q.where('mail_outbox.id', '<', query.before);
    const rows = await q.execute();
    const counts = await this.db
      .selectFrom('mail_outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', actor.accountId)
      .groupBy('status')
      .execute();
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => {
        // A link lets its holder choose the user's password: only someone who may change that user sees it.
        const mayHold =
          row.user_id === null ||
          can(actor, 'user.update', 'user', {
            id: row.user_id,
            accountId: actor.accountId,
            isOwner: row.is_owner === 1,
            isAdmin: row.access_type === 'admin',
            department: row.department ?? undefined,
          });
        return {
          id: row.id,
          to: row.to_address,
          user: row.user_id !== null && row.username ? { id: row.user_id, username: row.username } : null,
          kind: row.kind,
          language: row.language,
          subject: row.subject,
          text: mayHold || !row.link ? row.text_body : row.text_body.split(row.link).join('[link hidden]'),
          link: mayHold ? row.link : null,
          linkHidden: !mayHold && row.link !== null,
          status: row.status as 'queued' | 'sent' | 'failed' | 'outbox',
          attempts: row.attempts,
          lastError: row.last_error,
          createdAt: row.created_at,
          sentAt: row.sent_at,
          nextAttemptAt: row.status === 'queued' ? row.next_attempt_at : null,
        };
      }),
      nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      counts: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])),
    };
  }

  /** Puts a failed mail back in the queue, to be tried again at once. */
  async retry(actor: Actor, id: number, ip?: string | null) {
    manage(actor);
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('mail_outbox')
        .set({ status: 'queued', attempts: 0, next_attempt_at: this.now().toISOString(), last_error: null })
        .where('id', '=', id)
        .where('account_id', '=', actor.accountId)
        .where('status', 'in', ['failed', 'outbox'])
        .returning(['id', 'to_address', 'subject'])
        .executeTakeFirst();
      if (!row) return null;
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'mail.retry',
        target: { type: 'mail', id: row.id, label: row.subject },
        ip,
      });
      return row;
    });
    if (!updated) throw notFound('Failed mail');
    this.outbox.queued();
  }

  /** Queues a test mail to the admin (or the address given). */
  async sendTest(actor: Actor, to: string | undefined, accountName: string) {
    manage(actor);
    const me = await this.db
      .selectFrom('users')
      .select(['email', 'first_name', 'language'])
      .where('id', '=', actor.userId)
      .executeTakeFirstOrThrow();
    const address = to ?? me.email;
    if (!address) {
      throw new AppError(400, 'EmailRequired', 'Give an address: you have no email', [
        { path: 'to', message: 'Give an address: you have no email' },
      ]);
    }
    await this.db.transaction().execute(async (trx) => {
      await this.outbox.queue(trx, {
        accountId: actor.accountId,
        userId: to ? null : actor.userId,
        to: address,
        kind: 'test',
        language: me.language,
        values: { name: me.first_name || actor.username, account: accountName },
      });
    });
    this.outbox.queued();
    return { to: address };
  }
}
