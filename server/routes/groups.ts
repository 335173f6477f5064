// The group tree over HTTP: the whole tree in one compact call, a group's page, create, rename/move, delete.
import { createRoute, z } from '@hono/zod-openapi';
import { groupCreateSchema, groupDeleteSchema, groupUpdateSchema } from '../../shared/organization-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { GroupDeleteResultSchema, GroupSchema, GroupTreeSchema } from './organization-schemas.js';
import { body, ErrorSchema, errors, IdParams, json } from './schemas.js';

const more = {
  404: json(ErrorSchema, 'No such group in your account'),
  409: json(ErrorSchema, 'Name taken, or the group is not empty'),
  422: json(ErrorSchema, 'Groups go three levels deep (GroupDepthExceeded)'),
};

export function groupRoutes(ctx: AppContext) {
  const app = router();
  const meta = (c: { get(key: 'ip'): string | null }) => ({ ip: c.get('ip') });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups',
      tags: ['Groups'],
      summary: 'The whole group tree as one flat list (id, parentId, name, memberCount)',
      description:
        'Level 1 is the account; groups with `parentId: null` are level 2, their children level 3. One call for any number of groups.',
      responses: { 200: json(GroupTreeSchema, 'The tree'), ...errors },
    }),
    async (c) => c.json(await ctx.groups.tree(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/groups',
      tags: ['Groups'],
      summary: 'Create a group (under the account, or under a level-2 group)',
      request: { body: body(groupCreateSchema) },
      responses: { 201: json(GroupSchema, 'Created'), ...errors, ...more },
    }),
    async (c) => c.json(await ctx.groups.create(requireSession(c).actor, c.req.valid('json'), meta(c)), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups/{id}',
      tags: ['Groups'],
      summary: 'A group with its subgroups, supervisors and a page of its direct members',
      request: {
        params: IdParams,
        query: z.object({
          after: z.string().max(4000).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: { 200: json(GroupSchema, 'The group'), ...errors, ...more },
    }),
    async (c) => {
      const query = c.req.valid('query');
      return c.json(
        await ctx.groups.get(requireSession(c).actor, c.req.valid('param').id, {
          after: query.after,
          memberLimit: query.limit,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/groups/{id}',
      tags: ['Groups'],
      summary: 'Rename a group and/or move it (with its subgroups) under another parent (`parentId: null` = the top)',
      request: { params: IdParams, body: body(groupUpdateSchema) },
      responses: { 200: json(GroupSchema, 'Updated'), ...errors, ...more },
    }),
    async (c) =>
      c.json(
        await ctx.groups.update(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json'), meta(c)),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/groups/{id}',
      tags: ['Groups'],
      summary: 'Delete a group; a non-empty one only with mode move_to_parent or delete_all',
      description:
        '`mode=refuse` (default) answers 409 GroupNotEmpty when the group has members or subgroups. `move_to_parent` moves its subgroups up a level and its members into the parent group (members of a level-2 group just leave it). `delete_all` deletes its subgroups too and ends their memberships. Main teams follow the main-team rule.',
      request: { params: IdParams, query: groupDeleteSchema },
      responses: { 200: json(GroupDeleteResultSchema, 'Deleted'), ...errors, ...more },
    }),
    async (c) =>
      c.json(
        await ctx.groups.remove(requireSession(c).actor, c.req.valid('param').id, c.req.valid('query'), meta(c)),
        200,
      ),
  );

  return app;
}
