// Profiles over HTTP: list, read, create, edit (never the name), delete.
import { createRoute } from '@hono/zod-openapi';
import { profileCreateSchema, profileUpdateSchema } from '../../shared/profile-schemas.js';
import { ProfileListSchema, ProfileSchema } from '../../shared/responses/profiles.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, conflicting, errors, IdParams, json, missing } from './schemas.js';

export function profileRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/profiles',
      tags: ['Profiles'],
      summary: 'The account’s profiles, with each module’s access and how many users have each',
      responses: { 200: json(ProfileListSchema, 'Profiles'), ...errors },
    }),
    async (c) => c.json(await ctx.profiles.list(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/profiles',
      tags: ['Profiles'],
      summary: 'Create a profile (a module left out is Not allowed)',
      request: { body: body(profileCreateSchema) },
      responses: {
        201: json(ProfileSchema, 'Created'),
        ...errors,
        ...conflicting('A profile of that name exists (ProfileNameTaken)'),
      },
    }),
    async (c) =>
      c.json(await ctx.profiles.create(requireSession(c).actor, c.req.valid('json'), { ip: c.get('ip') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/profiles/{id}',
      tags: ['Profiles'],
      summary: 'Read a profile',
      request: { params: IdParams },
      responses: { 200: json(ProfileSchema, 'The profile'), ...errors, ...missing('profile') },
    }),
    async (c) => c.json(await ctx.profiles.get(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/profiles/{id}',
      tags: ['Profiles'],
      summary: 'Edit a profile’s description and modules (the name cannot change)',
      request: { params: IdParams, body: body(profileUpdateSchema) },
      responses: { 200: json(ProfileSchema, 'Updated'), ...errors, ...missing('profile') },
    }),
    async (c) =>
      c.json(
        await ctx.profiles.update(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json'), {
          ip: c.get('ip'),
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/profiles/{id}',
      tags: ['Profiles'],
      summary: 'Delete a profile that no user has',
      request: { params: IdParams },
      responses: {
        204: { description: 'Deleted' },
        ...errors,
        ...missing('profile'),
        ...conflicting('Users have this profile (ProfileInUse)'),
      },
    }),
    async (c) => {
      await ctx.profiles.remove(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  return app;
}
