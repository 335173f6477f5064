// The events outbox for the suite's applications (an application key of the account) and admins.
import { createRoute } from '@hono/zod-openapi';
import { eventsQuerySchema } from '../../shared/organization-schemas.js';
import type { AppContext } from '../context.js';
import { requireCaller } from '../http/caller.js';
import { router } from '../http/env.js';
import { EventListSchema } from './organization-schemas.js';
import { errors, json } from './schemas.js';

export function eventRoutes(ctx: AppContext) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      tags: ['Events'],
      summary: 'Events after a given id, oldest first (every change of a user)',
      description:
        "Applications poll with `after=<the last id they handled>` (0 at first) using their application key. Types: `user.created`, `user.updated`, `user.deleted`, `user.enabled`, `user.disabled`, `license.granted`, `license.revoked`, `user.roles_changed`, `team.membership_changed`, `user.moved`. Each carries `userId` and `sequence` (1, 2, 3... per user, no gaps) and a payload `{user, change?}`: `user` is the user as an application needs them (licenses, the role of each licensed application, the main team; as they were for `user.deleted`), `change` what changed (the before and after of changed fields for updates). `user.moved` also has `{userId, fromGroupId, toGroupId, moveCalls}`: move the user's calls to the new group when `moveCalls` is true. Events are written in the transaction of the change, so an event exists if and only if the change happened.",
      request: { query: eventsQuerySchema },
      responses: { 200: json(EventListSchema, 'Events'), ...errors },
    }),
    async (c) => c.json(await ctx.events.list(requireCaller(c), c.req.valid('query')), 200),
  );
  return app;
}
