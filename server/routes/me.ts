// One's own account: the second step of a sign-in, one-time code devices, name and language, sessions and sign-in
// history; an admin's view of a user's device; the account's second-factor setting.
import { createRoute, z } from '@hono/zod-openapi';
import {
  MySessionsSchema,
  OtpSetupSchema,
  OtpStatusSchema,
  RecoveryCodesSchema,
  SecondFactorSettingsSchema,
  SignInHistorySchema,
} from '../../shared/responses/me.js';
import {
  currentPasswordSchema,
  meUpdateSchema,
  otpConfirmSchema,
  secondFactorSchema,
  secondFactorSettingsSchema,
} from '../../shared/schemas.js';
import type { AppContext } from '../context.js';
import { unauthenticated } from '../errors.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { presentSession } from './auth.js';
import { body, ErrorSchema, errors, IdParams, json, missing, SessionSchema } from './schemas.js';

const limited = { 429: json(ErrorSchema, 'Too many wrong codes (RateLimited; see Retry-After)') };
const SessionIdParams = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{24}$/, 'A session id from GET /me/sessions')
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export function meRoutes(ctx: AppContext) {
  const app = router();
  const me = (c: Parameters<typeof requireSession>[0], pending = true) => {
    const session = requireSession(c, { allowPending: pending });
    return { actor: session.actor, user: session.user, account: session.account, session };
  };
  const token = (c: { get(key: 'token'): string | undefined }) => {
    const value = c.get('token');
    if (!value) throw unauthenticated();
    return value;
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/otp',
      tags: ['Auth'],
      summary: 'The second step of a sign-in: a code from the authenticator app, or a recovery code',
      request: { body: body(secondFactorSchema) },
      responses: { 200: json(SessionSchema, 'Signed in'), ...errors, ...limited },
    }),
    async (c) => {
      requireSession(c, { allowPending: true, allowCodeStep: true });
      const t = token(c);
      await ctx.auth.completeSecondFactor(t, c.req.valid('json'), { ip: c.get('ip') });
      const session = await ctx.auth.session(t);
      if (!session) throw unauthenticated();
      return c.json(presentSession(session), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/me',
      tags: ['Me'],
      summary: 'Change your own name, contact, language or time zone (and complete Update Profile or Update Locale)',
      request: { body: body(meUpdateSchema) },
      responses: { 200: json(SessionSchema, 'Saved'), ...errors },
    }),
    async (c) => {
      const { session } = me(c);
      await ctx.me.update(session, c.req.valid('json'), c.get('ip'));
      const fresh = await ctx.auth.session(token(c));
      if (!fresh) throw unauthenticated();
      return c.json(presentSession(fresh), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/otp',
      tags: ['Me'],
      summary: 'Whether you have a one-time code device, and how many recovery codes are left',
      responses: { 200: json(OtpStatusSchema, 'Status'), ...errors },
    }),
    async (c) => c.json(await ctx.otp.status(me(c).user.id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/otp/setup',
      tags: ['Me'],
      summary: 'Start setting up (or replacing) a device: its secret, otpauth URI and QR code',
      responses: { 200: json(OtpSetupSchema, 'A secret to confirm with one code'), ...errors },
    }),
    async (c) => c.json(await ctx.otp.setup(me(c)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/otp/confirm',
      tags: ['Me'],
      summary: 'Confirm the device with one code; returns ten recovery codes, shown this once',
      request: { body: body(otpConfirmSchema) },
      responses: { 200: json(RecoveryCodesSchema, 'Configured'), ...errors, 409: json(ErrorSchema, 'NoDeviceSetup') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      return c.json(await ctx.otp.confirm(me(c), input.code, input.currentPassword, c.get('ip')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/otp/recovery-codes',
      tags: ['Me'],
      summary: 'Ten new recovery codes (the old ones stop working)',
      request: { body: body(currentPasswordSchema) },
      responses: { 200: json(RecoveryCodesSchema, 'New codes'), ...errors, 409: json(ErrorSchema, 'OtpNotConfigured') },
    }),
    async (c) =>
      c.json(
        await ctx.otp.regenerateRecoveryCodes(me(c, false), c.req.valid('json').currentPassword, c.get('ip')),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/otp/remove',
      tags: ['Me'],
      summary: 'Remove your device (not when the account requires one of you)',
      request: { body: body(currentPasswordSchema) },
      responses: { 204: { description: 'Removed' }, ...errors, 409: json(ErrorSchema, 'OtpRequired') },
    }),
    async (c) => {
      await ctx.otp.remove(me(c, false), c.req.valid('json').currentPassword, c.get('ip'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/sessions',
      tags: ['Me'],
      summary: 'Your active sessions: where and when, and which is this one',
      responses: { 200: json(MySessionsSchema, 'Sessions'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.me.sessions(me(c, false).session, token(c)) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/me/sessions/{id}',
      tags: ['Me'],
      summary: 'Sign out one of your sessions',
      request: { params: SessionIdParams },
      responses: { 204: { description: 'Signed out' }, ...errors, ...missing('session') },
    }),
    async (c) => {
      await ctx.me.endSession(me(c, false).session, c.req.valid('param').id, c.get('ip'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/sessions/sign-out-others',
      tags: ['Me'],
      summary: 'Sign out every session but this one',
      responses: { 204: { description: 'Signed out' }, ...errors },
    }),
    async (c) => {
      await ctx.me.endOtherSessions(me(c, false).session, token(c), c.get('ip'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/sign-ins',
      tags: ['Me'],
      summary: 'Your last 50 sign-ins, failures, lockouts and second-factor changes',
      responses: { 200: json(SignInHistorySchema, 'History'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.me.signIns(me(c, false).session) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/otp',
      tags: ['Users'],
      summary: 'Whether a user has a one-time code device',
      request: { params: IdParams },
      responses: { 200: json(OtpStatusSchema, 'Status'), ...errors, ...missing('user') },
    }),
    async (c) => {
      const user = await ctx.users.get(requireSession(c).actor, c.req.valid('param').id);
      return c.json(await ctx.otp.status(user.id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}/otp',
      tags: ['Users'],
      summary: "Reset a user's one-time code device (a lost phone); they set up a new one if the account requires it",
      request: { params: IdParams },
      responses: {
        204: { description: 'Reset' },
        ...errors,
        ...missing('user'),
        409: json(ErrorSchema, 'OtpNotConfigured'),
      },
    }),
    async (c) => {
      await ctx.otp.adminReset(requireSession(c).actor, c.req.valid('param').id, c.get('ip'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/security/second-factor',
      tags: ['Security'],
      summary: 'Whether the account requires a one-time code of every admin',
      responses: { 200: json(SecondFactorSettingsSchema, 'Setting'), ...errors },
    }),
    async (c) => c.json(await ctx.me.secondFactorSettings(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/security/second-factor',
      tags: ['Security'],
      summary: 'Require (or not) a one-time code of every admin: those without one set it up at their next sign-in',
      request: { body: body(secondFactorSettingsSchema) },
      responses: { 200: json(SecondFactorSettingsSchema, 'Saved'), ...errors },
    }),
    async (c) =>
      c.json(
        await ctx.me.setSecondFactorSettings(requireSession(c).actor, c.req.valid('json').requireAdminOtp, c.get('ip')),
        200,
      ),
  );

  return app;
}
