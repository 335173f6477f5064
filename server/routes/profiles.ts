// Profiles over HTTP: list, read, create, edit (never the name), delete.
import { createRoute, z } from '@hono/zod-openapi';
import {
  MODULE_ACCESS,
  PROFILE_MODULES,
  profileCreateSchema,
  profileUpdateSchema,
} from '../../shared/profile-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, errors, IdParams, json } from './schemas.js';

const rule = z.object({ access: z.enum(MODULE_ACCESS), items: z.array(z.string()) });
const perModule = <T extends z.ZodType>(schema: T) =>
  z.object(Object.fromEntries(PROFILE_MODULES.map((m) => [m, schema])) as Record<(typeof PROFILE_MODULES)[number], T>);

export const ProfileSchema = z
  .object({
    id: z.number().int(),
    name: z.string().openapi({ description: 'Set at creation; never changes' }),
    description: z.string(),
    modules: perModule(rule).openapi({
      description:
        'Per admin module: all, none (Not allowed) or some (the listed items: department names for Users, profile names for Profiles, campaign and connector names for the others)',
    }),
    summary: perModule(z.string()).openapi({ description: '"All", "Not allowed" or the number of items' }),
    users: z.number().int().openapi({ description: 'How many users have this profile' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    can: z.object({ update: z.boolean(), delete: z.boolean(), assign: z.boolean() }),
  })
  .openapi('Profile');

const ProfileListSchema = z
  .object({ items: z.array(ProfileSchema), can: z.object({ create: z.boolean() }) })
  .openapi('ProfileList');

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
      responses: { 201: json(ProfileSchema, 'Created'), ...errors, 409: json(ProfileSchema, 'Name taken') },
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
      responses: { 200: json(ProfileSchema, 'The profile'), ...errors },
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
      responses: { 200: json(ProfileSchema, 'Updated'), ...errors },
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
      responses: { 204: { description: 'Deleted' }, ...errors },
    }),
    async (c) => {
      await ctx.profiles.remove(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  return app;
}
