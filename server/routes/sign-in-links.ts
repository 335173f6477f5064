// Invitations, password resets (asked for by the user or started by an admin) and email verification: the links
// mails carry, and what their pages call.
import { createRoute } from '@hono/zod-openapi';
import {
  forgotPasswordSchema,
  linkInspectSchema,
  linkPasswordSchema,
  linkVerifySchema,
} from '../../shared/mail-schemas.js';
import { AcceptedSchema, LinkInfoSchema, MailSentSchema, PasswordChosenSchema } from '../../shared/responses/mail.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { Throttle } from '../services/throttle.js';
import { body, ErrorSchema, errors, IdParams, json, missing } from './schemas.js';

/** Requests to the public link pages one client address may make in 15 minutes. */
const LINK_REQUESTS_PER_ADDRESS = 30;

const limited = { 429: json(ErrorSchema, 'Too many requests from this address (RateLimited; see Retry-After)') };
const gone = { 404: json(ErrorSchema, 'LinkInvalid'), 410: json(ErrorSchema, 'LinkUsed or LinkExpired') };

export function signInLinkRoutes(ctx: AppContext) {
  const app = router();
  const throttle = new Throttle(ctx.database.db, () => ctx.clock.now());
  const perAddress = async (ip: string | null | undefined, what: string, limit: number) => {
    if (ip)
      await throttle.enforce(`${what}:ip:${ip}`, limit, 15, 'Too many requests from your address: wait a few minutes');
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/invitation',
      tags: ['Users'],
      summary: 'Mail the user an invitation with a link to choose their password (Status shows Invited)',
      request: { params: IdParams },
      responses: { 202: json(MailSentSchema, 'Invitation queued'), ...errors, ...missing('user') },
    }),
    async (c) =>
      c.json(await ctx.signInLinks.invite(requireSession(c).actor, c.req.valid('param').id, c.get('ip')), 202),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/password-reset',
      tags: ['Users'],
      summary: 'Mail the user a link to choose a new password themselves (30 minutes, single use)',
      request: { params: IdParams },
      responses: {
        202: json(MailSentSchema, 'Reset link queued'),
        ...errors,
        ...missing('user'),
        409: json(ErrorSchema, 'SingleSignOnUser'),
      },
    }),
    async (c) =>
      c.json(await ctx.signInLinks.adminReset(requireSession(c).actor, c.req.valid('param').id, c.get('ip')), 202),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/forgot-password',
      tags: ['Auth'],
      summary: 'Ask for a password-reset link by mail; the answer is the same whether or not the user exists',
      request: { body: body(forgotPasswordSchema) },
      responses: { 202: json(AcceptedSchema, 'Accepted'), ...errors, ...limited },
    }),
    async (c) => {
      const input = c.req.valid('json');
      await perAddress(c.get('ip'), 'forgot', 10);
      const slug = input.account || (await ctx.accounts.first())?.slug || '';
      ctx.signInLinks.forgotPassword(slug, input.login, c.get('ip') ?? null);
      return c.json(
        {
          message:
            'If a user with that username or email exists and has an email address, a link to choose a new password is on its way. It works for 30 minutes.',
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/links/inspect',
      tags: ['Auth'],
      summary: 'What a link from a mail is for, and whether it still works (it is not used by this)',
      request: { body: body(linkInspectSchema) },
      responses: { 200: json(LinkInfoSchema, 'The link'), ...errors, ...gone, ...limited },
    }),
    async (c) => {
      await perAddress(c.get('ip'), 'links', LINK_REQUESTS_PER_ADDRESS);
      const input = c.req.valid('json');
      return c.json(await ctx.signInLinks.inspect(input.token, input.purpose), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/links/password',
      tags: ['Auth'],
      summary: 'Choose a password through an invitation or reset link; ends every session of the user',
      request: { body: body(linkPasswordSchema) },
      responses: {
        200: json(PasswordChosenSchema, 'Password chosen: sign in with it'),
        ...errors,
        ...gone,
        409: json(ErrorSchema, "SingleSignOnUser; DirectoryPassword: the user's password is their directory's"),
        ...limited,
      },
    }),
    async (c) => {
      await perAddress(c.get('ip'), 'links', LINK_REQUESTS_PER_ADDRESS);
      const input = c.req.valid('json');
      return c.json(await ctx.signInLinks.choosePassword(input.token, input.purpose, input.password, c.get('ip')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/links/verify-email',
      tags: ['Auth'],
      summary: 'Confirm an email address through the link mailed to it',
      request: { body: body(linkVerifySchema) },
      responses: {
        200: json(MailSentSchema.describe('The confirmed address'), 'Confirmed'),
        ...errors,
        ...gone,
        409: json(ErrorSchema, 'EmailChanged: the address changed after the link was sent'),
        ...limited,
      },
    }),
    async (c) => {
      await perAddress(c.get('ip'), 'links', LINK_REQUESTS_PER_ADDRESS);
      const { email } = await ctx.signInLinks.verifyEmail(c.req.valid('json').token, c.get('ip'));
      return c.json({ to: email }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/verify-email',
      tags: ['Me'],
      summary: 'Mail yourself a link to confirm your email address (the Verify Email required action)',
      responses: { 202: json(MailSentSchema, 'Link queued'), ...errors, ...limited },
    }),
    async (c) => {
      const session = requireSession(c, { allowPending: true });
      return c.json(await ctx.signInLinks.sendVerification(session.user.id, c.get('ip')), 202);
    },
  );

  return app;
}
