// Licenses: the account's pools, a user's licenses, and Voice Analytics minutes used.
import { createRoute } from '@hono/zod-openapi';
import { licenseGrantSchema, poolSchema, usageSchema } from '../../shared/access-schemas.js';
import type { AppContext } from '../context.js';
import { requireCaller } from '../http/caller.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { callerAccount } from '../services/decisions.js';
import {
  AppParams,
  LicenseOverviewItemSchema,
  LicenseOverviewSchema,
  MinutesUsageSchema,
  UserAppParams,
  UserLicensesSchema,
} from './access-schemas.js';
import { body, conflicting, errors, IdParams, json, missing } from './schemas.js';

export function licenseRoutes(ctx: AppContext) {
  const app = router();
  const meta = (c: { get(key: 'ip'): string | null }) => ({ ip: c.get('ip') });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/licenses',
      tags: ['Licenses'],
      summary: "Each application's pool and how much of it is used",
      responses: { 200: json(LicenseOverviewSchema, 'Licenses'), ...errors },
    }),
    async (c) => c.json(await ctx.licenses.overview(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/licenses/pools/{app}',
      tags: ['Licenses'],
      summary: 'Create or resize a pool: seats, or minutes for Voice Analytics',
      description: 'A pool cannot be made smaller than what is in use (`PoolBelowUse`).',
      request: { params: AppParams, body: body(poolSchema) },
      responses: {
        200: json(LicenseOverviewItemSchema, 'The pool'),
        ...errors,
        ...conflicting('Smaller than what is in use (PoolBelowUse)'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.licenses.setPool(requireSession(c).actor, c.req.valid('param').app, c.req.valid('json'), meta(c)),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/licenses/pools/{app}',
      tags: ['Licenses'],
      summary: 'Remove a pool (licenses stay; they are no longer counted against seats)',
      request: { params: AppParams },
      responses: { 204: { description: 'Removed' }, ...errors, ...missing('license pool') },
    }),
    async (c) => {
      await ctx.licenses.removePool(requireSession(c).actor, c.req.valid('param').app, meta(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/licenses/usage',
      tags: ['Licenses'],
      summary: 'Report Voice Analytics minutes used for a user (refused beyond the pool)',
      description: 'Called by Voice Analytics with its application key, or by an admin.',
      request: { body: body(usageSchema) },
      responses: {
        200: json(MinutesUsageSchema, 'Pool'),
        ...errors,
        ...missing('user or Voice Analytics minutes pool'),
        ...conflicting('Not licensed (NotLicensed), or beyond the pool'),
      },
    }),
    async (c) => {
      const caller = requireCaller(c);
      const principal = caller.kind === 'user' ? caller.actor : { apiKeyAccountId: caller.key.accountId };
      const input = c.req.valid('json');
      return c.json(
        await ctx.licenses.consumeMinutes(principal, callerAccount(caller), input.userId, input.minutes),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/licenses',
      tags: ['Licenses'],
      summary: "A user's license for each application",
      request: { params: IdParams },
      responses: { 200: json(UserLicensesSchema, 'Licenses'), ...errors, ...missing('user') },
    }),
    async (c) => c.json(await ctx.licenses.forUser(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/licenses',
      tags: ['Licenses'],
      summary: 'License a user for an application (refused when its pool is full)',
      request: { params: IdParams, body: body(licenseGrantSchema) },
      responses: {
        200: json(UserLicensesSchema, 'Licenses'),
        ...errors,
        ...missing('user'),
        ...conflicting('The pool has no seat left (LicensePoolExhausted)'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.licenses.grant(
          requireSession(c).actor,
          c.req.valid('param').id,
          c.req.valid('json').application,
          meta(c),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}/licenses/{app}',
      tags: ['Licenses'],
      summary: "Revoke a user's license (frees a seat of the pool)",
      request: { params: UserAppParams },
      responses: { 200: json(UserLicensesSchema, 'Licenses'), ...errors, ...missing('user') },
    }),
    async (c) => {
      const { id, app: key } = c.req.valid('param');
      return c.json(await ctx.licenses.revoke(requireSession(c).actor, id, key, meta(c)), 200);
    },
  );

  return app;
}
