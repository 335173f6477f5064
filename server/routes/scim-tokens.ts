// SCIM tokens: created by an admin (shown once), listed by hint, revoked. The SCIM API itself lives under /scim/v2.
import { createRoute } from '@hono/zod-openapi';
import { NewScimTokenSchema, ScimTokenListSchema, scimTokenCreateSchema } from '../../shared/responses/scim-tokens.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, errors, IdParams, json, missing } from './schemas.js';

const WHO = 'Admins who manage every user (a SCIM client may create and change any user of the account).';

export function scimTokenRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/scim-tokens',
      tags: ['SCIM tokens'],
      summary: "The account's SCIM tokens (never the tokens themselves)",
      description: WHO,
      responses: { 200: json(ScimTokenListSchema, 'Tokens'), ...errors },
    }),
    async (c) => {
      const items = await ctx.scimTokens.list(requireSession(c).actor);
      const base = ctx.config.publicUrl ?? new URL(c.req.url).origin;
      return c.json({ items, baseUrl: `${base.replace(/\/+$/, '')}/scim/v2` }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/scim-tokens',
      tags: ['SCIM tokens'],
      summary: 'Create a SCIM token; the response is the only time the token is shown',
      description: `${WHO} The identity provider sends it as \`Authorization: Bearer …\` to \`/scim/v2\`.`,
      request: { body: body(scimTokenCreateSchema) },
      responses: { 201: json(NewScimTokenSchema, 'Created'), ...errors },
    }),
    async (c) =>
      c.json(await ctx.scimTokens.create(requireSession(c).actor, c.req.valid('json').name, { ip: c.get('ip') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/scim-tokens/{id}',
      tags: ['SCIM tokens'],
      summary: 'Revoke a SCIM token: the identity provider using it is refused from now on',
      description: WHO,
      request: { params: IdParams },
      responses: { 204: { description: 'Revoked' }, ...errors, ...missing('SCIM token') },
    }),
    async (c) => {
      await ctx.scimTokens.revoke(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  return app;
}
