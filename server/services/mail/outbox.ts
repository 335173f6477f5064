// Mail: written to the outbox in the transaction of the change that causes it, delivered after commit by the sender
// (mail/sender.ts). With no mail server configured, mails stay in the outbox, where the account's admins read them.
import type { Db } from '../../db/index.js';
import { type MailKind, type MailValues, renderMail } from './templates.js';

export interface MailToQueue {
  accountId: number;
  userId: number | null;
  to: string;
  kind: MailKind;
  /** The recipient's language (empty = English). */
  language: string | null | undefined;
  values: MailValues;
}

export type MailStatus = 'queued' | 'sent' | 'failed' | 'outbox';

/** What replaces a single-use link in a mail once it has been delivered: only its recipient should hold it. */
export const DELIVERED_LINK = '[link delivered by mail]';

export class Outbox {
  /** Called after a commit that queued mail, so the sender of this process starts at once. */
  onQueued: () => void = () => {};

  constructor(private readonly now: () => Date) {}

  /** Writes a mail to the outbox inside the caller's transaction. */
  async queue(trx: Db, mail: MailToQueue): Promise<void> {
    await this.queueMany(trx, [mail]);
  }

  async queueMany(trx: Db, mails: MailToQueue[]): Promise<void> {
    if (mails.length === 0) return;
    const rows = this.rows(mails);
    // Batches keep each statement under both databases' parameter limits.
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .insertInto('mail_outbox')
        .values(rows.slice(i, i + 500))
        .execute();
    }
  }

  /** The outbox rows of these mails, written out (for statements built ahead, as an import does). */
  rows(mails: MailToQueue[]) {
    const at = this.now().toISOString();
    return mails.map((mail) => {
      const rendered = renderMail(mail.kind, mail.language, mail.values);
      return {
        account_id: mail.accountId,
        user_id: mail.userId,
        to_address: mail.to,
        kind: mail.kind,
        language: rendered.language,
        subject: rendered.subject,
        text_body: rendered.text,
        html_body: rendered.html,
        link: mail.values.link ?? null,
        status: 'queued',
        attempts: 0,
        next_attempt_at: at,
        claimed_until: null,
        last_error: null,
        created_at: at,
        sent_at: null,
      };
    });
  }

  /** Tells this process's sender there is mail; call it after the transaction that queued mail has committed. */
  queued(): void {
    this.onQueued();
  }
}
