// Delivers the outbox: claims due mails (a claim is one conditional update, so several processes never send the same
// mail), sends each through the account's mail server (or the server-wide one), and retries failures with backoff.
// A mail server that is down or hangs loses nothing: the mail waits and is tried again, up to MAX_ATTEMPTS times.
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpSettings } from '../../config.js';
import type { Db } from '../../db/index.js';
import { DELIVERED_LINK } from './outbox.js';

export const MAX_ATTEMPTS = 8;
const BATCH = 100;
const PARALLEL = 10;
const CLAIM_MS = 120_000;
const POLL_MS = 2_000;
/** How often mails left in the outbox are checked against accounts that now have a mail server. */
const SWEEP_MS = 10_000;

/** Seconds before the next try after `attempts` failures: 30 s, 1, 2, 4... minutes, at most an hour. */
export const backoffSeconds = (attempts: number) => Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));

/** The mail server an account's mails go through: its own, else the server's, else none (they stay in the outbox). */
export async function smtpFor(db: Db, accountId: number, fallback: SmtpSettings | null): Promise<SmtpSettings | null> {
  const own = await db
    .selectFrom('account_security')
    .select(['smtp_host', 'smtp_port', 'smtp_security', 'smtp_user', 'smtp_password', 'mail_from'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (own?.smtp_host) {
    return {
      host: own.smtp_host,
      port: own.smtp_port ?? 587,
      security: (own.smtp_security ?? 'starttls') as SmtpSettings['security'],
      user: own.smtp_user,
      password: own.smtp_password,
      from: own.mail_from || `Roster <roster@${own.smtp_host}>`,
    };
  }
  return fallback;
}

export function createTransport(smtp: SmtpSettings, options: { pool?: boolean; timeoutMs?: number } = {}): Transporter {
  const timeout = options.timeoutMs ?? 10_000;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    pool: options.pool ?? true,
    maxConnections: 5,
    maxMessages: Number.POSITIVE_INFINITY,
    // A server that accepts the connection and then says nothing must not hold a mail for long.
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
  });
}

const settingsKey = (s: SmtpSettings) => JSON.stringify([s.host, s.port, s.security, s.user, s.password]);

export class MailSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private lastSweep = 0;
  private readonly transports = new Map<string, Transporter>();

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly fallback: () => SmtpSettings | null,
    /** How long a mail server may stay silent before the attempt counts as failed. */
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * Polls the outbox until stopped (mail queued by other processes is found within POLL_MS). Mails that waited for a
   * mail server go out once the server has one (the first round looks for them).
   */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => 0);
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
  }

  /** Starts a delivery round now, or right after the one running. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((error: Error) => {
        console.error(`[roster] mail delivery round failed: ${error.message}`);
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the round in progress, then sends whatever is still due (tests, and a clean shutdown). */
  async flush(): Promise<number> {
    while (this.running) await this.running;
    return this.deliverDue();
  }

  /** Sends every mail that is due; returns how many were delivered. */
  async deliverDue(): Promise<number> {
    if (Date.now() - this.lastSweep >= SWEEP_MS) {
      this.lastSweep = Date.now();
      await this.requeueWaiting();
    }
    let delivered = 0;
    for (;;) {
      const claimed = await this.claim();
      if (claimed.length === 0) return delivered;
      const queue = [...claimed];
      await Promise.all(
        Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
          for (let mail = queue.shift(); mail; mail = queue.shift()) {
            if (await this.deliver(mail)) delivered++;
          }
        }),
      );
    }
  }

  /**
   * Mails left in the outbox of an account that has a mail server go out. Saving the settings does this at once; this
   * catches a mail that a delivery round found without a server while the settings were being saved.
   */
  async requeueWaiting(): Promise<void> {
    let query = this.db
      .updateTable('mail_outbox')
      .set({ status: 'queued', next_attempt_at: this.now().toISOString() })
      .where('status', '=', 'outbox');
    if (!this.fallback()) {
      query = query.where('account_id', 'in', (eb) =>
        eb.selectFrom('account_security').select('account_id').where('smtp_host', 'is not', null),
      );
    }
    await query.execute();
  }

  private async claim() {
    const now = this.now();
    const at = now.toISOString();
    const due = await this.db
      .selectFrom('mail_outbox')
      .select('id')
      .where('status', '=', 'queued')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]))
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (due.length === 0) return [];
    return this.db
      .updateTable('mail_outbox')
      .set({ claimed_until: new Date(now.getTime() + CLAIM_MS).toISOString() })
      .where(
        'id',
        'in',
        due.map((row) => row.id),
      )
      .where('status', '=', 'queued')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]))
      .returningAll()
      .execute();
  }

  private transportFor(smtp: SmtpSettings): Transporter {
    const key = settingsKey(smtp);
    let transport = this.transports.get(key);
    if (!transport) {
      transport = createTransport(smtp, { timeoutMs: this.timeoutMs });
      this.transports.set(key, transport);
    }
    return transport;
  }

  private async deliver(mail: Awaited<ReturnType<MailSender['claim']>>[number]): Promise<boolean> {
    const smtp = await smtpFor(this.db, mail.account_id, this.fallback());
    if (!smtp) {
      // No mail server: the mail stays readable in the outbox, and goes out once one is configured.
      await this.db
        .updateTable('mail_outbox')
        .set({ status: 'outbox', claimed_until: null })
        .where('id', '=', mail.id)
        .execute();
      return false;
    }
    try {
      await this.transportFor(smtp).sendMail({
        from: smtp.from,
        to: mail.to_address,
        subject: mail.subject,
        text: mail.text_body,
        html: mail.html_body,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    } catch (error) {
      const attempts = mail.attempts + 1;
      const failed = attempts >= MAX_ATTEMPTS;
      await this.db
        .updateTable('mail_outbox')
        .set({
          attempts,
          status: failed ? 'failed' : 'queued',
          next_attempt_at: new Date(this.now().getTime() + backoffSeconds(attempts) * 1000).toISOString(),
          claimed_until: null,
          last_error: describeFailure(error),
        })
        .where('id', '=', mail.id)
        .execute();
      return false;
    }
    // Delivered: the link now lives in the recipient's mailbox only.
    const redact = (body: string) => (mail.link ? body.split(mail.link).join(DELIVERED_LINK) : body);
    await this.db
      .updateTable('mail_outbox')
      .set({
        status: 'sent',
        attempts: mail.attempts + 1,
        sent_at: this.now().toISOString(),
        claimed_until: null,
        last_error: null,
        link: null,
        text_body: redact(mail.text_body),
        html_body: redact(mail.html_body),
      })
      .where('id', '=', mail.id)
      .execute();
    return true;
  }
}

/** A failure in words an admin can act on, without the server's credentials. */
export function describeFailure(error: unknown): string {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  if (e.code === 'ETIMEDOUT' || e.code === 'ETIMEOUT') return 'The mail server did not answer in time';
  if (e.code === 'ECONNREFUSED') return 'The mail server refused the connection (is it running on that host and port?)';
  if (e.code === 'EAUTH') return 'The mail server refused the user name or password';
  if (e.code === 'ESOCKET' || e.code === 'ECONNECTION')
    return `Could not talk to the mail server (${e.message ?? e.code})`;
  if (e.responseCode) return `The mail server refused the mail: ${(e.response ?? '').slice(0, 300)}`;
  return (e.message ?? String(error)).slice(0, 300);
}
