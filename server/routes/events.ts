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
      summary: 'Events after a given id, oldest first (e.g. user.moved)',
      description:
        "Applications poll with `after=<the last id they handled>` (0 at first) using their application key. `user.moved` = `{userId, fromGroupId, toGroupId, moveCalls}`: move the user's calls to the new group when `moveCalls` is true. Events are written in the transaction of the change, so an event exists if and only if the change happened.",
      request: { query: eventsQuerySchema },
      responses: { 200: json(EventListSchema, 'Events'), ...errors },
    }),
    async (c) => c.json(await ctx.events.list(requireCaller(c), c.req.valid('query')), 200),
  );
  return app;
}
