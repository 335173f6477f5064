// The authorization decision API the suite's applications call (with an application key), and their directory
// lookups: a user's licenses, effective roles and settings.
import { createRoute, z } from '@hono/zod-openapi';
import { decisionBatchSchema, decisionQuestionSchema } from '../../shared/access-schemas.js';
import type { AppContext } from '../context.js';
import { requireCaller } from '../http/caller.js';
import { jsonBody, router } from '../http/env.js';
import { AccessProfileSchema, DecisionListSchema, DecisionSchema } from './access-schemas.js';
import { body, ErrorSchema, errors, IdParams, json, missing } from './schemas.js';

export function decisionRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/decisions',
      tags: ['Decisions'],
      summary: 'May user U do action A on resource R (owned by V, in group G)?',
      description:
        'Answers `allowed` with the reason: the rule, the role it needs, and where the user holds that role. Actions are `application:action`, e.g. `voice_analytics:recording.read`; `GET /applications/rules` lists them. Authenticate with `Authorization: Bearer <application key>` (or a console session).',
      request: { body: body(decisionQuestionSchema) },
      responses: { 200: json(DecisionSchema, 'The decision'), ...errors },
    }),
    async (c) => c.json(await ctx.decisions.decideOne(requireCaller(c), c.req.valid('json')), 200),
  );

  // Documented like every route; validated in the handler with zod's synchronous parser (see jsonBody).
  const batch = createRoute({
    method: 'post',
    path: '/decisions/batch',
    tags: ['Decisions'],
    summary: 'Many decisions in one call (up to 1,000), answered in order',
    request: { body: body(decisionBatchSchema) },
    responses: {
      200: json(DecisionListSchema, 'The decisions'),
      ...errors,
      415: json(ErrorSchema, 'The body is not JSON (UnsupportedMediaType)'),
    },
  });
  app.openAPIRegistry.registerPath(batch);
  app.post(batch.path, async (c) => {
    const { questions } = await jsonBody(c, decisionBatchSchema);
    return c.json({ results: await ctx.decisions.decideMany(requireCaller(c), questions) }, 200);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/access-profiles/{id}',
      tags: ['Decisions'],
      summary: "A user's licenses, effective roles per application, chat settings and analysis switch",
      request: { params: IdParams },
      responses: { 200: json(AccessProfileSchema, 'Access profile'), ...errors, ...missing('user') },
    }),
    async (c) => c.json(await ctx.decisions.accessProfile(requireCaller(c), { userId: c.req.valid('param').id }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/access-profiles',
      tags: ['Decisions'],
      summary: 'Look a user up by username',
      request: { query: z.object({ username: z.string().min(1).max(254) }) },
      responses: { 200: json(AccessProfileSchema, 'Access profile'), ...errors, ...missing('user') },
    }),
    async (c) =>
      c.json(await ctx.decisions.accessProfile(requireCaller(c), { username: c.req.valid('query').username }), 200),
  );

  return app;
}
