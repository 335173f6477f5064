// Application keys: created by an admin (shown once), listed by hint, revoked.
import { createRoute } from '@hono/zod-openapi';
import { apiKeyCreateSchema } from '../../shared/access-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { ApiKeyListSchema, NewApiKeySchema } from './access-schemas.js';
import { body, errors, IdParams, json, missing } from './schemas.js';

export function apiKeyRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api-keys',
      tags: ['Application keys'],
      summary: "The account's application keys (never the keys themselves)",
      responses: { 200: json(ApiKeyListSchema, 'Keys'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.apiKeys.list(requireSession(c).actor) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api-keys',
      tags: ['Application keys'],
      summary: 'Create an application key; the response is the only time the key is shown',
      request: { body: body(apiKeyCreateSchema) },
      responses: { 201: json(NewApiKeySchema, 'Created'), ...errors },
    }),
    async (c) =>
      c.json(await ctx.apiKeys.create(requireSession(c).actor, c.req.valid('json').name, { ip: c.get('ip') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api-keys/{id}',
      tags: ['Application keys'],
      summary: 'Revoke an application key',
      request: { params: IdParams },
      responses: { 204: { description: 'Revoked' }, ...errors, ...missing('application key') },
    }),
    async (c) => {
      await ctx.apiKeys.revoke(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  return app;
}
