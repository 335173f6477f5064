// An admin's saved filters on the user list.
import { createRoute, z } from '@hono/zod-openapi';
import { savedFilterCreateSchema } from '../../shared/schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import {
  body,
  conflicting,
  errors,
  IdParams,
  json,
  missing,
  SavedFilterListSchema,
  SavedFilterSchema,
} from './schemas.js';

export function savedFilterRoutes(ctx: AppContext) {
  const app = router();
  const admin = (c: Parameters<typeof requireSession>[0]) => requireSession(c).actor;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/saved-filters',
      tags: ['Saved filters'],
      summary: 'Your saved filters',
      responses: { 200: json(SavedFilterListSchema, 'Saved filters'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.savedFilters.list(admin(c)) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/saved-filters',
      tags: ['Saved filters'],
      summary: 'Save the current filter under a name',
      request: { body: body(savedFilterCreateSchema) },
      responses: {
        201: json(SavedFilterSchema, 'Saved'),
        ...errors,
        ...conflicting('You already have a filter of that name (FilterNameTaken)'),
      },
    }),
    async (c) => c.json(await ctx.savedFilters.create(admin(c), c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/saved-filters/{id}',
      tags: ['Saved filters'],
      summary: 'Make a saved filter your default view, or unset it',
      request: { params: IdParams, body: body(z.object({ isDefault: z.boolean() }).strict()) },
      responses: { 200: json(SavedFilterSchema, 'Updated'), ...errors, ...missing('saved filter') },
    }),
    async (c) =>
      c.json(await ctx.savedFilters.setDefault(admin(c), c.req.valid('param').id, c.req.valid('json').isDefault), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/saved-filters/{id}',
      tags: ['Saved filters'],
      summary: 'Delete a saved filter',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...errors, ...missing('saved filter') },
    }),
    async (c) => {
      await ctx.savedFilters.remove(admin(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  return app;
}
