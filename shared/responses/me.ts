// What the API answers about one's own security: one-time codes, sessions, sign-in history.
import { z } from 'zod';

export const OtpStatusSchema = z
  .object({
    configured: z.boolean(),
    configuredAt: z.string().nullable(),
    recoveryCodesLeft: z.number().int(),
  })
  .meta({ id: 'OtpStatus' });

export const OtpSetupSchema = z.object({
  secret: z.string().describe('Base32 secret to type into an authenticator app'),
  uri: z.string().describe('otpauth:// URI (what the QR code holds)'),
  qrSvg: z.string().describe('The QR code as an SVG document'),
});

export const RecoveryCodesSchema = z.object({
  recoveryCodes: z.array(z.string()).describe('Ten single-use codes, shown this once'),
});

export const MySessionSchema = z.object({
  id: z.string().describe('An opaque id for this session (not its token)'),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  method: z.string().describe('password, otp, recovery_code or sso'),
  current: z.boolean(),
});
export const MySessionsSchema = z.object({ items: z.array(MySessionSchema) });

export const SignInEventSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  action: z.string(),
  ip: z.string().nullable(),
  method: z.string().nullable(),
});
export const SignInHistorySchema = z.object({ items: z.array(SignInEventSchema) });

export const SecondFactorSettingsSchema = z.object({ requireAdminOtp: z.boolean() });
export type OtpStatus = z.output<typeof OtpStatusSchema>;
export type MySession = z.output<typeof MySessionSchema>;
