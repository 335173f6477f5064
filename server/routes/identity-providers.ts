// Identity providers for single sign-on (an account's OpenID Connect providers) and the identities bound to a user.
import { createRoute, z } from '@hono/zod-openapi';
import {
  IdentityProviderListSchema,
  IdentityProviderSchema,
  UserIdentityListSchema,
} from '../../shared/responses/sso.js';
import { identityProviderCreateSchema, identityProviderUpdateSchema } from '../../shared/sso-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, conflicting, errors, IdParams, idParam, json, missing } from './schemas.js';
import { ssoRedirectUri } from './sso.js';

const UserProviderParams = z.object({ id: idParam('id'), providerId: idParam('providerId', 7) });

export function identityProviderRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/identity-providers',
      tags: ['Single sign-on'],
      summary: "The account's identity providers (never their client secrets) and the redirect URI to register",
      responses: { 200: json(IdentityProviderListSchema, 'Identity providers'), ...errors },
    }),
    async (c) =>
      c.json(
        { items: await ctx.identityProviders.list(requireSession(c).actor), redirectUri: ssoRedirectUri(c, ctx) },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/identity-providers',
      tags: ['Single sign-on'],
      summary: "Add an identity provider; its issuer's discovery document is read first (a 400 naming issuer if not)",
      request: { body: body(identityProviderCreateSchema) },
      responses: {
        201: json(IdentityProviderSchema, 'Created'),
        ...errors,
        ...conflicting('Another provider of the account has this slug (SlugTaken)'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.identityProviders.create(requireSession(c).actor, c.req.valid('json'), { ip: c.get('ip') }),
        201,
      ),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/identity-providers/{id}',
      tags: ['Single sign-on'],
      summary: 'Change an identity provider; a blank or absent client secret keeps the current one',
      request: { params: IdParams, body: body(identityProviderUpdateSchema) },
      responses: {
        200: json(IdentityProviderSchema, 'Changed'),
        ...errors,
        ...missing('identity provider'),
        ...conflicting('Another provider of the account has this slug (SlugTaken)'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.identityProviders.update(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json'), {
          ip: c.get('ip'),
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/identity-providers/{id}',
      tags: ['Single sign-on'],
      summary: 'Delete an identity provider and the identities bound through it',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...errors, ...missing('identity provider') },
    }),
    async (c) => {
      await ctx.identityProviders.remove(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/identities',
      tags: ['Single sign-on'],
      summary: "The provider identities bound to a user (they sign the user in whatever the user's method)",
      request: { params: IdParams },
      responses: { 200: json(UserIdentityListSchema, 'Bound identities'), ...errors, ...missing('user') },
    }),
    async (c) =>
      c.json({ items: await ctx.identityProviders.identities(requireSession(c).actor, c.req.valid('param').id) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}/identities/{providerId}',
      tags: ['Single sign-on'],
      summary: "Unlink a user's identity at a provider (the next sign-in through it links or creates anew, if allowed)",
      request: { params: UserProviderParams },
      responses: { 204: { description: 'Unlinked' }, ...errors, ...missing('user or linked identity') },
    }),
    async (c) => {
      const { id, providerId } = c.req.valid('param');
      await ctx.identityProviders.unlink(requireSession(c).actor, id, providerId, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  return app;
}
