// The audit log over HTTP: filtered pages and a CSV export.
import { createRoute } from '@hono/zod-openapi';
import { auditQuerySchema } from '../../shared/schemas.js';
import type { AppContext } from '../context.js';
import { csvResponse } from '../http/csv.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { AuditPageSchema, csv, errors, json } from './schemas.js';

export function auditRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      tags: ['Audit'],
      summary: 'Audit events, newest first',
      request: { query: auditQuerySchema },
      responses: {
        200: json(AuditPageSchema, 'Events'),
        ...errors,
      },
    }),
    async (c) => c.json(await ctx.audit.read(requireSession(c).actor, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit/export.csv',
      tags: ['Audit'],
      summary: 'Download the matching audit events as CSV',
      request: { query: auditQuerySchema.omit({ cursor: true, limit: true }) },
      responses: { 200: csv, ...errors },
    }),
    async (c) => {
      const events = ctx.audit.readAll(requireSession(c).actor, c.req.valid('query'));
      async function* rows() {
        for await (const e of events) {
          yield [
            e.at,
            e.actor?.username ?? '',
            e.action,
            e.target?.type ?? '',
            e.target?.id ?? '',
            e.target?.label ?? '',
            e.before ? JSON.stringify(e.before) : '',
            e.after ? JSON.stringify(e.after) : '',
            e.ip ?? '',
          ];
        }
      }
      const header = ['Time', 'Actor', 'Action', 'Target type', 'Target id', 'Target', 'Before', 'After', 'IP'];
      return csvResponse(c, 'audit.csv', header, rows()) as never;
    },
  );

  return app;
}
