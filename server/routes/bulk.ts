// Bulk actions on users over HTTP: count the selection (dryRun) for the confirmation, then run it for a report.
import { createRoute, z } from '@hono/zod-openapi';
import { BULK_ACTIONS, bulkRequestSchema } from '../../shared/bulk-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, errors, json } from './schemas.js';

const BulkReportSchema = z
  .object({
    action: z.enum(BULK_ACTIONS),
    dryRun: z.boolean(),
    selected: z.number().int().openapi({ description: 'Users in the selection that you may reach' }),
    done: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    completed: z.boolean().openapi({ description: 'false: an error stopped the action; earlier chunks stay done' }),
    error: z.string().nullable(),
    groups: z
      .array(
        z.object({
          outcome: z.enum(['done', 'skipped', 'failed']),
          reason: z.string().nullable().openapi({ example: 'already disabled' }),
          users: z.array(z.tuple([z.number().int(), z.string()])).openapi({ description: '[id, username] pairs' }),
        }),
      )
      .openapi({ description: 'Every user of the selection once, grouped by outcome and reason (empty on a dry run)' }),
  })
  .openapi('BulkReport');

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
      responses: { 200: json(BulkReportSchema, 'The count (dry run) or the report'), ...errors },
    }),
    async (c) => c.json(await ctx.bulk.run(requireSession(c).actor, c.req.valid('json'), { ip: c.get('ip') }), 200),
  );

  return app;
}
