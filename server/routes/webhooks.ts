// Webhook endpoints of the account (admins who manage every user): subscribe, change, rotate the secret, read the
// deliveries, resend one, send a test. The secret appears only in the answers of creation and rotation.
import { createRoute, z } from '@hono/zod-openapi';
import {
  WebhookDeliveryPageSchema,
  WebhookDeliverySchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from '../../shared/responses/webhooks.js';
import {
  webhookCreateSchema,
  webhookDeliveriesQuerySchema,
  webhookUpdateSchema,
} from '../../shared/webhook-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, conflicting, errors, IdParams, idParam, json, missing } from './schemas.js';

const tags = ['Webhooks'];
const DeliveryParams = z.object({ id: idParam('id'), deliveryId: idParam('deliveryId') });

export function webhookRoutes(ctx: AppContext) {
  const app = router();
  const meta = (c: { get(key: 'ip'): string | null | undefined }) => ({ ip: c.get('ip') });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks',
      tags,
      summary: "The account's webhook endpoints (never their secrets)",
      responses: { 200: json(WebhookEndpointListSchema, 'Endpoints'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.webhooks.list(requireSession(c).actor) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks',
      tags,
      summary: 'Subscribe an endpoint to event types; the response is the only time the signing secret is shown',
      description:
        'The endpoint receives the events written from now on, each as a POST signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature). The URL must be https:// and on a public address unless the server operator allows others (ROSTER_WEBHOOKS_ALLOW_PRIVATE).',
      request: { body: body(webhookCreateSchema) },
      responses: { 201: json(WebhookEndpointWithSecretSchema, 'Created'), ...errors },
    }),
    async (c) => c.json(await ctx.webhooks.create(requireSession(c).actor, c.req.valid('json'), meta(c)), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{id}',
      tags,
      summary: 'One webhook endpoint',
      request: { params: IdParams },
      responses: { 200: json(WebhookEndpointSchema, 'Endpoint'), ...errors, ...missing('webhook endpoint') },
    }),
    async (c) => c.json(await ctx.webhooks.get(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/webhooks/{id}',
      tags,
      summary: 'Change the URL, description, event types, or turn the endpoint off or on',
      description: 'Turned on again, the endpoint receives the deliveries that waited while it was off.',
      request: { params: IdParams, body: body(webhookUpdateSchema) },
      responses: { 200: json(WebhookEndpointSchema, 'Changed'), ...errors, ...missing('webhook endpoint') },
    }),
    async (c) =>
      c.json(
        await ctx.webhooks.update(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json'), meta(c)),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/webhooks/{id}',
      tags,
      summary: 'Delete an endpoint and its deliveries',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...errors, ...missing('webhook endpoint') },
    }),
    async (c) => {
      await ctx.webhooks.remove(requireSession(c).actor, c.req.valid('param').id, meta(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{id}/rotate-secret',
      tags,
      summary: 'A new signing secret, shown only in this response; the previous one still signs for 24 hours',
      request: { params: IdParams },
      responses: {
        200: json(WebhookEndpointWithSecretSchema, 'Rotated'),
        ...errors,
        ...missing('webhook endpoint'),
      },
    }),
    async (c) =>
      c.json(await ctx.webhooks.rotateSecret(requireSession(c).actor, c.req.valid('param').id, meta(c)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tags,
      summary: "The endpoint's deliveries, newest first",
      request: { params: IdParams, query: webhookDeliveriesQuerySchema },
      responses: { 200: json(WebhookDeliveryPageSchema, 'Deliveries'), ...errors, ...missing('webhook endpoint') },
    }),
    async (c) =>
      c.json(
        await ctx.webhooks.deliveries(requireSession(c).actor, c.req.valid('param').id, c.req.valid('query')),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{id}/deliveries/{deliveryId}/resend',
      tags,
      summary: 'Send a delivery again now, with a fresh retry schedule (same webhook-id)',
      request: { params: DeliveryParams },
      responses: {
        200: json(WebhookDeliverySchema, 'Queued'),
        ...errors,
        ...missing('webhook endpoint or delivery'),
        ...conflicting('WebhookDisabled: turn the endpoint on first'),
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid('param');
      return c.json(await ctx.webhooks.resend(requireSession(c).actor, id, deliveryId, meta(c)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{id}/test',
      tags,
      summary: 'Send a webhook.test event to the endpoint',
      request: { params: IdParams },
      responses: {
        201: json(WebhookDeliverySchema, 'Queued'),
        ...errors,
        ...missing('webhook endpoint'),
        ...conflicting('WebhookDisabled: turn the endpoint on first'),
      },
    }),
    async (c) => c.json(await ctx.webhooks.sendTest(requireSession(c).actor, c.req.valid('param').id, meta(c)), 201),
  );

  return app;
}
