// Mail settings and outbox, as the API answers them.
import { z } from 'zod';
import { MAIL_STATUSES, SMTP_SECURITIES } from '../mail-schemas.js';
import { PasswordPolicyViewSchema } from './security.js';

export const MailSettingsSchema = z
  .object({
    smtp: z
      .object({
        host: z.string(),
        port: z.number().int(),
        security: z.enum(SMTP_SECURITIES),
        user: z.string().nullable(),
        passwordSet: z.boolean().describe('Whether a password is stored (it is never returned)'),
        from: z.string(),
      })
      .nullable()
      .describe("The account's own mail server; null = the server's, if any"),
    serverSmtp: z
      .object({ host: z.string(), port: z.number().int() })
      .nullable()
      .describe('The mail server set in the environment (ROSTER_SMTP_HOST), used by accounts that set none'),
    delivers: z.boolean().describe('Whether mails leave Roster; false = they stay in the outbox'),
    invitationHours: z.number().int(),
  })
  .meta({ id: 'MailSettings' });

export const OutboxMailSchema = z
  .object({
    id: z.number().int(),
    to: z.string(),
    user: z.object({ id: z.number().int(), username: z.string() }).nullable(),
    kind: z.string(),
    language: z.string(),
    subject: z.string(),
    text: z.string(),
    link: z
      .string()
      .nullable()
      .describe('The single-use link the mail carries, until it is delivered; null when there is none or it is hidden'),
    linkHidden: z.boolean().describe("A link you may not see: the mail is for a user you cannot manage (the owner's)"),
    status: z.enum(MAIL_STATUSES),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
  })
  .meta({ id: 'OutboxMail' });

export const OutboxPageSchema = z.object({
  items: z.array(OutboxMailSchema),
  nextBefore: z.number().int().nullable(),
  counts: z.record(z.string(), z.number().int()),
});
export type OutboxMail = z.output<typeof OutboxMailSchema>;
export type MailSettings = z.output<typeof MailSettingsSchema>;

export const LinkInfoSchema = z
  .object({
    purpose: z.enum(['invitation', 'password_reset', 'verify_email']),
    state: z.enum(['valid', 'used', 'expired']),
    username: z.string().optional().describe('Whom the link is for: only while it works'),
    account: z.object({ slug: z.string(), name: z.string() }),
    email: z.string().nullable().optional().describe('Only while the link works'),
    passwordPolicy: PasswordPolicyViewSchema.nullable().describe(
      'The rules of the password this link chooses (invitation and reset links that still work); null otherwise',
    ),
  })
  .meta({ id: 'LinkInfo' });

export const PasswordChosenSchema = z.object({
  username: z.string(),
  account: z.object({ slug: z.string(), name: z.string() }),
});

export const MailSentSchema = z.object({ to: z.string().describe('Where the mail goes') });
export const AcceptedSchema = z.object({ message: z.string() });
