// Bulk actions on users over HTTP: count the selection (dryRun) for the confirmation, then run it for a report.
import { createRoute } from '@hono/zod-openapi';
import { bulkRequestSchema } from '../../shared/bulk-schemas.js';
import { BulkReportSchema } from '../../shared/responses/users.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, conflicting, errors, json, missing } from './schemas.js';

export function bulkRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/bulk',
      tags: ['Users'],
      summary: 'Run one action on many users: selected by id, or everything a list filter and search match',
      description:
        'Send `dryRun: true` first: the answer\'s `selected` is the number of users the action would touch (for the confirmation "Disable 1,234 users?"). The real call runs the action in transactions of 5,000 users each, writes one audit entry per changed user and a `users.bulk` summary, and answers with every user\'s outcome: done, or skipped with the reason (`is the owner`, `already disabled`, `no seats left in the pool`, ...). If an error stops it midway, the chunks before stay done, the failed chunk is rolled back, and its users and the rest are reported as `failed` (`completed: false`).',
      request: { body: body(bulkRequestSchema) },
      responses: {
        200: json(BulkReportSchema, 'The count (dry run) or the report'),
        ...errors,
        ...missing('role or group'),
        ...conflicting('The selection cannot take this action (for example a role only the owner may hold)'),
      },
    }),
    async (c) => c.json(await ctx.bulk.run(requireSession(c).actor, c.req.valid('json'), { ip: c.get('ip') }), 200),
  );

  return app;
}
