// Mail settings and the outbox, as the API and the console's forms accept them.
import { z } from 'zod';

export const SMTP_SECURITIES = ['starttls', 'tls', 'none'] as const;
export const SMTP_SECURITY_LABELS: Record<(typeof SMTP_SECURITIES)[number], string> = {
  starttls: 'STARTTLS (port 587)',
  tls: 'TLS from the start (port 465)',
  none: 'None (trusted network only)',
};

// A host name or an IP address: letters, digits, dots, hyphens, colons (IPv6), brackets.
const hostName = z
  .string()
  .trim()
  .min(1, 'Host is required')
  .max(253, 'At most 253 characters')
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'A host name or IP address, such as smtp.example.com');

// "Name <address>" or a bare address.
const fromAddress = z
  .string()
  .trim()
  .max(320)
  .regex(/^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/, 'An address such as Roster <roster@example.com>');

export const mailSettingsSchema = z
  .object({
    /** null turns the account's own mail server off (the server's, if any, is used). */
    smtp: z
      .object({
        host: hostName,
        port: z.number().int().min(1, 'A port from 1 to 65535').max(65535, 'A port from 1 to 65535'),
        security: z.enum(SMTP_SECURITIES),
        user: z.string().trim().max(320).optional(),
        /** Left out = keep the stored password; empty = no password. Never returned. */
        password: z.string().max(1024).optional(),
        from: fromAddress,
      })
      .strict()
      .nullable(),
    invitationHours: z.number().int().min(1, 'At least 1 hour').max(720, 'At most 720 hours (30 days)').optional(),
  })
  .strict();
export type MailSettingsInput = z.input<typeof mailSettingsSchema>;

export const MAIL_STATUSES = ['queued', 'sent', 'failed', 'outbox'] as const;
export const MAIL_STATUS_LABELS: Record<(typeof MAIL_STATUSES)[number], string> = {
  queued: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  outbox: 'In the outbox',
};

export const outboxQuerySchema = z.object({
  status: z.enum(MAIL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  before: z.coerce.number().int().min(1).max(2147483647).optional(),
});

export const testMailSchema = z.object({ to: z.email('An email address').max(320).optional() }).strict();

// Invitations, forgotten passwords and email verification.
const token = z.string().min(1, 'The link has no token').max(200, 'The link is not valid');

export const forgotPasswordSchema = z
  .object({
    account: z.string().trim().max(100).optional(),
    login: z.string().trim().min(1, 'Your username or email is required').max(320),
  })
  .strict();

export const linkInspectSchema = z
  .object({ token, purpose: z.enum(['invitation', 'password_reset', 'verify_email']) })
  .strict();

export const linkPasswordSchema = z
  .object({
    token,
    purpose: z.enum(['invitation', 'password_reset']),
    password: z.string().min(1, 'Choose a password').max(256, 'At most 256 characters'),
  })
  .strict();

export const linkVerifySchema = z.object({ token }).strict();
