// Mail settings, the outbox and test mail (admins who manage the account's sign-in security).
import { createRoute } from '@hono/zod-openapi';
import { mailSettingsSchema, outboxQuerySchema, testMailSchema } from '../../shared/mail-schemas.js';
import { MailSentSchema, MailSettingsSchema, OutboxPageSchema } from '../../shared/responses/mail.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, errors, IdParams, json, missing } from './schemas.js';

export function mailRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/mail/settings',
      tags: ['Mail'],
      summary: "The account's mail server (never its password) and whether mail leaves Roster",
      responses: { 200: json(MailSettingsSchema, 'Mail settings'), ...errors },
    }),
    async (c) => c.json(await ctx.mail.settings(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/mail/settings',
      tags: ['Mail'],
      summary: "Set the account's mail server (smtp null = the server's) and how long invitations work",
      request: { body: body(mailSettingsSchema) },
      responses: { 200: json(MailSettingsSchema, 'Saved'), ...errors },
    }),
    async (c) => c.json(await ctx.mail.saveSettings(requireSession(c).actor, c.req.valid('json'), c.get('ip')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/mail/test',
      tags: ['Mail'],
      summary: 'Send a test mail to yourself (or to the address given)',
      request: { body: body(testMailSchema) },
      responses: { 202: json(MailSentSchema, 'Queued'), ...errors },
    }),
    async (c) => {
      const session = requireSession(c);
      return c.json(await ctx.mail.sendTest(session.actor, c.req.valid('json').to, session.account.name), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/mail/outbox',
      tags: ['Mail'],
      summary: "The account's mails, newest first: who, subject, body, link (until delivered), sent or failed",
      request: { query: outboxQuerySchema },
      responses: { 200: json(OutboxPageSchema, 'Mails'), ...errors },
    }),
    async (c) => c.json(await ctx.mail.list(requireSession(c).actor, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/mail/outbox/{id}/retry',
      tags: ['Mail'],
      summary: 'Try a failed mail again now',
      request: { params: IdParams },
      responses: { 204: { description: 'Queued again' }, ...errors, ...missing('failed mail') },
    }),
    async (c) => {
      await ctx.mail.retry(requireSession(c).actor, c.req.valid('param').id, c.get('ip'));
      return c.body(null, 204);
    },
  );

  return app;
}
